/**
 * Client results: the server invokes a client method and awaits the handler's answer, driven by
 * the official @microsoft/signalr client against a real server.
 * Reference: signalr-protocol.md §9; cases CR1–CR10 of §15.6.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, HubError, type HubServer } from 'hubwire';
import { stopAll } from '../support/e2e.js';
import { Deferred } from '../support/deferred.js';
import { FakeClock } from '../support/fake-clock.js';
import { signalR } from '../support/signalr-client.js';
import { startTapped, type TappedSocket } from '../support/socket-tap.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

/** How a client-result call ended, as the hub saw it. */
type Outcome = { result: unknown } | { error: string; hubError: boolean };

/**
 * A failure the server itself decided (unknown connection, disconnect, cancel, timeout): only its
 * text is specified, not its error class.
 */
function serverError(text: string): (outcome: Outcome) => void {
  return (outcome) => assert.deepEqual('error' in outcome ? { error: outcome.error } : outcome, { error: text });
}

async function settle(call: Promise<unknown>): Promise<Outcome> {
  try {
    return { result: await call };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), hubError: error instanceof HubError };
  }
}

/** What the hubs saw, reset before every test. */
class Probe {
  controller: AbortController | undefined;
  readonly outcome = new Deferred<Outcome>();
  readonly onConnected = new Deferred<Outcome>();
}
let probe = new Probe();

class ResultHub extends Hub {
  add(a: number, b: number): number {
    return a + b;
  }

  async askCaller(method: string, args: unknown[]): Promise<Outcome> {
    return settle(this.clients.caller.invoke(method, ...args));
  }

  /** Lets the client's error reach it as a hub error (no catch). */
  async askCallerRaw(method: string): Promise<unknown> {
    return this.clients.caller.invoke(method);
  }

  async askClient(connectionId: string, method: string): Promise<Outcome> {
    return settle(this.clients.client(connectionId).invoke(method));
  }

  /** Waits for the answer; the test aborts `probe.controller`. */
  async askWithSignal(): Promise<Outcome> {
    const controller = new AbortController();
    probe.controller = controller;
    return settle(this.clients.caller.invoke('GetMessage', controller.signal));
  }

  async askPreAborted(): Promise<Outcome> {
    const controller = new AbortController();
    controller.abort();
    return settle(this.clients.caller.invoke('GetMessage', controller.signal));
  }

  /** Records the outcome server-side: the caller may be gone when it is known. */
  async askAndRecord(): Promise<void> {
    probe.outcome.resolve(await settle(this.clients.caller.invoke('GetMessage')));
  }

  /** CR8: a client result while an upload stream of the same connection is open. */
  async uploadThenAsk(items: AsyncIterable<number>): Promise<{ answer: Outcome; items: number[] }> {
    const answer = await settle(this.clients.caller.invoke('GetMessage'));
    const list: number[] = [];
    for await (const item of items) list.push(item);
    return { answer, items: list };
  }
}

/** CR10: client results are refused inside onConnected. */
class ConnectingHub extends Hub {
  override async onConnected(): Promise<void> {
    probe.onConnected.resolve(await settle(this.clients.caller.invoke('GetMessage')));
  }

  add(a: number, b: number): number {
    return a + b;
  }
}

const open = new Set<signalR.HubConnection>();

/** A started official client whose socket traffic is tapped. */
async function client(target: TestServer, path = '/hub'): Promise<{ connection: signalR.HubConnection; socket: TappedSocket }> {
  return startTapped(target.url(path), open);
}

async function rejection(promise: Promise<unknown>, ms = 5000): Promise<Error> {
  const error = await within(
    promise.then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    ),
    ms,
    'the call to fail',
  );
  assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
  return error;
}

/** Installs a GetMessage handler that resolves `called` and answers with `answer` (a promise for later). */
function handlerOn(connection: signalR.HubConnection, answer: () => unknown): Deferred<unknown[]> {
  const called = new Deferred<unknown[]>();
  connection.on('GetMessage', (...args: unknown[]) => {
    called.resolve(args);
    return answer();
  });
  return called;
}

/** The server-chosen id of the GetMessage invocation this socket received. */
function serverInvocationIds(socket: TappedSocket, target = 'GetMessage'): string[] {
  return socket.received.filter((m) => m['type'] === 1 && m['target'] === target).map((m) => m['invocationId'] as string);
}

