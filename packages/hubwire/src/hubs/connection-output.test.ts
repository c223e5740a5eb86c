import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Transport } from '../transports/transport.js';
import { ConnectionOutput, type BacklogScheduler } from './connection-output.js';

/** A transport whose backlog the test sets. */
function fakeTransport(): Transport & { bufferedAmount: number; sent: (Buffer | string)[] } {
  return {
    kind: 'WebSockets',
    inherentKeepAlive: false,
    bufferedAmount: 0,
    sent: [],
    send(payload) {
      this.sent.push(payload);
    },
    close() {},
    abort() {},
  };
}

/** Timers that fire only when the test says so. */
class ManualTimers {
  readonly pending = new Set<() => void>();
  readonly schedule: BacklogScheduler = (fn) => {
    this.pending.add(fn);
    return () => this.pending.delete(fn);
  };

  fire(): void {
    const due = [...this.pending];
    this.pending.clear();
    for (const fn of due) fn();
  }
}

function settled(promise: Promise<unknown>): { done: boolean } {
  const state = { done: false };
  void promise.then(() => (state.done = true));
  return state;
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ConnectionOutput backlog', () => {
  it('counts the transport buffer and messages stalled behind a full replay buffer', () => {
    const transport = fakeTransport();
    const output = new ConnectionOutput({ transport }, 1_000_000, { outputOverflowed: () => assert.fail('no overflow') });
    transport.bufferedAmount = 300;
    assert.equal(output.backlog, 300);
    output.enableReplay(10);
    output.sendTrackable('0123456789'); // fills the replay buffer
    output.sendTrackable('abcdefgh'); // stalls: the client has not acknowledged
    assert.equal(output.backlog, 308);
    output.acknowledge(1);
    assert.equal(output.backlog, 300);
  });

  it('resolves a backlog wait at once when already below, else on the first poll that finds it below', async () => {
    const transport = fakeTransport();
    const timers = new ManualTimers();
    const output = new ConnectionOutput({ transport }, 1_000_000, { outputOverflowed: () => undefined }, timers.schedule);
    transport.bufferedAmount = 100;
    const immediate = settled(output.whenBacklogBelow(101));
    await flush();
    assert.equal(immediate.done, true);
    assert.equal(timers.pending.size, 0, 'no poll without a waiter');

    const low = settled(output.whenBacklogBelow(50));
    const lower = settled(output.whenBacklogBelow(10));
    assert.equal(timers.pending.size, 1, 'one poll serves every waiter');
    timers.fire();
    await flush();
    assert.deepEqual([low.done, lower.done], [false, false]);
    transport.bufferedAmount = 20;
    timers.fire();
    await flush();
    assert.deepEqual([low.done, lower.done], [true, false]);
    assert.equal(timers.pending.size, 1, 'polls go on while someone waits');
    transport.bufferedAmount = 0;
    timers.fire();
    await flush();
    assert.equal(lower.done, true);
    assert.equal(timers.pending.size, 0, 'no poll once nobody waits');
  });

  it('lets every wait go on when the connection ends, and waits after it resolve at once', async () => {
    const transport = fakeTransport();
    const timers = new ManualTimers();
    const output = new ConnectionOutput({ transport }, 8000, { outputOverflowed: () => undefined }, timers.schedule);
    transport.bufferedAmount = 5000;
    const waiting = settled(output.whenBacklogBelow(10));
    const stream = output.whenWritable({ state: 'connected' });
    assert.ok(stream !== undefined, 'a stream waits past half the limit');
    const streaming = settled(stream);
    output.clear();
    await flush();
    assert.deepEqual([waiting.done, streaming.done], [true, true]);
    assert.equal(timers.pending.size, 0, 'the poll is cancelled');
    const late = settled(output.whenBacklogBelow(10));
    await flush();
    assert.equal(late.done, true);
  });
});

describe('ConnectionOutput holding the writes of one read', () => {
  it('sends what was written while held as one payload, in order, and nothing before release', () => {
    const transport = fakeTransport();
    const output = new ConnectionOutput({ transport }, 1_000_000, { outputOverflowed: () => assert.fail('no overflow') });
    output.hold();
    output.send('{"type":3,"invocationId":"1","result":1}\u001e');
    output.sendTrackable('{"type":3,"invocationId":"2","result":2}\u001e');
    output.send('{"type":6}\u001e');
    assert.deepEqual(transport.sent, [], 'held until the read is handled');
    assert.equal(output.backlog, 93, 'held bytes count as backlog');
    output.release();
    assert.deepEqual(transport.sent, ['{"type":3,"invocationId":"1","result":1}\u001e{"type":3,"invocationId":"2","result":2}\u001e{"type":6}\u001e']);
    output.send('after');
    assert.deepEqual(transport.sent.slice(1), ['after'], 'not held once released');
  });

  it('sends a single held message as it is, and several binary ones as one Buffer', () => {
    const transport = fakeTransport();
    const output = new ConnectionOutput({ transport }, 1_000_000, { outputOverflowed: () => assert.fail('no overflow') });
    output.binary = true;
    const one = Buffer.from([1, 2]);
    output.hold();
    output.send(one);
    output.release();
    assert.equal(transport.sent[0], one, 'the same Buffer: no copy for one message');
    output.hold();
    output.send(Buffer.from([3]));
    output.send(Buffer.from([4, 5]));
    output.release();
    assert.deepEqual(transport.sent[1], Buffer.from([3, 4, 5]));
    output.release();
    assert.equal(transport.sent.length, 2, 'nothing held: nothing sent');
  });

  it('counts held bytes against the slow-consumer limit, and flush sends what was held before a Close', () => {
    const transport = fakeTransport();
    const overflows: number[] = [];
    const output = new ConnectionOutput({ transport }, 25, { outputOverflowed: (buffered) => overflows.push(buffered) });
    transport.bufferedAmount = 5;
    output.hold();
    output.send('0123456789');
    output.send('0123456789');
    assert.deepEqual(overflows, [], 'within the limit so far');
    output.send('x');
    assert.deepEqual(overflows, [25], 'the transport buffer plus what is held');
    output.flush();
    assert.deepEqual(transport.sent, ['01234567890123456789']);
    output.send('closing');
    output.clear();
    output.release();
    assert.deepEqual(transport.sent, ['01234567890123456789'], 'cleared at the end: what was held is dropped');
  });
});
