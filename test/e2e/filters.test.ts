/**
 * Hub filters around invocations, connects and disconnects, driven by the official
 * @microsoft/signalr client (and a raw client for invocation headers) against a real server.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, HubError, type HubServerOptions } from 'hubwire';
import { stopAll } from '../support/e2e.js';
import { Deferred } from '../support/deferred.js';
import { JsonStream, framed } from '../support/json-stream.js';
import { RawClient } from '../support/raw-client.js';
import { signalR } from '../support/signalr-client.js';
import { startTapped, type TappedSocket } from '../support/socket-tap.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

// The filter types are not exported by name; take them from the public options.
type HubFilter = NonNullable<HubServerOptions['filters']>[number];
type InvocationContext = Parameters<NonNullable<HubFilter['invokeMethod']>>[0];

/** What one invocation looked like to the innermost filter. */
interface Seen {
  readonly methodName: string;
  readonly invocationId: string | undefined;
  readonly headers: unknown;
  readonly hubPath: string;
  readonly connectionId: string;
  readonly hubIsInstance: boolean;
  readonly arguments: unknown[];
}

/** One connection's connect/disconnect hooks, as the filters and the hub saw them. */
class Lifecycle {
  readonly log: string[] = [];
  /** The `error` each onDisconnected filter and the hub got, in order. */
  readonly disconnectErrors: { who: string; error: Error | undefined }[] = [];
  readonly disconnected = new Deferred();
}

/**
 * Lifecycle records by connection id: disconnects of earlier tests' connections finish after
 * their test, so they must not land in a later test's records.
 */
const lifecycles = new Map<string, Lifecycle>();
function lifecycle(connectionId: string): Lifecycle {
  let entry = lifecycles.get(connectionId);
  if (entry === undefined) {
    entry = new Lifecycle();
    lifecycles.set(connectionId, entry);
  }
  return entry;
}

/** Connection ids whose disconnect filter H2 passes `replacementError` on instead of the error it got. */
const replaceErrorFor = new Set<string>();
const replacementError = new Error('replaced');

/** What the invocation filters and hub methods did, reset before every test. */
class Probe {
  readonly log: string[] = [];
  readonly seen: Seen[] = [];
  readonly methodRuns = new Map<string, number>();

  ran(method: string): number {
    return this.methodRuns.get(method) ?? 0;
  }
}
let probe = new Probe();

/** A filter that logs `NAME>x` before and `NAME<x` after each hook. */
function logging(name: string): HubFilter {
  return {
    async invokeMethod(ctx, next) {
      probe.log.push(`${name}>${ctx.methodName}`);
      try {
        return await next(ctx);
      } finally {
        probe.log.push(`${name}<${ctx.methodName}`);
      }
    },
    async onConnected(ctx, next) {
      const { log } = lifecycle(ctx.context.connectionId);
      log.push(`${name}>connected`);
      await next(ctx);
      log.push(`${name}<connected`);
    },
    async onDisconnected(ctx, error, next) {
      const { connectionId } = ctx.context;
      const { log, disconnectErrors } = lifecycle(connectionId);
      log.push(`${name}>disconnected`);
      disconnectErrors.push({ who: name, error });
      await next(ctx, name === 'H2' && replaceErrorFor.has(connectionId) ? replacementError : error);
      log.push(`${name}<disconnected`);
    },
  };
}

/** The innermost filter: records what it sees and misbehaves on demand, by method. */
const behaving: HubFilter = {
  async invokeMethod(ctx, next) {
    probe.seen.push({
      methodName: ctx.methodName,
      invocationId: ctx.invocationId,
      headers: ctx.headers,
      hubPath: ctx.hubPath,
      connectionId: ctx.context.connectionId,
      hubIsInstance: ctx.hub instanceof FilteredHub,
      arguments: [...ctx.arguments],
    });
    switch (ctx.methodName) {
      case 'guarded':
        throw new HubError('Not allowed here.');
      case 'plainGuarded':
        throw new Error('a secret reason');
      case 'shortcut':
        return 'from the filter';
      case 'twice':
        await next(ctx);
        return next(ctx);
      case 'scaled':
        ctx.arguments = ctx.arguments.map((value) => (value as number) * 10);
        return next(ctx);
      case 'spread':
        return next({ ...ctx, arguments: ['spread'] });
      case 'fresh': {
        // A new object of the documented shape, as a filter written against the types would build.
        const fresh: InvocationContext = {
          hub: ctx.hub,
          context: ctx.context,
          hubPath: ctx.hubPath,
          methodName: ctx.methodName,
          arguments: ['fresh'],
          invocationId: ctx.invocationId,
          headers: ctx.headers,
          signal: ctx.signal,
        };
        return next(fresh);
      }
      default:
        return next(ctx);
    }
  },
};

