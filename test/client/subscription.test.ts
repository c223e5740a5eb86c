/**
 * The subscription state machine of @hubwire/client on its own (no server): which messages of a
 * group reach handlers, what is held during a join and released after it, and what the join's
 * answer does to the position.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InvocationMessage } from '@microsoft/signalr';
import { defaultPositionOf, defaultRecoveredOf, follows, positionArgument, type GroupPosition, type StreamPosition } from '../../packages/client/src/positions.js';
import { GroupSubscription, type JoinInfo, type SubscriptionOptions } from '../../packages/client/src/subscription.js';
import { Deferred } from '../support/deferred.js';

const GROUP = 'room:1';

function message(offset: number, epoch = 'e1', group = GROUP): { message: InvocationMessage; position: GroupPosition } {
  const position = { group, offset, epoch };
  return { message: { type: 1, target: 'tick', arguments: [offset, position] }, position };
}

/** A subscription over a fake host; `offer(n)` is what the protocol wrapper does with message n. */
function harness<R>(options: Partial<SubscriptionOptions<R>> & Pick<SubscriptionOptions<R>, 'join'>) {
  const delivered: number[] = [];
  const errors: unknown[] = [];
  const host = {
    connected: true,
    deliver: (held: InvocationMessage) => delivered.push(held.arguments[0] as number),
    report: (error: unknown) => errors.push(error),
    forget: () => undefined,
  };
  const subscription = new GroupSubscription<R>(
    { group: GROUP, ...options },
    { deliver: host.deliver, connected: () => host.connected, report: host.report, forget: host.forget },
  );
  const offer = (offset: number, epoch?: string) => {
    const { message: m, position } = message(offset, epoch);
    if (subscription.admit(m, position)) delivered.push(offset);
  };
  return { subscription, delivered, errors, host, offer };
}

