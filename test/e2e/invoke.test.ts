/**
 * Invocations, client handlers and the hub context, driven by the official @microsoft/signalr
 * client against a real server.
 */
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, HubError } from 'hubwire';
import { Inbox, connectWithin, nextMessage, onceCallback, stopAll } from '../support/e2e.js';
import { RecordingLifetimeManager } from '../support/recording-lifetime.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

interface InvokeClient {
  notify(text: string): void;
  welcome(connectionId: string): void;
  left(connectionId: string): void;
}

const SECRET = 'database password is hunter2';

/** What the server saw, for assertions on server-side effects. */
const fired: string[] = [];
const disconnects: { connectionId: string; error: Error | undefined; memberDuringHook: boolean }[] = [];
const lifetimes = new Map<string, RecordingLifetimeManager>();

class InvokeHub extends Hub<InvokeClient> {
  override async onConnected(): Promise<void> {
    await this.clients.caller.welcome(this.context.connectionId);
  }

  override async onDisconnected(error?: Error): Promise<void> {
    const { connectionId, items } = this.context;
    const group = items.get('group') as string | undefined;
    const memberDuringHook = group !== undefined && lifetimes.get('/hub')!.isMember(connectionId, group);
    disconnects.push({ connectionId, error, memberDuringHook });
    if (group !== undefined) await this.clients.othersInGroup(group).left(connectionId);
  }

  getNumber(): number {
    return 42;
  }
  getObject(): unknown {
    return { name: 'hubwire', count: 3, nested: { list: [1, 'two', null], flag: true } };
  }
  getNull(): null {
    return null;
  }
  doNothing(): void {}
  add(a: number, b: number): number {
    return a + b;
  }
  async addLater(a: number, b: number): Promise<number> {
    await new Promise((resolve) => setImmediate(resolve));
    return a + b;
  }
  throwHubError(): never {
    throw new HubError('Room is full.');
  }
  throwError(): never {
    throw new Error(SECRET);
  }
  async rejectLater(): Promise<never> {
    await new Promise((resolve) => setImmediate(resolve));
    throw new Error(SECRET);
  }
  fireAndForget(tag: string): void {
    fired.push(tag);
  }
  async notifyCaller(text: string): Promise<string> {
    await this.clients.caller.notify(text);
    return 'sent';
  }
  async notifyCallerAs(method: string, text: string): Promise<void> {
    await this.clients.caller.send(method, text);
  }
  whoAmI(): string {
    return this.context.connectionId;
  }
  count(): number {
    const next = ((this.context.items.get('count') as number | undefined) ?? 0) + 1;
    this.context.items.set('count', next);
    return next;
  }
  async join(group: string): Promise<void> {
    await this.groups.add(this.context.connectionId, group);
    this.context.items.set('group', group);
  }
  abortMe(): void {
    this.context.abort();
  }
}

// Compile-time checks of the typed client proxy (never run).
function typedProxyChecks(hub: InvokeHub): void {
  // @ts-expect-error notify takes a string
  void hub.clients.caller.notify(42);
  // @ts-expect-error the client interface has no such method
  void hub.clients.caller.noSuchClientMethod();
  void hub.clients.all.welcome('id');
}
void typedProxyChecks;

let server: TestServer;
const open = new Set<signalR.HubConnection>();

async function client(path = '/hub'): Promise<signalR.HubConnection> {
  const connection = await connectWithin(server.url(path));
  open.add(connection);
  return connection;
}

before(async () => {
  server = await startTestServer(
    (hw) => {
      hw.mapHub('/hub', InvokeHub);
      hw.mapHub('/detailed', InvokeHub, { enableDetailedErrors: true });
    },
    {
      lifetimeManager: ({ hubPath, metrics }) => {
        const manager = new RecordingLifetimeManager({ metrics, labels: { hub: hubPath } });
        lifetimes.set(hubPath, manager);
        return manager;
      },
    },
  );
});

afterEach(async () => {
  await stopAll(open);
  open.clear();
});

after(async () => {
  await stopAll(open);
  await within(server.close(), 5000, 'server close');
});

describe('invoke results', () => {
  test('returns numbers, objects and null', async () => {
    const c = await client();
    assert.equal(await within(c.invoke('getNumber')), 42);
    assert.deepEqual(await within(c.invoke('getObject')), { name: 'hubwire', count: 3, nested: { list: [1, 'two', null], flag: true } });
    assert.equal(await within(c.invoke('getNull')), null);
  });

  test('a void method completes and the client resolves with undefined', async () => {
    const c = await client();
    // A void Completion carries no `result`; the JS client resolves with what is there: undefined.
    assert.equal(await within(c.invoke('doNothing')), undefined);
  });

  test('arguments are passed positionally', async () => {
    const c = await client();
    assert.equal(await within(c.invoke('add', 2, 3)), 5);
  });

  test('async methods are awaited', async () => {
    const c = await client();
    assert.equal(await within(c.invoke('addLater', 20, 22)), 42);
  });

  test('method names are matched case-insensitively', async () => {
    const c = await client();
    assert.equal(await within(c.invoke('GETNUMBER')), 42);
    assert.equal(await within(c.invoke('getnumber')), 42);
    assert.equal(await within(c.invoke('Add', 1, 1)), 2);
  });

  test('concurrent invokes each get their own result', async () => {
    const c = await client();
    const results = await within(Promise.all(Array.from({ length: 20 }, (_, i) => c.invoke('addLater', i, 1000))));
    assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i + 1000));
  });
});

