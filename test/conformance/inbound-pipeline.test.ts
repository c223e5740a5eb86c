/**
 * The inbound pipeline under load (issue #14, defects 1, 2, 5, 7, 9): a connection is never
 * timed out for silence its own back-pressure caused; at most a small batch of messages is parsed
 * ahead of dispatch; a long queue of client-result calls does not overflow the stack; a server
 * close is seen through at once while input is paused; a reused upload stream id is refused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hub, type CounterMetrics, type HubCallerContext, type HubServerOptions } from 'hubwire';
import { FakeClock } from '../support/fake-clock.js';
import { JsonStream, PING_TEXT, framed, roundTrip } from '../support/json-stream.js';
import { RawClient, RS } from '../support/raw-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';
import { invocation } from './fixtures.js';

/** What the tests steer and observe, per server. */
class PipelineState {
  #open!: () => void;
  gate = new Promise<void>((resolve) => (this.#open = resolve));
  readonly contexts: HubCallerContext[] = [];
  uploadsRead = 0;
  open(): void {
    this.#open();
  }
}

class PipelineHub extends Hub {
  constructor(private readonly state: PipelineState) {
    super();
  }
  override onConnected() {
    this.state.contexts.push(this.context);
  }
  async held(i: number) {
    await this.state.gate;
    return i;
  }
  quick(i: number) {
    return i;
  }
  async ask(i: number) {
    return await this.clients.caller.invoke('answer', i);
  }
  async upload(items: AsyncIterable<number>) {
    let total = 0;
    for await (const item of items) {
      await this.state.gate;
      this.state.uploadsRead++;
      total += item;
    }
    return total;
  }
}

interface Setup {
  readonly server: TestServer;
  readonly state: PipelineState;
  readonly metrics: CounterMetrics;
  open(): Promise<JsonStream>;
}

async function withServer(body: (setup: Setup) => Promise<void>, options: HubServerOptions = {}): Promise<void> {
  const state = new PipelineState();
  const server = await startTestServer((hubwire) => hubwire.mapHub('/hub', PipelineHub, { create: () => new PipelineHub(state) }), {
    maximumParallelInvocationsPerClient: 1,
    ...options,
  });
  const streams: JsonStream[] = [];
  try {
    await body({
      server,
      state,
      metrics: server.hubwire.metrics as CounterMetrics,
      async open() {
        const stream = new JsonStream(await RawClient.handshaken(server.wsUrl('/hub')));
        streams.push(stream);
        await until(() => state.contexts.length >= streams.length, 5000, 'onConnected');
        return stream;
      },
    });
  } finally {
    state.open();
    for (const stream of streams) stream.client.close();
    await server.close();
  }
}

/** Reads messages until `count` Completions arrived; answers client-result calls on the way. */
async function completions(stream: JsonStream, count: number, ms = 20_000): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  const deadline = Date.now() + ms;
  while (found.length < count) {
    const text = await stream.next(Math.max(1, deadline - Date.now()));
    if (text === PING_TEXT) continue;
    const message = JSON.parse(text) as Record<string, unknown>;
    if (message['type'] === 1 && message['target'] === 'answer') {
      stream.send(framed({ type: 3, invocationId: message['invocationId'], result: (message['arguments'] as number[])[0] }));
    } else if (message['type'] === 3) {
      found.push(message);
    } else {
      throw new Error(`unexpected message ${text}`);
    }
  }
  return found;
}

describe('inbound pipeline', () => {
  test('defect 1: a client whose calls wait behind a busy slot is not timed out while the server is not reading it', async () => {
    const clock = new FakeClock();
    await withServer(
      async ({ open, state }) => {
        const stream = await open();
        stream.send(framed(PING_TEXT)); // the client has shown it pings: the client timeout is armed
        // 100 calls at once, as the official client sends them; parallelism 1 holds 99 back.
        stream.send(Array.from({ length: 100 }, (_, i) => invocation('held', [i], String(i)) + RS).join(''));
        await roundTrip(stream.client);
        // Far past clientTimeoutInterval (30 s) with the client silent, since the server is not reading it.
        for (let i = 0; i < 45; i++) clock.advance(1000);
        state.open();
        const done = await completions(stream, 100);
        assert.deepEqual(
          done.map((message) => message['result']),
          Array.from({ length: 100 }, (_, i) => i),
          'every call completes, in order, none with a timeout error',
        );
      },
      { clock },
    );
  });

  test('defect 1: a slowly consumed upload stream does not time its client out either', async () => {
    const clock = new FakeClock();
    await withServer(
      async ({ open, state }) => {
        const stream = await open();
        stream.send(framed(PING_TEXT));
        const items = Array.from({ length: 40 }, (_, i) => JSON.stringify({ type: 2, invocationId: 's1', item: i }) + RS).join('');
        stream.send(JSON.stringify({ type: 1, invocationId: 'u', target: 'upload', arguments: [], streamIds: ['s1'] }) + RS + items + JSON.stringify({ type: 3, invocationId: 's1' }) + RS);
        await roundTrip(stream.client);
        for (let i = 0; i < 45; i++) clock.advance(1000);
        state.open();
        const [done] = await completions(stream, 1);
        assert.deepEqual(done, { type: 3, invocationId: 'u', result: (39 * 40) / 2 });
      },
      { clock, streamBufferCapacity: 2 },
    );
  });

  test('defect 2: a frame of thousands of invocations is parsed a small batch at a time, not all at once', async () => {
    await withServer(async ({ open, state, metrics }) => {
      const stream = await open();
      const count = 3000;
      stream.send(Array.from({ length: count }, (_, i) => invocation('held', [i], String(i)) + RS).join(''));
      await roundTrip(stream.client);
      const parsed = metrics.totals().messagesReceived;
      assert.ok(parsed <= 40, `parsed ${parsed} messages ahead of a blocked dispatch; at most a batch (32) may be`);
      state.open();
      const done = await completions(stream, count);
      assert.equal(done.length, count);
      assert.equal(done.at(-1)!['result'], count - 1);
      assert.equal(metrics.totals().messagesReceived, count);
    });
  });

  test('defect 5: 2,000 client-result calls queued behind a busy call complete without overflowing the stack', async () => {
    await withServer(async ({ open, state }) => {
      const stream = await open();
      const count = 2000;
      stream.send(invocation('held', [-1], 'first') + RS + Array.from({ length: count }, (_, i) => invocation('ask', [i], String(i)) + RS).join(''));
      await roundTrip(stream.client);
      state.open();
      const done = await completions(stream, count + 1, 30_000);
      assert.equal(done.filter((message) => message['error'] !== undefined).length, 0, JSON.stringify(done.find((message) => message['error'] !== undefined)));
      // The connection still answers afterwards.
      stream.send(framed(invocation('quick', [7], 'after')));
      assert.deepEqual((await completions(stream, 1))[0], { type: 3, invocationId: 'after', result: 7 });
    });
  });

  test('defect 7: a server-initiated close completes at once even while the input is paused', async () => {
    await withServer(async ({ open, state }) => {
      const stream = await open();
      // Enough calls behind a busy slot that reading pauses.
      stream.send(Array.from({ length: 500 }, (_, i) => invocation('held', [i], String(i)) + RS).join(''));
      await roundTrip(stream.client);
      const started = Date.now();
      state.contexts[0]!.abort();
      const code = await stream.closed(4000);
      assert.equal(code, 1000);
      assert.ok(Date.now() - started < 2500, `the close took ${Date.now() - started} ms (the 5 s close timeout means the client's close frame was not read)`);
    });
  });

  test('defect 9: a second invocation reusing an open upload stream id is refused; the first stream goes on', async () => {
    await withServer(
      async ({ open, state }) => {
        const stream = await open();
        state.open();
        stream.send(framed(JSON.stringify({ type: 1, invocationId: 'a', target: 'upload', arguments: [], streamIds: ['s1'] })));
        stream.send(framed(JSON.stringify({ type: 1, invocationId: 'b', target: 'upload', arguments: [], streamIds: ['s1'] })));
        const [refused] = await completions(stream, 1);
        assert.equal(refused!['invocationId'], 'b');
        assert.equal(refused!['error'], "An unexpected error occurred invoking 'upload' on the server. HubException: Stream ID 's1' is already in use.");
        stream.send(framed(JSON.stringify({ type: 2, invocationId: 's1', item: 5 }), JSON.stringify({ type: 3, invocationId: 's1' })));
        assert.deepEqual((await completions(stream, 1))[0], { type: 3, invocationId: 'a', result: 5 });
      },
      { maximumParallelInvocationsPerClient: 4 },
    );
  });

  test('the same stream id twice in one invocation is refused too', async () => {
    await withServer(async ({ open }) => {
      const stream = await open();
      stream.send(framed(JSON.stringify({ type: 1, invocationId: 'a', target: 'upload', arguments: [], streamIds: ['s1', 's1'] })));
      const [refused] = await completions(stream, 1);
      assert.equal(refused!['error'], "An unexpected error occurred invoking 'upload' on the server. HubException: Stream ID 's1' is already in use.");
    });
  });

  test('messages after a protocol error in the same read are dropped; the ones before it run', async () => {
    await withServer(async ({ open }) => {
      const stream = await open();
      stream.send(invocation('quick', [1], '1') + RS + '{"type":1,"target":' + RS + invocation('quick', [2], '2') + RS);
      const first = JSON.parse(await stream.next()) as Record<string, unknown>;
      assert.deepEqual(first, { type: 3, invocationId: '1', result: 1 });
      const close = JSON.parse(await stream.next()) as Record<string, unknown>;
      assert.equal(close['type'], 7);
      await within(stream.closed(), 5000, 'the close');
    });
  });
});