class FilteredHub extends Hub {
  #ran(method: string): void {
    probe.methodRuns.set(method, probe.ran(method) + 1);
  }

  async add(a: number, b: number): Promise<number> {
    probe.log.push('method:start');
    await new Promise((resolve) => setImmediate(resolve));
    probe.log.push('method:end');
    this.#ran('add');
    return a + b;
  }
  guarded(): string {
    this.#ran('guarded');
    return 'ran';
  }
  plainGuarded(): string {
    this.#ran('plainGuarded');
    return 'ran';
  }
  shortcut(): string {
    this.#ran('shortcut');
    return 'from the method';
  }
  twice(): string {
    this.#ran('twice');
    return 'ran';
  }
  scaled(a: number, b: number): number[] {
    return [a, b];
  }
  spread(value: string): string {
    return value;
  }
  fresh(value: string): string {
    return value;
  }
  record(tag: string): void {
    probe.log.push(`record:${tag}`);
  }

  override async onConnected(): Promise<void> {
    lifecycle(this.context.connectionId).log.push('hub:connected');
  }

  override async onDisconnected(error?: Error): Promise<void> {
    const entry = lifecycle(this.context.connectionId);
    entry.log.push('hub:disconnected');
    entry.disconnectErrors.push({ who: 'hub', error });
    entry.disconnected.resolve();
  }
}

let server: TestServer;
const open = new Set<signalR.HubConnection>();

async function client(path = '/hub'): Promise<{ connection: signalR.HubConnection; socket: TappedSocket }> {
  return startTapped(server.url(path), open);
}

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await within(
    promise.then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    ),
  );
  assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
  return error.message;
}

before(async () => {
  server = await startTestServer(
    (hw) => {
      hw.mapHub('/hub', FilteredHub, { filters: [logging('H1'), logging('H2'), behaving] });
      hw.mapHub('/detailed', FilteredHub, { filters: [behaving], enableDetailedErrors: true });
      hw.mapHub('/server-only', FilteredHub);
    },
    { filters: [logging('S1'), logging('S2')] },
  );
});

beforeEach(() => {
  probe = new Probe();
});

afterEach(async () => {
  await stopAll(open);
  open.clear();
});

after(async () => {
  await stopAll(open);
  await within(server.close(), 5000, 'server close');
});

/** The invocation log. */
function invocationLog(): string[] {
  return probe.log;
}

describe('invokeMethod filters', () => {
  test('order: server filters then hub filters, outermost first, around the whole method', async () => {
    const { connection } = await client();
    assert.equal(await within(connection.invoke('Add', 2, 3)), 5);
    assert.deepEqual(invocationLog(), [
      'S1>add',
      'S2>add',
      'H1>add',
      'H2>add',
      'method:start',
      'method:end',
      'H2<add',
      'H1<add',
      'S2<add',
      'S1<add',
    ]);
  });

  test('server filters alone apply to a hub mapped without its own', async () => {
    const { connection } = await client('/server-only');
    assert.equal(await within(connection.invoke('add', 1, 1)), 2);
    assert.deepEqual(invocationLog(), ['S1>add', 'S2>add', 'method:start', 'method:end', 'S2<add', 'S1<add']);
  });

  test('a filter rewrites the arguments (in place, or with a spread copy of the context)', async () => {
    const { connection } = await client();
    assert.deepEqual(await within(connection.invoke('Scaled', 1, 2)), [10, 20]);
    assert.equal(await within(connection.invoke('Spread', 'original')), 'spread');
  });

  test('a filter may pass next() a new context object of the documented shape', async () => {
    const { connection } = await client();
    assert.equal(await within(connection.invoke('Fresh', 'original')), 'fresh');
  });

  test('a filter that throws a HubError: the client gets its text and the method does not run', async () => {
    const { connection } = await client();
    assert.equal(await failure(connection.invoke('Guarded')), "An unexpected error occurred invoking 'Guarded' on the server. HubException: Not allowed here.");
    assert.equal(probe.ran('guarded'), 0);
    // The outer filters saw the failure go through them.
    assert.deepEqual(invocationLog(), ['S1>guarded', 'S2>guarded', 'H1>guarded', 'H2>guarded', 'H2<guarded', 'H1<guarded', 'S2<guarded', 'S1<guarded']);
  });

  test('a filter that throws a plain Error: the generic text, without the reason', async () => {
    const { connection } = await client();
    const message = await failure(connection.invoke('PlainGuarded'));
    assert.equal(message, "An unexpected error occurred invoking 'PlainGuarded' on the server.");
    assert.equal(probe.ran('plainGuarded'), 0);
  });

  test('a filter that returns without next(): its value is the result and the method does not run', async () => {
    const { connection } = await client();
    assert.equal(await within(connection.invoke('Shortcut')), 'from the filter');
    assert.equal(probe.ran('shortcut'), 0);
  });

  test('next() called twice: the invocation fails with the generic text and the method ran once', async () => {
    const { connection } = await client();
    assert.equal(await failure(connection.invoke('Twice')), "An unexpected error occurred invoking 'Twice' on the server.");
    assert.equal(probe.ran('twice'), 1);
    assert.equal(await within(connection.invoke('Add', 1, 2)), 3, 'the connection is still usable');
  });

  test('next() called twice, detailed errors: the reason is shown', async () => {
    const { connection } = await client('/detailed');
    assert.equal(await failure(connection.invoke('Twice')), "An unexpected error occurred invoking 'Twice' on the server. Error: A hub filter called next() twice.");
  });

  test('filters see the declared methodName, the invocationId (undefined for send), the hub and its path', async () => {
    const { connection, socket } = await client();
    await within(connection.invoke('ADD', 1, 2));
    await within(connection.send('Record', 'sent'));
    await until(() => probe.seen.length === 2, 5000, 'the send to reach the filter');
    const invokeId = socket.sent.find((m) => m['target'] === 'ADD')!['invocationId'];
    assert.equal(typeof invokeId, 'string');
    assert.deepEqual(probe.seen, [
      { methodName: 'add', invocationId: invokeId, headers: undefined, hubPath: '/hub', connectionId: connection.connectionId, hubIsInstance: true, arguments: [1, 2] },
      { methodName: 'record', invocationId: undefined, headers: undefined, hubPath: '/hub', connectionId: connection.connectionId, hubIsInstance: true, arguments: ['sent'] },
    ]);
  });

  test('filters see the headers of an invocation (raw client)', async () => {
    const stream = new JsonStream(await RawClient.handshaken(server.wsUrl('/hub')));
    try {
      stream.send(framed({ type: 1, invocationId: 'h1', target: 'add', arguments: [1, 2], headers: { tenant: 'acme', trace: 'abc' } }));
      assert.equal(await stream.nextNonPing(), '{"type":3,"invocationId":"h1","result":3}');
      assert.deepEqual(probe.seen.at(-1)!.headers, { tenant: 'acme', trace: 'abc' });
      assert.equal(probe.seen.at(-1)!.invocationId, 'h1');
    } finally {
      stream.client.close();
    }
  });
});

