/**
 * Conformance: server streams, upload streams and stray stream messages, JSON over WebSockets,
 * with a raw client and byte-exact frames.
 * Reference: signalr-protocol.md §7.1, §8.1, §8.2, §9, §12; cases M7–M15, M28 of §15.4.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from 'hubwire';
import { Deferred } from '../support/deferred.js';
import { JsonStream, framed, roundTrip } from '../support/json-stream.js';
import { RawClient } from '../support/raw-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

/** A producer the test advances one item at a time. */
class Ticker {
  produced = 0;
  readonly aborted = new Deferred();
  /** Resolves with `produced` once the producer's `finally` ran. */
  readonly finished = new Deferred<number>();
  #credits = 0;
  #waiting: Deferred | undefined;

  /** Lets the producer make one more item. */
  release(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting !== undefined) waiting.resolve();
    else this.#credits++;
  }

  /** Waits for a release; rejects when `signal` aborts. */
  async wait(signal: AbortSignal): Promise<void> {
    if (this.#credits > 0) {
      this.#credits--;
      return;
    }
    const waiting = (this.#waiting = new Deferred());
    const onAbort = () => waiting.reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await waiting.promise;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

/** What the hub saw, shared by the whole file (tickers and gates are named per test). */
class State {
  readonly tickers = new Map<string, Ticker>();
  readonly gates = new Map<string, Deferred>();
  readonly log: string[] = [];
  /** Plain methods that were entered, by name. */
  readonly entered: string[] = [];

  ticker(name: string): Ticker {
    let ticker = this.tickers.get(name);
    if (ticker === undefined) this.tickers.set(name, (ticker = new Ticker()));
    return ticker;
  }

  gate(name: string): Deferred {
    let gate = this.gates.get(name);
    if (gate === undefined) this.gates.set(name, (gate = new Deferred()));
    return gate;
  }
}
const state = new State();

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const list: T[] = [];
  for await (const item of items) list.push(item);
  return list;
}

class StreamingHub extends Hub {
  add(a: number, b: number): number {
    return a + b;
  }
  plain(value: unknown): unknown {
    state.entered.push('plain');
    return value;
  }
  record(entry: string): void {
    state.log.push(entry);
  }

  async *counter(count: number): AsyncGenerator<number> {
    for (let i = 0; i < count; i++) yield i;
  }

  async *failAfterTwo(): AsyncGenerator<string> {
    yield 'a';
    yield 'b';
    throw new Error('kaput');
  }

  /** Yields `name-0`, `name-1`, … each when the test releases the ticker `name`. */
  async *ticks(name: string): AsyncGenerator<string> {
    const ticker = state.ticker(name);
    const signal = this.invocation.signal;
    signal.addEventListener('abort', () => ticker.aborted.resolve(), { once: true });
    try {
      for (let i = 0; ; i++) {
        await ticker.wait(signal);
        ticker.produced++;
        yield `${name}-${i}`;
      }
    } finally {
      ticker.finished.resolve(ticker.produced);
    }
  }

  async collect(items: AsyncIterable<unknown>): Promise<unknown[]> {
    return collect(items);
  }

  async collectCatching(items: AsyncIterable<unknown>): Promise<{ items: unknown[]; error: string | null }> {
    const seen: unknown[] = [];
    try {
      for await (const item of items) seen.push(item);
    } catch (error) {
      return { items: seen, error: (error as Error).message };
    }
    return { items: seen, error: null };
  }

  /** Reads its upload to the end, then waits for the gate `name`. */
  async collectThenWait(name: string, items: AsyncIterable<unknown>): Promise<unknown[]> {
    const list = await collect(items);
    await state.gate(name).promise;
    return list;
  }

  /** Reads one item and stops reading. */
  async takeOne(items: AsyncIterable<unknown>): Promise<unknown> {
    for await (const item of items) return item;
    return null;
  }

  /** Never reads its upload; returns when the gate `name` opens. */
  async ignoreUpload(name: string, items: AsyncIterable<unknown>): Promise<string> {
    void items;
    await state.gate(name).promise;
    return 'ignored';
  }

  async *echo(items: AsyncIterable<unknown>): AsyncGenerator<unknown> {
    for await (const item of items) yield item;
  }

  async ask(): Promise<unknown> {
    return this.clients.caller.invoke('GetMessage');
  }
}

let server: TestServer;
let stream: JsonStream;
/** Another connection, with a stream of its own (id "t") running throughout the file. */
let bystander: JsonStream;
let bystanderTicker: Ticker;
let barrierCount = 0;

const send = (...messages: (string | object)[]): void => stream.send(framed(...messages));

/** Sends a blocking `add` on `on` and asserts that the very next message is its Completion. */
async function assertNextIsBarrier(on: JsonStream = stream): Promise<void> {
  const id = `barrier-${++barrierCount}`;
  on.send(framed({ type: 1, invocationId: id, target: 'add', arguments: [1, 1] }));
  assert.equal(await on.nextNonPing(), `{"type":3,"invocationId":"${id}","result":2}`);
}

async function expectNext(...messages: string[]): Promise<void> {
  for (const message of messages) assert.equal(await stream.nextNonPing(), message);
}

before(async () => {
  server = await startTestServer((hw) => hw.mapHub('/hub', StreamingHub));
  bystander = new JsonStream(await RawClient.handshaken(server.wsUrl('/hub')));
  bystander.send(framed({ type: 4, invocationId: 't', target: 'ticks', arguments: ['bystander'] }));
  bystanderTicker = state.ticker('bystander');
  bystanderTicker.release();
  assert.equal(await bystander.nextNonPing(), '{"type":2,"invocationId":"t","item":"bystander-0"}');
});

beforeEach(async () => {
  stream = new JsonStream(await RawClient.handshaken(server.wsUrl('/hub')));
});

afterEach(async () => {
  stream.client.close();
  // The other connection saw nothing of this test (the next message it gets, pings aside, is the
  // answer to its barrier), and its own stream "t" is still alive (checked in `after`).
  await assertNextIsBarrier(bystander);
});

after(async () => {
  for (const gate of state.gates.values()) gate.resolve();
  try {
    // The bystander's stream outlived every test, cancels of other connections' "t" included.
    bystanderTicker.release();
    assert.equal(await bystander.nextNonPing(), '{"type":2,"invocationId":"t","item":"bystander-1"}');
    bystander.send(framed({ type: 5, invocationId: 't' }));
    assert.equal(await bystander.nextNonPing(), '{"type":3,"invocationId":"t"}');
    assert.equal(await bystanderTicker.finished.wait(), 2);
  } finally {
    bystander.client.close();
    await within(server.close(), 5000, 'server close');
  }
});

describe('server streams', () => {
  test('M7: n StreamItems, then a Completion without result', async () => {
    send({ type: 4, invocationId: '1', target: 'counter', arguments: [3] });
    await expectNext(
      '{"type":2,"invocationId":"1","item":0}',
      '{"type":2,"invocationId":"1","item":1}',
      '{"type":2,"invocationId":"1","item":2}',
      '{"type":3,"invocationId":"1"}',
    );
    send({ type: 4, invocationId: '2', target: 'counter', arguments: [0] });
    await expectNext('{"type":3,"invocationId":"2"}');
  });

  test('M8: StreamInvocation of a plain method; Invocation of a streaming method (texts name the target as sent)', async () => {
    send({ type: 4, invocationId: '1', target: 'PLAIN', arguments: [1] });
    await expectNext('{"type":3,"invocationId":"1","error":"The client attempted to invoke the non-streaming \'PLAIN\' method with a streaming invocation."}');
    assert.deepEqual(state.entered, [], 'the plain method must not run');
    send({ type: 1, invocationId: '2', target: 'Counter', arguments: [1] });
    await expectNext('{"type":3,"invocationId":"2","error":"The client attempted to invoke the streaming \'Counter\' method with a non-streaming invocation."}');
    // Without an id: nothing comes back.
    send({ type: 1, target: 'counter', arguments: [1] });
    await assertNextIsBarrier();
  });

  test('M9: CancelInvocation stops the producer at once; the Completion has no error; nothing follows', async () => {
    const ticker = state.ticker('m9');
    send({ type: 4, invocationId: 't', target: 'ticks', arguments: ['m9'] });
    ticker.release();
    await expectNext('{"type":2,"invocationId":"t","item":"m9-0"}');
    ticker.release();
    await expectNext('{"type":2,"invocationId":"t","item":"m9-1"}');
    send({ type: 5, invocationId: 't' });
    await expectNext('{"type":3,"invocationId":"t"}');
    await ticker.aborted.wait(5000, 'the producer signal to abort');
    assert.equal(await ticker.finished.wait(5000, 'the producer to finish'), 2);
    // A second cancel and more releases change nothing.
    send({ type: 5, invocationId: 't' });
    ticker.release();
    await assertNextIsBarrier();
    assert.equal(ticker.produced, 2);
  });

  test('M10: an error after 2 items: the items stay, the Completion carries the generic text', async () => {
    send({ type: 4, invocationId: 'f', target: 'failAfterTwo', arguments: [] });
    await expectNext(
      '{"type":2,"invocationId":"f","item":"a"}',
      '{"type":2,"invocationId":"f","item":"b"}',
      '{"type":3,"invocationId":"f","error":"An error occurred on the server while streaming results."}',
    );
    await assertNextIsBarrier();
  });

  test('M15: a StreamInvocation reusing an active stream id is refused; the first stream goes on', async () => {
    const ticker = state.ticker('m15');
    send({ type: 4, invocationId: 'dup', target: 'ticks', arguments: ['m15'] });
    ticker.release();
    await expectNext('{"type":2,"invocationId":"dup","item":"m15-0"}');
    send({ type: 4, invocationId: 'dup', target: 'counter', arguments: [2] });
    await expectNext('{"type":3,"invocationId":"dup","error":"Invocation ID \'dup\' is already in use."}');
    ticker.release();
    await expectNext('{"type":2,"invocationId":"dup","item":"m15-1"}');
    send({ type: 5, invocationId: 'dup' });
    await expectNext('{"type":3,"invocationId":"dup"}');
    // Once the first stream has ended, the id is free again.
    send({ type: 4, invocationId: 'dup', target: 'counter', arguments: [1] });
    await expectNext('{"type":2,"invocationId":"dup","item":0}', '{"type":3,"invocationId":"dup"}');
  });
});

describe('upload streams', () => {
  test('M11: the method sees the items in order; the result goes to the invocation id', async () => {
    send(
      { type: 1, invocationId: 'u', target: 'collect', arguments: [], streamIds: ['a'] },
      { type: 2, invocationId: 'a', item: 1 },
      { type: 2, invocationId: 'a', item: 'two' },
      { type: 2, invocationId: 'a', item: { x: null } },
      { type: 3, invocationId: 'a' },
    );
    await expectNext('{"type":3,"invocationId":"u","result":[1,"two",{"x":null}]}');
  });

  test('M11: an upload and a server stream in one StreamInvocation', async () => {
    send({ type: 4, invocationId: 'e', target: 'echo', arguments: [], streamIds: ['in'] }, { type: 2, invocationId: 'in', item: 'x' });
    await expectNext('{"type":2,"invocationId":"e","item":"x"}');
    send({ type: 2, invocationId: 'in', item: 'y' }, { type: 3, invocationId: 'in' });
    await expectNext('{"type":2,"invocationId":"e","item":"y"}', '{"type":3,"invocationId":"e"}');
  });

  test('M12: a client Completion with error fails the read with its text; unhandled, a HubException with that text', async () => {
    send(
      { type: 1, invocationId: 'c', target: 'collectCatching', arguments: [], streamIds: ['a'] },
      { type: 2, invocationId: 'a', item: 1 },
      { type: 3, invocationId: 'a', error: 'client broke' },
    );
    await expectNext('{"type":3,"invocationId":"c","result":{"items":[1],"error":"client broke"}}');
    send({ type: 1, invocationId: 'u', target: 'collect', arguments: [], streamIds: ['b'] }, { type: 3, invocationId: 'b', error: 'client broke' });
    await expectNext('{"type":3,"invocationId":"u","error":"An unexpected error occurred invoking \'collect\' on the server. HubException: client broke"}');
  });

  test('M13: streamIds the method has no parameters for: the exact text; their items are ignored', async () => {
    send({ type: 1, invocationId: 'm13', target: 'add', arguments: [1, 2], streamIds: ['z'] }, { type: 2, invocationId: 'z', item: 1 }, { type: 3, invocationId: 'z' });
    await expectNext('{"type":3,"invocationId":"m13","error":"An unexpected error occurred invoking \'add\' on the server. HubException: Client sent 1 stream(s), Hub method expects 0."}');
    await assertNextIsBarrier();
  });

  test('a StreamItem for an upload stream the client already completed is ignored', async () => {
    const gate = state.gate('late-item');
    send(
      { type: 1, invocationId: 'cw', target: 'collectThenWait', arguments: ['late-item'], streamIds: ['c'] },
      { type: 2, invocationId: 'c', item: 1 },
      { type: 2, invocationId: 'c', item: 2 },
      { type: 3, invocationId: 'c' },
      { type: 2, invocationId: 'c', item: 99 },
      { type: 3, invocationId: 'c', error: 'late error' },
    );
    await roundTrip(stream.client);
    gate.resolve();
    await expectNext('{"type":3,"invocationId":"cw","result":[1,2]}');
    await assertNextIsBarrier();
  });

  test('items for the upload of an invocation that has ended are ignored', async () => {
    send({ type: 1, invocationId: 'one', target: 'takeOne', arguments: [], streamIds: ['o'] }, { type: 2, invocationId: 'o', item: 5 });
    await expectNext('{"type":3,"invocationId":"one","result":5}');
    send({ type: 2, invocationId: 'o', item: 6 }, { type: 2, invocationId: 'o', item: 7 }, { type: 3, invocationId: 'o' });
    await assertNextIsBarrier();
  });

  test('M28: a full upload buffer holds back later input; an invocation that ends without reading releases it', async () => {
    const gate = state.gate('ignore');
    const items = Array.from({ length: 15 }, (_, i) => ({ type: 2, invocationId: 'ig', item: i }));
    send(
      { type: 1, invocationId: 'i', target: 'ignoreUpload', arguments: ['ignore'], streamIds: ['ig'] },
      ...items,
      { type: 1, target: 'record', arguments: ['after-items'] },
      { type: 1, invocationId: 'b', target: 'add', arguments: [2, 2] },
    );
    // Everything has reached the hub connection; `record` runs synchronously when dispatched.
    await roundTrip(stream.client);
    assert.deepEqual(state.log, [], 'an invocation behind a full upload buffer ran');
    gate.resolve();
    // The held-back messages must now be processed without any further input from the client.
    // The two calls run independently (uploads take no slot): either Completion may come first.
    const answers = [await stream.nextNonPing(2000), await stream.nextNonPing(2000)].sort();
    assert.deepEqual(answers, ['{"type":3,"invocationId":"b","result":4}', '{"type":3,"invocationId":"i","result":"ignored"}']);
    assert.deepEqual(state.log, ['after-items']);
  });
});

describe('stray stream messages', () => {
  test('M14: StreamItem, Completion and CancelInvocation for unknown ids are ignored', async () => {
    send(
      { type: 2, invocationId: 'nope', item: 1 },
      { type: 3, invocationId: 'nope' },
      { type: 3, invocationId: 'nope-2', result: 1 },
      { type: 3, invocationId: 'nope-3', error: 'x' },
      { type: 5, invocationId: 'nope-4' },
    );
    await assertNextIsBarrier();
    // Ids of finished calls are unknown too.
    send({ type: 4, invocationId: 'done', target: 'counter', arguments: [0] });
    await expectNext('{"type":3,"invocationId":"done"}');
    send({ type: 5, invocationId: 'done' }, { type: 2, invocationId: 'done', item: 1 }, { type: 3, invocationId: 'done' });
    await assertNextIsBarrier();
  });

  test('a Completion for a client-result id the server never issued is ignored', async () => {
    // ASP.NET numbers its client-result ids s1, s2, … per connection; these cover the next ones.
    send({ type: 3, invocationId: 's1', result: 'stale' }, { type: 3, invocationId: 's2', error: 'stale' }, { type: 3, invocationId: 's3' });
    await roundTrip(stream.client);
    // The next real client-result call is not answered by the stale Completions.
    send({ type: 1, invocationId: 'q', target: 'ask', arguments: [] });
    const invocation = JSON.parse(await stream.nextNonPing()) as Record<string, unknown>;
    const serverId = invocation['invocationId'];
    assert.deepEqual(invocation, { type: 1, invocationId: serverId, target: 'GetMessage', arguments: [] });
    assert.ok(typeof serverId === 'string' && /^s[0-9]+$/.test(serverId), `expected an s-prefixed id; got ${String(serverId)}`);
    send({ type: 3, invocationId: serverId, result: 'fresh' });
    await expectNext('{"type":3,"invocationId":"q","result":"fresh"}');
    await assertNextIsBarrier();
  });
});
