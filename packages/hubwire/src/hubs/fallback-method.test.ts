/**
 * mapHub's `fallbackMethod`, driven by the official client against a real server: target and
 * arguments as sent, `this` bound like a method's, results and errors answered as a method's,
 * fire-and-forget, declared methods first, the filters around it, streams and uploads still
 * refused, one bounded metric label and span name.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { clientFor, signalR } from '../../../../test/support/signalr-client.js';
import { until, within } from '../../../../test/support/wait.js';
import { HubError } from '../core/errors.js';
import { FALLBACK_METHOD } from '../core/instruments.js';
import { createRecordingMetrics } from '../core/recording-metrics.js';
import { createHubServer, type HubServer } from '../server.js';
import type { HubFilter } from './hub-filter.js';
import { Hub } from './hub.js';

class PartlyCodedHub extends Hub {
  echo(text: string) {
    return `declared:${text}`;
  }
}

/** Every call the fallback got: its name, arguments and what `this` was bound to. */
interface FallbackCall {
  readonly method: string;
  readonly args: unknown[];
  readonly connectionId: string;
  readonly invocationMethod: string;
  readonly invocationId: string | undefined;
}

const calls: FallbackCall[] = [];
/** What the filter saw, in order. */
const filtered: { methodName: string; arguments: unknown[] }[] = [];

async function fallbackMethod(this: PartlyCodedHub, method: string, args: unknown[]): Promise<unknown> {
  calls.push({ method, args, connectionId: this.context.connectionId, invocationMethod: this.invocation.methodName, invocationId: this.invocation.invocationId });
  await Promise.resolve();
  switch (method.toLowerCase()) {
    case 'crash':
      throw new TypeError('secret internals');
    case 'refuse':
      throw new HubError('not for you');
    case 'notify':
      await this.clients.caller.send('notified', method, ...args);
      return undefined;
    case 'shout':
      throw new Error('nobody hears a fire-and-forget failure');
    default:
      return { method, args, me: this.context.connectionId };
  }
}

const recorder: HubFilter = {
  async invokeMethod(context, next) {
    filtered.push({ methodName: context.methodName, arguments: [...context.arguments] });
    if (context.methodName === 'Rewrite') context.arguments = ['rewritten'];
    return next(context);
  },
};

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const metrics = createRecordingMetrics();
const HUB = { hub: '/fallback' };
let hubwire: HubServer;
let port = 0;
let connection: signalR.HubConnection;