describe('onConnected and onDisconnected filters', () => {
  /** A started client whose onConnected filters have all finished (the handshake reply comes first). */
  async function connected(): Promise<{ connection: signalR.HubConnection; socket: TappedSocket; entry: Lifecycle }> {
    const started = await client();
    const entry = lifecycle(started.connection.connectionId!);
    await until(() => entry.log.includes('S1<connected'), 5000, 'the outermost connect filter to finish');
    return { ...started, entry };
  }

  test('run around the hub hooks in order; a client stop passes no error through', async () => {
    const { connection, entry } = await connected();
    assert.deepEqual(entry.log, ['S1>connected', 'S2>connected', 'H1>connected', 'H2>connected', 'hub:connected', 'H2<connected', 'H1<connected', 'S2<connected', 'S1<connected']);
    entry.log.length = 0;
    await within(connection.stop(), 5000, 'client stop');
    await entry.disconnected.wait(5000, 'onDisconnected');
    await until(() => entry.log.includes('S1<disconnected'), 5000, 'the outermost disconnect filter to finish');
    assert.deepEqual(entry.log, [
      'S1>disconnected',
      'S2>disconnected',
      'H1>disconnected',
      'H2>disconnected',
      'hub:disconnected',
      'H2<disconnected',
      'H1<disconnected',
      'S2<disconnected',
      'S1<disconnected',
    ]);
    assert.deepEqual(
      entry.disconnectErrors.map(({ who, error }) => [who, error]),
      [
        ['S1', undefined],
        ['S2', undefined],
        ['H1', undefined],
        ['H2', undefined],
        ['hub', undefined],
      ],
    );
  });

  test('an abnormal disconnect: every filter and the hub get the same error object', async () => {
    const { socket, entry } = await connected();
    socket.socket.terminate();
    await entry.disconnected.wait(5000, 'onDisconnected');
    const errors = entry.disconnectErrors.map(({ error }) => error);
    assert.deepEqual(
      entry.disconnectErrors.map(({ who }) => who),
      ['S1', 'S2', 'H1', 'H2', 'hub'],
    );
    assert.ok(errors[0] instanceof Error, `the first filter got no error: ${String(errors[0])}`);
    for (const error of errors) assert.equal(error, errors[0]);
  });

  test('a filter can replace the error passed on to the inner filters and the hub', async () => {
    const { connection, entry } = await connected();
    replaceErrorFor.add(connection.connectionId!);
    await within(connection.stop(), 5000, 'client stop');
    await entry.disconnected.wait(5000, 'onDisconnected');
    const byWho = new Map(entry.disconnectErrors.map(({ who, error }) => [who, error]));
    assert.equal(byWho.get('H2'), undefined);
    assert.equal(byWho.get('hub'), replacementError);
  });
});