describe('invoke errors', () => {
  async function failure(promise: Promise<unknown>): Promise<string> {
    const error = await within(promise.then(
      () => assert.fail('expected the invocation to fail'),
      (e: unknown) => e,
    ));
    assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
    return error.message;
  }

  test('a HubError message reaches the client', async () => {
    const c = await client();
    assert.equal(await failure(c.invoke('throwHubError')), "An unexpected error occurred invoking 'throwHubError' on the server. HubException: Room is full.");
  });

  test('a plain Error gives the generic text without its message', async () => {
    const c = await client();
    const message = await failure(c.invoke('throwError'));
    assert.equal(message, "An unexpected error occurred invoking 'throwError' on the server.");
    assert.ok(!message.includes('hunter2'));
  });

  test('an async rejection gives the generic text', async () => {
    const c = await client();
    assert.equal(await failure(c.invoke('rejectLater')), "An unexpected error occurred invoking 'rejectLater' on the server.");
  });

  test('with enableDetailedErrors the error type and message are appended', async () => {
    const c = await client('/detailed');
    const base = "An unexpected error occurred invoking 'throwError' on the server.";
    const message = await failure(c.invoke('throwError'));
    assert.match(message, new RegExp(`^${escape(base)} \\w+: ${escape(SECRET)}$`));
    assert.equal(await failure(c.invoke('throwHubError')), "An unexpected error occurred invoking 'throwHubError' on the server. HubException: Room is full.");
  });

  test('an unknown method gives "Method does not exist."', async () => {
    const c = await client();
    assert.equal(await failure(c.invoke('noSuchMethod', 1)), "Failed to invoke 'noSuchMethod' due to an error on the server. HubException: Method does not exist.");
  });

  test('lifecycle methods are not invocable', async () => {
    const c = await client();
    assert.equal(await failure(c.invoke('onConnected')), "Failed to invoke 'onConnected' due to an error on the server. HubException: Method does not exist.");
    assert.equal(await failure(c.invoke('OnDisconnected', null)), "Failed to invoke 'OnDisconnected' due to an error on the server. HubException: Method does not exist.");
  });

  test('a wrong argument count gives the binding failure text', async () => {
    const c = await client();
    assert.equal(await failure(c.invoke('add', 1)), "Failed to invoke 'add' due to an error on the server.");
    assert.equal(await failure(c.invoke('add', 1, 2, 3)), "Failed to invoke 'add' due to an error on the server.");
  });

  test('with enableDetailedErrors a wrong argument count says how many were expected', async () => {
    const c = await client('/detailed');
    assert.equal(
      await failure(c.invoke('add', 1)),
      "Failed to invoke 'add' due to an error on the server. InvalidDataException: Invocation provides 1 argument(s) but target expects 2.",
    );
  });

  test('a failed invocation leaves the connection usable', async () => {
    const c = await client();
    await failure(c.invoke('throwError'));
    await failure(c.invoke('noSuchMethod'));
    assert.equal(await within(c.invoke('getNumber')), 42);
    assert.equal(c.state, signalR.HubConnectionState.Connected);
  });
});

describe('send (fire-and-forget)', () => {
  test('send runs the method', async () => {
    const c = await client();
    const tag = `send-${Date.now()}-${Math.random()}`;
    await within(c.send('fireAndForget', tag));
    await until(() => fired.includes(tag), 5000, 'the fire-and-forget method to run');
    assert.equal(fired.filter((t) => t === tag).length, 1);
  });

  test('failing sends get no reply and the connection keeps working', async () => {
    const c = await client();
    await within(c.send('throwError'));
    await within(c.send('noSuchMethod'));
    await within(c.send('add', 1));
    // Invocations run in order: this completes after the three above were handled.
    assert.equal(await within(c.invoke('getNumber')), 42);
    assert.equal(c.state, signalR.HubConnectionState.Connected);
  });
});

