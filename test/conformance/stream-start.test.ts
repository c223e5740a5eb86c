/**
 * Conformance: a streaming method always starts, even when its StreamInvocation and the
 * CancelInvocation for it arrive in the same read — in one WebSocket frame, or in two frames of
 * one TCP write. ASP.NET always calls the method and its first MoveNextAsync, then cancels it, so
 * the method's cancellation logic runs; the client gets a Completion without error.
 * Reference: signalr-protocol.md §8.1 (cancel), §8.2 (cancellation of a server stream), case M9.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from 'hubwire';
import { Deferred } from '../support/deferred.js';
import { JsonStream, framed } from '../support/json-stream.js';
import { RawClient, RS } from '../support/raw-client.js';
import { TcpWebSocket, maskedTextFrame } from '../support/tcp-websocket.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** What one stream's producer went through. */
class Run {
  entered = false;
  abortedOnEntry: boolean | undefined;
  listenerRan = false;
  sawAborted: boolean | undefined;
  yielded = 0;
  readonly data = new Deferred();
  readonly finished = new Deferred();
}
const runs = new Map<string, Run>();
function run(name: string): Run {
  let entry = runs.get(name);
  if (entry === undefined) runs.set(name, (entry = new Run()));
  return entry;
}

/** Resolves when `signal` aborts (listening from now on). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

class EarlyHub extends Hub {
  add(a: number, b: number): number {
    return a + b;
  }

  /** A producer that subscribes to its signal on entry and waits for it before each item. */
  async *watch(name: string): AsyncGenerator<string> {
    const entry = run(name);
    entry.entered = true;
    const signal = this.invocation.signal;
    entry.abortedOnEntry = signal.aborted;
    signal.addEventListener('abort', () => (entry.listenerRan = true), { once: true });
    const stop = aborted(signal);
    try {
      for (;;) {
        // A real producer races its data source against the signal; this one's never delivers.
        await Promise.race([stop, entry.data.promise]);
        if (signal.aborted) break;
        entry.yielded++;
        yield `${name}-${entry.yielded}`;
      }
      entry.sawAborted = signal.aborted;
    } finally {
      entry.finished.resolve();
    }
  }

  /** A producer that yields at once and never looks at its signal: only its `finally` shows. */
  async *eager(name: string): AsyncGenerator<number> {
    const entry = run(name);
    entry.entered = true;
    try {
      for (let i = 0; ; i++) {
        entry.yielded++;
        yield i;
      }
    } finally {
      entry.finished.resolve();
    }
  }
}

let server: TestServer;

before(async () => {
  server = await startTestServer((hw) => {
    hw.mapHub('/hub', EarlyHub);
    // Authorizing a method awaits a policy; the cancel right behind must still find the stream.
    hw.mapHub('/authorized', EarlyHub, {
      authenticate: () => ({ userIdentifier: 'u', claims: {} }),
      authorizeMethods: { watch: { policy: async () => true } },
    });
  });
});

after(() => server.close());

const streamInvocation = (id: string, target: string, name: string) => ({ type: 4, invocationId: id, target, arguments: [name] });
const cancel = (id: string) => ({ type: 5, invocationId: id });

/** The producer ran, saw its signal abort (its listener ran too) and finished. */
async function assertStartedAndCancelled(name: string): Promise<void> {
  const entry = run(name);
  await entry.finished.wait(5000, `${name}'s finally`);
  assert.equal(entry.entered, true, 'the method body ran');
  assert.equal(entry.abortedOnEntry, false, 'the signal aborts after the body has started, so its listeners run');
  assert.equal(entry.listenerRan, true, 'the abort listener ran');
  assert.equal(entry.sawAborted, true, 'the method saw signal.aborted');
  assert.equal(entry.yielded, 0);
}

describe('StreamInvocation and its CancelInvocation in one read', () => {
  test('in one WebSocket frame: the method starts, is cancelled, and a Completion without error follows', async () => {
    const stream = new JsonStream(await RawClient.handshaken(server.wsUrl('/hub')));
    try {
      stream.send(framed(streamInvocation('s', 'watch', 'one-frame'), cancel('s')));
      assert.equal(await stream.nextNonPing(), '{"type":3,"invocationId":"s"}');
      await assertStartedAndCancelled('one-frame');
      stream.send(framed({ type: 1, invocationId: 'b', target: 'add', arguments: [1, 2] }));
      assert.equal(await stream.nextNonPing(), '{"type":3,"invocationId":"b","result":3}');
    } finally {
      stream.client.close();
    }
  });

  test('in two frames written in one TCP write: the same', async () => {
    const client = await TcpWebSocket.handshaken(server.port, '/hub');
    try {
      client.write(
        maskedTextFrame(JSON.stringify(streamInvocation('s', 'watch', 'two-frames')) + RS),
        maskedTextFrame(JSON.stringify(cancel('s')) + RS),
      );
      assert.equal(await client.nextNonPing(), '{"type":3,"invocationId":"s"}');
      await assertStartedAndCancelled('two-frames');
      client.write(maskedTextFrame(JSON.stringify({ type: 1, invocationId: 'b', target: 'add', arguments: [1, 2] }) + RS));
      assert.equal(await client.nextNonPing(), '{"type":3,"invocationId":"b","result":3}');
    } finally {
      client.destroy();
    }
  });

  test('a method with an authorization policy: the cancel that arrives while the policy runs still starts and cancels it', async () => {
    const stream = new JsonStream(await RawClient.handshaken(server.wsUrl('/authorized')));
    try {
      stream.send(framed(streamInvocation('s', 'watch', 'authorized'), cancel('s')));
      assert.equal(await stream.nextNonPing(), '{"type":3,"invocationId":"s"}');
      await assertStartedAndCancelled('authorized');
    } finally {
      stream.client.close();
    }
  });

  test('a producer that ignores its signal is started, its first item dropped, and its finally runs', async () => {
    const stream = new JsonStream(await RawClient.handshaken(server.wsUrl('/hub')));
    try {
      stream.send(framed(streamInvocation('e', 'eager', 'eager'), cancel('e')));
      assert.equal(await stream.nextNonPing(), '{"type":3,"invocationId":"e"}');
      const entry = run('eager');
      await entry.finished.wait(5000, "eager's finally");
      assert.equal(entry.entered, true);
      assert.equal(entry.yielded, 1, 'asked for exactly one item, which was not sent');
    } finally {
      stream.client.close();
    }
  });
});