let server: TestServer;

before(async () => {
  server = await startTestServer((hw) => {
    hw.mapHub('/hub', ResultHub);
    hw.mapHub('/parallel', ResultHub, { maximumParallelInvocationsPerClient: 2 });
    hw.mapHub('/connecting', ConnectingHub);
  });
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

describe('client results from a hub method (clients.caller.invoke)', () => {
  test('CR1: the handler returns 42: the call resolves 42; the wire carries the server id and result', async () => {
    const { connection, socket } = await client(server);
    const called = handlerOn(connection, () => 42);
    assert.deepEqual(await within(connection.invoke('AskCaller', 'GetMessage', ['a', 1])), { result: 42 });
    assert.deepEqual(await called.wait(), ['a', 1]);
    const [id] = serverInvocationIds(socket);
    assert.ok(id !== undefined && id.startsWith('s'), `server result ids are prefixed with 's'; got ${id}`);
    assert.deepEqual(socket.received.find((m) => m['invocationId'] === id), { type: 1, invocationId: id, target: 'GetMessage', arguments: ['a', 1] });
    assert.deepEqual(socket.sent.find((m) => m['type'] === 3 && m['invocationId'] === id), { type: 3, invocationId: id, result: 42 });
  });

  test('CR1: null and objects come back as they are', async () => {
    const { connection } = await client(server);
    connection.on('GetNull', () => null);
    connection.on('GetObject', () => ({ k: [1, 'two'] }));
    assert.deepEqual(await within(connection.invoke('AskCaller', 'GetNull', [])), { result: null });
    assert.deepEqual(await within(connection.invoke('AskCaller', 'GetObject', [])), { result: { k: [1, 'two'] } });
  });

  test('CR2: a handler that throws: the hub gets a HubError "Error: boom"', async () => {
    const { connection } = await client(server);
    connection.on('GetMessage', () => {
      throw new Error('boom');
    });
    assert.deepEqual(await within(connection.invoke('AskCaller', 'GetMessage', [])), { error: 'Error: boom', hubError: true });
    // Unhandled in the hub, it is a HubError: its text reaches the caller.
    const error = await rejection(connection.invoke('AskCallerRaw', 'GetMessage'));
    assert.equal(error.message, "An unexpected error occurred invoking 'AskCallerRaw' on the server. HubException: Error: boom");
  });

  test('CR3: no handler, or a handler returning nothing: "Client didn\'t provide a result."', async () => {
    const { connection } = await client(server);
    assert.deepEqual(await within(connection.invoke('AskCaller', 'NoSuchHandler', [])), { error: "Client didn't provide a result.", hubError: true });
    connection.on('ReturnsNothing', () => undefined);
    assert.deepEqual(await within(connection.invoke('AskCaller', 'ReturnsNothing', [])), { error: "Client didn't provide a result.", hubError: true });
  });

  test('CR4: two handlers both returning: "Client provided multiple results."', async () => {
    const { connection } = await client(server);
    connection.on('GetMessage', () => 1);
    connection.on('GetMessage', () => 2);
    assert.deepEqual(await within(connection.invoke('AskCaller', 'GetMessage', [])), { error: 'Client provided multiple results.', hubError: true });
  });

  test('CR5: the client disconnects while the call is pending: "Connection \'<id>\' disconnected."', async () => {
    const { connection } = await client(server);
    const id = connection.connectionId!;
    const called = handlerOn(connection, () => new Promise(() => undefined));
    const call = connection.invoke('AskAndRecord');
    call.catch(() => undefined);
    await called.wait(5000, 'the handler to be called');
    await within(connection.stop(), 5000, 'client stop');
    const outcome = await probe.outcome.wait(5000, 'the pending call to fail');
    serverError(`Connection '${id}' disconnected.`)(outcome);
  });

  test('CR6: an AbortSignal cancels: "Invocation canceled by the server."; nothing is sent; a late reply is ignored', async () => {
    const { connection, socket } = await client(server);
    const late = new Deferred<string>();
    const called = handlerOn(connection, () => late.promise);
    const call = connection.invoke('AskWithSignal');
    await called.wait(5000, 'the handler to be called');
    probe.controller!.abort();
    serverError('Invocation canceled by the server.')(await within(call));
    const [serverId] = serverInvocationIds(socket);
    assert.deepEqual(
      socket.received.filter((m) => m['invocationId'] === serverId).map((m) => m['type']),
      [1],
      'the server sent something about the canceled call besides its invocation',
    );

    // The client answers late; the server must ignore it…
    late.resolve('late');
    await socket.whenSent((m) => m['type'] === 3 && m['invocationId'] === serverId, 5000, 'the late reply');
    await socket.roundTrip();
    // …and the next call on the connection gets its own answer.
    connection.off('GetMessage');
    connection.on('GetMessage', () => 'fresh');
    assert.deepEqual(await within(connection.invoke('AskCaller', 'GetMessage', [])), { result: 'fresh' });
    assert.equal(await within(connection.invoke('Add', 1, 2)), 3);
  });

  test('CR6: an already aborted signal rejects at once and sends nothing to the client', async () => {
    const { connection, socket } = await client(server);
    const called = handlerOn(connection, () => 'unwanted');
    serverError('Invocation canceled by the server.')(await within(connection.invoke('AskPreAborted')));
    // The Completion above came after anything the server wrote before it, on one socket.
    assert.equal(called.settled, false, 'the client was asked for a result the server had already given up on');
    assert.deepEqual(serverInvocationIds(socket), []);
  });

  test('CR7: from inside a hub method with parallelism 1: no deadlock', async () => {
    const { connection } = await client(server);
    handlerOn(connection, () => 'hello');
    assert.deepEqual(await within(connection.invoke('AskCaller', 'GetMessage', [])), { result: 'hello' });
  });

  test('CR7: no deadlock when the handler itself invokes a hub method before answering (parallelism 1)', async () => {
    const { connection } = await client(server);
    // The hub method waiting for this answer holds the only slot; ASP.NET releases it before
    // waiting so that this nested invocation can run.
    handlerOn(connection, () => connection.invoke<number>('Add', 40, 2));
    assert.deepEqual(await within(connection.invoke('AskCaller', 'GetMessage', []), 2000, 'the client result with a nested invocation'), { result: 42 });
  });

  test('CR7 control: the nested invocation works with parallelism 2', async () => {
    const { connection } = await client(server, '/parallel');
    handlerOn(connection, () => connection.invoke<number>('Add', 40, 2));
    assert.deepEqual(await within(connection.invoke('AskCaller', 'GetMessage', []), 2000, 'the client result with a nested invocation'), { result: 42 });
  });

  test('CR8: an upload stream and a pending client result on one connection do not cross-talk', async () => {
    const { connection, socket } = await client(server);
    const subject = new signalR.Subject<number>();
    const called = handlerOn(connection, () => 'answer');
    const call = connection.invoke('UploadThenAsk', subject);
    await called.wait(5000, 'the handler to be called');
    subject.next(1);
    subject.next(2);
    subject.complete();
    assert.deepEqual(await within(call), { answer: { result: 'answer' }, items: [1, 2] });
    const streamId = (socket.sent.find((m) => m['target'] === 'UploadThenAsk')!['streamIds'] as string[])[0];
    assert.notEqual(serverInvocationIds(socket)[0], streamId);
  });

  test('CR9: an unknown connection id: "Connection \'<id>\' does not exist."', async () => {
    const { connection } = await client(server);
    serverError("Connection 'no-such-connection' does not exist.")(await within(connection.invoke('AskClient', 'no-such-connection', 'GetMessage')));
  });

  test('clients.client(id).invoke reaches another connection', async () => {
    const { connection: asker } = await client(server);
    const { connection: answerer } = await client(server);
    handlerOn(answerer, () => `I am ${answerer.connectionId}`);
    assert.deepEqual(await within(asker.invoke('AskClient', answerer.connectionId, 'GetMessage')), { result: `I am ${answerer.connectionId}` });
  });

  test('CR10: from onConnected: rejected, nothing sent, and the connection works', async () => {
    const { connection, socket } = await client(server, '/connecting');
    const called = handlerOn(connection, () => 'unwanted');
    serverError('Client results inside OnConnectedAsync Hub methods are not allowed.')(await probe.onConnected.wait(5000, 'onConnected to finish'));
    assert.equal(await within(connection.invoke('Add', 1, 1)), 2);
    assert.equal(called.settled, false);
    assert.deepEqual(serverInvocationIds(socket), []);
  });
});

describe('client results via hubContext, from outside any hub', () => {
  test('resolves with the answer, passes arguments, and rejects with the client error', async () => {
    const { connection } = await client(server);
    const clients = server.hubwire.hubContext(ResultHub).clients;
    const called = handlerOn(connection, () => 'outside');
    assert.equal(await within(clients.client(connection.connectionId!).invoke<string>('GetMessage', 'q', 2)), 'outside');
    assert.deepEqual(await called.wait(), ['q', 2]);

    connection.on('Fails', () => {
      throw new Error('nope');
    });
    const error = await rejection(clients.client(connection.connectionId!).invoke('Fails'));
    assert.ok(error instanceof HubError, 'the client error is a HubError');
    assert.equal(error.message, 'Error: nope');
  });

  test('unknown connection, disconnect while pending, and a connection that has gone', async () => {
    const { connection } = await client(server);
    const id = connection.connectionId!;
    const clients = server.hubwire.hubContext('/hub').clients;
    assert.equal((await rejection(clients.client('nobody').invoke('GetMessage'))).message, "Connection 'nobody' does not exist.");

    const called = handlerOn(connection, () => new Promise(() => undefined));
    const pending = clients.client(id).invoke('GetMessage');
    pending.catch(() => undefined);
    await called.wait(5000, 'the handler to be called');
    await within(connection.stop(), 5000, 'client stop');
    assert.equal((await rejection(pending)).message, `Connection '${id}' disconnected.`);
    assert.equal((await rejection(clients.client(id).invoke('GetMessage'))).message, `Connection '${id}' does not exist.`);
  });

  test('an AbortSignal as the last argument cancels', async () => {
    const { connection } = await client(server);
    const called = handlerOn(connection, () => new Promise(() => undefined));
    const controller = new AbortController();
    const pending = server.hubwire.hubContext(ResultHub).clients.client(connection.connectionId!).invoke('GetMessage', 'x', controller.signal);
    pending.catch(() => undefined);
    assert.deepEqual(await called.wait(), ['x'], 'the signal is not sent as an argument');
    controller.abort();
    assert.equal((await rejection(pending)).message, 'Invocation canceled by the server.');
  });
});

describe('clientResultTimeout', () => {
  let clock: FakeClock;
  let timed: TestServer;

  class TimeoutHub extends Hub {
    async askCaller(): Promise<Outcome> {
      return settle(this.clients.caller.invoke('GetMessage'));
    }
  }

  before(async () => {
    clock = new FakeClock();
    timed = await startTestServer((hw: HubServer) => hw.mapHub('/hub', TimeoutHub, { clientResultTimeout: 1000 }), { clock });
  });
  after(async () => {
    await stopAll(open);
    await within(timed.close(), 5000, 'server close');
  });

  test('a call with no answer fails after the timeout: "Client result timed out after N ms."', async () => {
    const { connection } = await client(timed);
    const called = handlerOn(connection, () => new Promise(() => undefined));
    const call = connection.invoke('AskCaller');
    await called.wait(5000, 'the handler to be called');
    clock.advance(1000);
    serverError('Client result timed out after 1000 ms.')((await within(call)) as Outcome);
  });

  test('an answer in time is not affected by the timeout', async () => {
    const { connection } = await client(timed);
    handlerOn(connection, () => 'quick');
    assert.deepEqual(await within(connection.invoke('AskCaller')), { result: 'quick' });
    clock.advance(5000);
    // The connection is still fine after the timer would have fired.
    connection.off('GetMessage');
    handlerOn(connection, () => 'again');
    assert.deepEqual(await within(connection.invoke('AskCaller')), { result: 'again' });
  });

  test('the timeout applies to hubContext calls too', async () => {
    const { connection } = await client(timed);
    const called = handlerOn(connection, () => new Promise(() => undefined));
    const pending = timed.hubwire.hubContext(TimeoutHub).clients.client(connection.connectionId!).invoke('GetMessage');
    let failed = false;
    pending.catch(() => (failed = true));
    await called.wait(5000, 'the handler to be called');
    // The timer settles the call synchronously when it fires; one turn of the loop lets the
    // rejection handlers run.
    clock.advance(999);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(failed, false, 'the call timed out early');
    clock.advance(1);
    assert.equal((await rejection(pending)).message, 'Client result timed out after 1000 ms.');
  });
});