/** Lets queued promise continuations run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('positions', () => {
  it('reads a trailing { group, offset, epoch } and nothing else', () => {
    assert.deepEqual(positionArgument(['x', { group: 'g', offset: 3, epoch: 'e' }]), { group: 'g', offset: 3, epoch: 'e' });
    for (const args of [[], ['x'], [null], [[1]], [{ group: 'g', offset: -1, epoch: 'e' }], [{ group: 'g', offset: 1.5, epoch: 'e' }], [{ group: 'g', offset: 1 }], [{ offset: 1, epoch: 'e' }]]) {
      assert.equal(positionArgument(args), undefined, JSON.stringify(args));
    }
  });

  it('relates a position to the last one: first, next, duplicate, gap (a jump or another epoch)', () => {
    assert.equal(follows(undefined, { offset: 9, epoch: 'a' }), 'first');
    assert.equal(follows({ offset: 3, epoch: 'a' }, { offset: 4, epoch: 'a' }), 'next');
    assert.equal(follows({ offset: 3, epoch: 'a' }, { offset: 3, epoch: 'a' }), 'duplicate');
    assert.equal(follows({ offset: 3, epoch: 'a' }, { offset: 1, epoch: 'a' }), 'duplicate');
    assert.equal(follows({ offset: 3, epoch: 'a' }, { offset: 5, epoch: 'a' }), 'gap');
    assert.equal(follows({ offset: 3, epoch: 'a' }, { offset: 1, epoch: 'b' }), 'gap');
    assert.equal(follows({ offset: 3 }, { offset: 4, epoch: 'b' }), 'next', 'an unknown epoch compares offsets only');
  });

  it('reads a join answer: position, else lastEventSequence, else a position itself; recovered when a boolean', () => {
    assert.deepEqual(defaultPositionOf({ recovered: true, position: { offset: 4, epoch: 'e' }, replayed: 2 }), { offset: 4, epoch: 'e' });
    assert.deepEqual(defaultPositionOf({ lastEventSequence: 12, currentState: 'x' }), { offset: 12 });
    assert.deepEqual(defaultPositionOf({ offset: 2 }), { offset: 2 });
    assert.equal(defaultPositionOf({ organizationId: 'acme' }), undefined);
    assert.equal(defaultPositionOf(undefined), undefined);
    assert.equal(defaultRecoveredOf({ recovered: false }), false);
    assert.equal(defaultRecoveredOf({ recovered: 'yes' }), undefined);
  });
});

describe('GroupSubscription', () => {
  it('delivers in-order messages once and drops what was already passed', () => {
    const { subscription, delivered, offer } = harness({ join: async () => ({}) });
    for (const offset of [1, 2, 2, 3, 1, 4]) offer(offset);
    assert.deepEqual(delivered, [1, 2, 3, 4]);
    assert.deepEqual(subscription.position, { group: GROUP, offset: 4, epoch: 'e1' });
    assert.equal(subscription.stats.duplicates, 2);
  });

  it('several messages at one offset are one entry: each is delivered once, a repeat of one of them is dropped', () => {
    const { subscription, delivered } = harness({ join: async () => ({}) });
    const seen: string[] = [];
    const offer = (offset: number, target: string, value: string) => {
      const position = { group: GROUP, offset, epoch: 'e1' };
      if (subscription.admit({ type: 1, target, arguments: [value, position] }, position)) seen.push(`${target} ${value}`);
    };
    offer(1, 'event', 'a');
    offer(2, 'event', 'b');
    offer(2, 'Acknowledgement', 'b');
    offer(2, 'event', 'b'); // a repeat of the entry's first message
    offer(2, 'EVENT', 'b'); // the client matches targets case-insensitively: the same call
    offer(1, 'other', 'c'); // below the last offset: a duplicate, whatever it carries
    offer(3, 'event', 'c');
    assert.deepEqual(seen, ['event a', 'event b', 'Acknowledgement b', 'event c']);
    assert.equal(subscription.stats.duplicates, 3);
    assert.deepEqual(delivered, []);
  });

  it('holds a jump, re-joins from the last position, and delivers replay and held messages once, in order', async () => {
    const answer = new Deferred<{ recovered: boolean; position: StreamPosition }>();
    const sinces: (StreamPosition | undefined)[] = [];
    const recovered: JoinInfo[] = [];
    const { subscription, delivered, offer } = harness({
      join: (since) => {
        sinces.push(since);
        return answer.promise;
      },
      onRecovered: (_result, info) => recovered.push(info),
    });
    offer(1);
    offer(2);
    offer(5); // a jump: 3 and 4 missing
    assert.deepEqual(delivered, [1, 2]);
    await settle();
    assert.deepEqual(sinces, [{ group: GROUP, offset: 2, epoch: 'e1' }]);
    // The server replays 3..5 while 6 comes live; all wait for the answer.
    for (const offset of [3, 4, 5, 6]) offer(offset);
    assert.deepEqual(delivered, [1, 2]);
    answer.resolve({ recovered: true, position: { offset: 5, epoch: 'e1' } });
    await settle();
    assert.deepEqual(delivered, [1, 2, 3, 4, 5, 6]);
    assert.equal(subscription.stats.duplicates, 1, 'the held 5 and the replayed 5 reach handlers once');
    assert.equal(recovered.length, 1);
    assert.equal(recovered[0]!.reason, 'gap');
    assert.equal(recovered[0]!.replayed, 3);
    offer(7);
    assert.deepEqual(delivered.at(-1), 7, 'live again after the join');
  });

  it('a jump the re-join cannot fill is delivered once the join answered, and reported as a gap', async () => {
    const gaps: number[] = [];
    const { subscription, delivered, offer } = harness({ join: async () => ({ recovered: true }), onGap: (gap) => gaps.push(gap.to.offset) });
    offer(1);
    offer(4);
    await settle();
    assert.deepEqual(delivered, [1, 4]);
    assert.deepEqual(gaps, [4]);
    assert.equal(subscription.stats.gaps, 1);
    assert.equal(subscription.stats.joins, 1);
  });

  it('a jump the recovered re-join answers a position past is no gap (an entry sent with except naming this connection)', async () => {
    const gaps: number[] = [];
    const { subscription, delivered, offer } = harness({ join: async () => ({ recovered: true, position: { offset: 4, epoch: 'e1' } }), onGap: (gap) => gaps.push(gap.to.offset) });
    offer(1);
    offer(3);
    await settle();
    assert.deepEqual(delivered, [1, 3]);
    assert.deepEqual(gaps, []);
    assert.equal(subscription.stats.gaps, 0);
    assert.equal(subscription.stats.joins, 1);
  });

  it("with gaps: 'accept' a jump is delivered at once and reported, without a re-join", () => {
    let joins = 0;
    const gaps: number[] = [];
    const { delivered, offer } = harness({
      gaps: 'accept',
      join: async () => {
        joins++;
        return {};
      },
      onGap: (gap) => gaps.push(gap.to.offset),
    });
    for (const offset of [1, 3, 4, 9]) offer(offset);
    assert.deepEqual(delivered, [1, 3, 4, 9]);
    assert.deepEqual(gaps, [3, 9]);
    assert.equal(joins, 0);
  });

  it('a re-join that did not recover: onMissed settles before any held live message, which starts after the answer', async () => {
    const events: string[] = [];
    const missedDone = new Deferred<void>();
    const answer = new Deferred<{ recovered: boolean; position: StreamPosition }>();
    const { subscription, delivered, offer } = harness({
      join: () => answer.promise,
      onMissed: async (result) => {
        events.push(`missed at ${result.position.offset}`);
        await missedDone.promise;
        events.push('snapshot applied');
      },
    });
    offer(1);
    void subscription.join('reconnect');
    await settle();
    // On the new connection: live messages 11 and 12 come before the answer (the top was 10).
    offer(11, 'e2');
    offer(12, 'e2');
    answer.resolve({ recovered: false, position: { offset: 10, epoch: 'e2' } });
    await settle();
    assert.deepEqual(events, ['missed at 10']);
    assert.deepEqual(delivered, [1], 'held while the snapshot is applied');
    offer(13, 'e2');
    missedDone.resolve();
    await settle();
    assert.deepEqual(events, ['missed at 10', 'snapshot applied']);
    assert.deepEqual(delivered, [1, 11, 12, 13]);
    assert.deepEqual(subscription.position, { group: GROUP, offset: 13, epoch: 'e2' });
    assert.equal(subscription.stats.gaps, 0);
  });

  it('a first join (nothing to recover) stands at its answer: held messages above it are delivered, those at or below dropped', async () => {
    const sinces: (StreamPosition | undefined)[] = [];
    const answer = new Deferred<{ recovered: boolean; position: StreamPosition }>();
    const missed: unknown[] = [];
    const { subscription, delivered, offer } = harness({
      join: (since) => {
        sinces.push(since);
        return sinces.length === 1 ? answer.promise : Promise.resolve({ recovered: true, position: { offset: 21, epoch: 'e1' } });
      },
      onMissed: (result) => void missed.push(result),
    });
    void subscription.join('subscribe');
    await settle();
    // Sent while the server answered: 20 is in the snapshot the answer stands for, 21 is not.
    offer(20);
    offer(21);
    answer.resolve({ recovered: false, position: { offset: 20, epoch: 'e1' } });
    await settle();
    assert.deepEqual(await subscription.joined, { recovered: false, position: { offset: 20, epoch: 'e1' } });
    assert.deepEqual(missed, [], 'nothing was missed on a first join');
    assert.deepEqual(delivered, [21]);
    await subscription.join('reconnect');
    assert.deepEqual(sinces, [undefined, { group: GROUP, offset: 21, epoch: 'e1' }]);
    offer(22);
    assert.deepEqual(delivered, [21, 22]);
  });

  it('a replay that ends below the answer’s position stands at the answer (entries there could not be delivered)', async () => {
    const { subscription, delivered, offer } = harness({ join: async () => ({ recovered: true, position: { offset: 9, epoch: 'e1' } }) });
    offer(5);
    const joining = subscription.join('reconnect');
    offer(6);
    await joining;
    assert.deepEqual(delivered, [5, 6]);
    assert.deepEqual(subscription.position, { offset: 9, epoch: 'e1' });
    offer(9);
    offer(10);
    assert.deepEqual(delivered, [5, 6, 10]);
  });

  it('a join refused while connected rejects `joined`, reports, and releases what it held', async () => {
    const refusal = new Error('You are not a member.');
    const { subscription, delivered, errors, offer } = harness({ join: () => Promise.reject(refusal) });
    offer(1);
    void subscription.join('subscribe');
    offer(2);
    await assert.rejects(subscription.joined, refusal);
    assert.deepEqual(errors, [refusal]);
    assert.deepEqual(delivered, [1, 2]);
  });

  it('a join that failed because the connection went away keeps holding for the next one, which supersedes it', async () => {
    const first = new Deferred<unknown>();
    const sinces: (StreamPosition | undefined)[] = [];
    const { subscription, delivered, errors, host, offer } = harness({
      join: (since) => {
        sinces.push(since);
        return sinces.length === 1 ? first.promise : Promise.resolve({ recovered: true });
      },
    });
    offer(1);
    offer(3); // a jump: re-join
    await settle();
    host.connected = false;
    first.reject(new Error('Invocation canceled due to the underlying connection being closed.'));
    await settle();
    assert.deepEqual(errors, []);
    assert.deepEqual(delivered, [1], 'still held');
    // Not connected: a join attempt now does not call out.
    await subscription.join('reconnect');
    assert.equal(sinces.length, 1);
    host.connected = true;
    const reconnect = subscription.join('reconnect');
    offer(2);
    offer(3);
    await reconnect;
    assert.deepEqual(sinces, [{ group: GROUP, offset: 1, epoch: 'e1' }, { group: GROUP, offset: 1, epoch: 'e1' }]);
    assert.deepEqual(delivered, [1, 2, 3]);
  });

  it('holds at most maxHeld messages; the rest are counted as overflow', async () => {
    const answer = new Deferred<unknown>();
    const { subscription, delivered, offer } = harness({ maxHeld: 2, join: () => answer.promise });
    void subscription.join('subscribe');
    for (const offset of [1, 2, 3, 4]) offer(offset);
    answer.resolve({});
    await settle();
    assert.deepEqual(delivered, [1, 2]);
    assert.equal(subscription.stats.overflow, 2);
  });

  it('unsubscribe stops tracking, calls leave when connected, and rejects a join still pending', async () => {
    let left = 0;
    const { subscription } = harness({
      join: () => new Promise(() => undefined),
      leave: async () => {
        left++;
      },
    });
    void subscription.join('subscribe');
    await subscription.unsubscribe();
    await subscription.unsubscribe();
    assert.equal(left, 1);
    await assert.rejects(subscription.joined, /unsubscribed/);
  });
});