describe('client handlers', () => {
  test('a typed hub calls this.clients.caller, and the message precedes the completion', async () => {
    const c = await client();
    const inbox = new Inbox(c, 'notify');
    assert.equal(await within(c.invoke('notifyCaller', 'hello')), 'sent');
    // Same connection, same order: the notify Invocation was written before the Completion.
    assert.deepEqual(inbox.received, ['hello']);
  });

  test('client method names are matched case-insensitively by the client', async () => {
    const c = await client();
    const inbox = new Inbox(c, 'NOTIFY');
    await within(c.invoke('notifyCallerAs', 'Notify', 'mixed case'));
    assert.deepEqual(inbox.received, ['mixed case']);
  });

  test('off(method, handler) stops delivery to that handler only', async () => {
    const c = await client();
    const first: unknown[] = [];
    const second: unknown[] = [];
    const onFirst = (text: unknown): void => void first.push(text);
    const onSecond = (text: unknown): void => void second.push(text);
    c.on('notify', onFirst);
    c.on('notify', onSecond);
    await within(c.invoke('notifyCaller', 'one'));
    assert.deepEqual(first, ['one']);
    assert.deepEqual(second, ['one']);

    c.off('notify', onFirst);
    await within(c.invoke('notifyCaller', 'two'));
    // Handlers of one message run together, so `second` having 'two' proves `first` was skipped.
    assert.deepEqual(second, ['one', 'two']);
    assert.deepEqual(first, ['one']);
  });

  test('off(method) removes every handler of the method', async () => {
    const c = await client();
    const notified: unknown[] = [];
    c.on('notify', (text: unknown) => void notified.push(text));
    c.on('notify', (text: unknown) => void notified.push(text));
    c.off('notify');
    const other = nextMessage(c, 'other');
    await within(c.invoke('notifyCallerAs', 'notify', 'dropped'));
    await within(c.invoke('notifyCallerAs', 'other', 'kept'));
    assert.deepEqual(await other, ['kept']);
    assert.deepEqual(notified, []);
  });
});

describe('hub context', () => {
  test('context.connectionId equals the client connectionId', async () => {
    const c = await client();
    assert.ok(c.connectionId);
    assert.equal(await within(c.invoke('whoAmI')), c.connectionId);
  });

  test('context.items persist across invocations of one connection only', async () => {
    const a = await client();
    const b = await client();
    assert.equal(await within(a.invoke('count')), 1);
    assert.equal(await within(a.invoke('count')), 2);
    assert.equal(await within(a.invoke('count')), 3);
    assert.equal(await within(b.invoke('count')), 1);
  });

  test('onConnected can send to the caller before its first invocation completes', async () => {
    const c = clientFor(server.url('/hub')).build();
    const welcomed: unknown[] = [];
    c.on('welcome', (id: unknown) => void welcomed.push(id));
    open.add(c);
    await within(c.start(), 5000, 'client start');
    assert.equal(await within(c.invoke('getNumber')), 42);
    assert.deepEqual(welcomed, [c.connectionId]);
  });

  test('context.abort() closes the client without a reconnect, even with automatic reconnect', async () => {
    const c = clientFor(server.url('/hub')).withAutomaticReconnect().build();
    let reconnecting = 0;
    c.onreconnecting(() => void reconnecting++);
    const closed = onceCallback<[Error | undefined]>((cb) => c.onclose(cb), 5000, 'onclose');
    open.add(c);
    await within(c.start(), 5000, 'client start');
    const id = c.connectionId!;
    await within(c.send('abortMe'));
    const [error] = await closed;
    assert.equal(error, undefined, `onclose got ${String(error)}`);
    assert.equal(reconnecting, 0, 'onreconnecting must not be called');
    assert.equal(c.state, signalR.HubConnectionState.Disconnected);
    // The server side ended on purpose: onDisconnected gets no error.
    await until(() => disconnects.some((d) => d.connectionId === id), 5000, 'onDisconnected of the aborted connection');
    assert.equal(disconnects.find((d) => d.connectionId === id)!.error, undefined);
  });

  test('onDisconnected runs on client stop with no error, while the connection is still in its groups', async () => {
    const a = await client();
    const b = await client();
    const aId = a.connectionId!;
    await within(a.invoke('join', 'room'));
    await within(b.invoke('join', 'room'));
    const left = nextMessage(b, 'left');
    await within(a.stop(), 5000, 'client stop');
    open.delete(a);
    // onDisconnected sent to othersInGroup('room'): b gets it, a (the caller) is excluded.
    assert.deepEqual(await left, [aId]);
    const record = disconnects.find((d) => d.connectionId === aId);
    assert.ok(record, 'onDisconnected ran');
    assert.equal(record.error, undefined, `onDisconnected got ${String(record.error)}`);
    assert.equal(record.memberDuringHook, true, 'the connection is still a group member while onDisconnected runs');
    // And after it, the lifetime manager forgets the connection and its groups.
    const lifetime = lifetimes.get('/hub')!;
    await lifetime.disconnected(aId);
    assert.equal(lifetime.isMember(aId, 'room'), false);
    assert.equal(lifetime.isMember(b.connectionId!, 'room'), true);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