describe('mapHub fallbackMethod', () => {
  before(async () => {
    trace.setGlobalTracerProvider(provider);
    hubwire = createHubServer({ shutdownTimeout: 1000, metrics, filters: [recorder] });
    hubwire.mapHub('/fallback', PartlyCodedHub, { fallbackMethod });
    ({ port } = await hubwire.listen({ port: 0, host: '127.0.0.1' }));
    connection = clientFor(`http://127.0.0.1:${port}/fallback`).build();
    await within(connection.start(), 5000, 'start');
  });
  after(async () => {
    await connection.stop();
    await hubwire.close();
    trace.disable();
    await provider.shutdown();
  });
  beforeEach(() => {
    calls.length = 0;
    filtered.length = 0;
    exporter.reset();
  });

  test('gets the target as sent and every argument, bound like a method, and its result is the Completion', async () => {
    assert.deepEqual(await connection.invoke('SendMessage', 'hi', 2, { x: [1] }), { method: 'SendMessage', args: ['hi', 2, { x: [1] }], me: connection.connectionId });
    assert.deepEqual(await connection.invoke('noArgs'), { method: 'noArgs', args: [], me: connection.connectionId });
    assert.equal(calls.length, 2);
    assert.equal(calls[0]!.invocationMethod, 'SendMessage');
    assert.equal(typeof calls[0]!.invocationId, 'string');
  });

  test('a throw is the usual error Completion: the generic text, or a HubError message', async () => {
    await assert.rejects(connection.invoke('Crash'), (error: Error) => {
      assert.equal(error.message, "An unexpected error occurred invoking 'Crash' on the server.");
      return true;
    });
    await assert.rejects(connection.invoke('refuse', 1), (error: Error) => {
      assert.equal(error.message, "An unexpected error occurred invoking 'refuse' on the server. HubException: not for you");
      return true;
    });
  });

  test('fire-and-forget reaches it (no invocation id), and a failing one answers nothing and keeps the connection', async () => {
    const notified = new Promise<unknown[]>((resolve) => connection.on('notified', (...args: unknown[]) => resolve(args)));
    await connection.send('Notify', 'a', 'b');
    assert.deepEqual(await within(notified, 5000, 'notified'), ['Notify', 'a', 'b']);
    connection.off('notified');
    assert.equal(calls[0]!.invocationId, undefined);
    await connection.send('Shout');
    await until(() => calls.length === 2, 5000, 'the failing send ran');
    assert.deepEqual(await connection.invoke('ping'), { method: 'ping', args: [], me: connection.connectionId });
    assert.equal(connection.state, signalR.HubConnectionState.Connected);
  });

  test('a declared method wins in any case; a wrong argument count on it is refused, not a fallback', async () => {
    assert.equal(await connection.invoke('Echo', 'x'), 'declared:x');
    assert.equal(await connection.invoke('ECHO', 'y'), 'declared:y');
    await assert.rejects(connection.invoke('echo', 'a', 'b'), /Failed to invoke 'echo' due to an error on the server\./);
    assert.equal(calls.length, 0);
  });

  test('filters see the target as methodName, and arguments they replace are what it gets', async () => {
    await connection.invoke('Whatever', 7);
    assert.deepEqual(await connection.invoke('Rewrite', 'original'), { method: 'Rewrite', args: ['rewritten'], me: connection.connectionId });
    assert.deepEqual(filtered, [
      { methodName: 'Whatever', arguments: [7] },
      { methodName: 'Rewrite', arguments: ['original'] },
    ]);
  });

  test('stream() and upload streams of an unknown name are still refused, without running it', async () => {
    const streamed = new Promise<Error>((resolve, reject) => {
      connection.stream('Ticker', 3).subscribe({ next: () => reject(new Error('an item came')), complete: () => reject(new Error('completed')), error: resolve });
    });
    assert.equal((await within(streamed, 5000, 'stream refusal')).message, "Failed to invoke 'Ticker' due to an error on the server. HubException: Method does not exist.");
    const upload = new signalR.Subject<number>();
    const uploading = connection.invoke('Upload', upload);
    upload.complete();
    await assert.rejects(uploading, { message: "Failed to invoke 'Upload' due to an error on the server. HubException: Method does not exist." });
    assert.equal(calls.length, 0);
  });

  test('metrics and spans name every fallback call (fallback), never the name the client sent', async () => {
    const before = metrics.count('invocations', { ...HUB, method: FALLBACK_METHOD });
    await connection.invoke('Made-Up-Name-1');
    await connection.invoke('Made-Up-Name-2');
    await assert.rejects(connection.invoke('refuse'));
    assert.equal(metrics.count('invocations', { ...HUB, method: FALLBACK_METHOD }) - before, 3);
    assert.equal(metrics.count('invocations', { ...HUB, method: 'Made-Up-Name-1' }), 0);
    assert.ok(metrics.count('invocationErrors', { ...HUB, method: FALLBACK_METHOD, code: 'hub_error' }) >= 1);
    await until(() => exporter.getFinishedSpans().length >= 3, 5000, 'three spans');
    const names = new Set(exporter.getFinishedSpans().map((span) => span.name));
    assert.deepEqual([...names], [`PartlyCodedHub/${FALLBACK_METHOD}`]);
  });
});

describe('mapHub fallbackMethod without filters', () => {
  test('the filterless path falls back too; a hub without one still refuses unknown names', async () => {
    const server = createHubServer({ shutdownTimeout: 1000 });
    server.mapHub('/with', PartlyCodedHub, { fallbackMethod: (method, args) => `${method}(${args.length})` });
    server.mapHub('/without', class PlainHub extends Hub {});
    const { port: at } = await server.listen({ port: 0, host: '127.0.0.1' });
    const withIt = clientFor(`http://127.0.0.1:${at}/with`).build();
    const without = clientFor(`http://127.0.0.1:${at}/without`).build();
    try {
      await within(Promise.all([withIt.start(), without.start()]), 5000, 'start');
      assert.equal(await withIt.invoke('Any', 1, 2, 3), 'Any(3)');
      assert.equal(await withIt.invoke('echo', 'z'), 'declared:z');
      await assert.rejects(without.invoke('Any'), { message: "Failed to invoke 'Any' due to an error on the server. HubException: Method does not exist." });
    } finally {
      await Promise.all([withIt.stop(), without.stop()]);
      await server.close();
    }
  });

  test('a fallbackMethod that is not a function is refused at mapHub', () => {
    const server = createHubServer();
    assert.throws(() => server.mapHub('/bad', PartlyCodedHub, { fallbackMethod: 'nope' as unknown as () => unknown }), { code: 'HUB_ERR_INVALID_OPTION' });
  });
});
