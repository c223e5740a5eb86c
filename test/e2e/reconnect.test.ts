/**
 * Automatic reconnect of the official client: after the socket dies without a Close message, and
 * after a server Close with allowReconnect (server shutdown).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from 'hubwire';
import { Inbox, SilentPeer, UpgradedSockets, onceCallback, stopAll } from '../support/e2e.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { startCuttableProxy, type CuttableProxy } from '../support/cuttable-proxy.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

interface ReconnectClient {
  msg(text: string): void;
}

const disconnects = new Map<string, Error | undefined>();

class ReconnectHub extends Hub<ReconnectClient> {
  override onDisconnected(error?: Error): void {
    disconnects.set(this.context.connectionId, error);
  }
  async join(group: string): Promise<void> {
    await this.groups.add(this.context.connectionId, group);
  }
  whoAmI(): string {
    return this.context.connectionId;
  }
}

function reconnectingClient(server: { url(path: string): string }): signalR.HubConnection {
  // The default policy: retries after 0, 2 000, 10 000 and 30 000 ms.
  return clientFor(server.url('/hub')).withAutomaticReconnect().build();
}

// On node:http + ws the server's own sockets are cut; on uWebSockets.js, a proxy's in front of it.
for (const engine of ['node', 'uws'] as const) describe(`the socket dies without a Close message (${engine})`, () => {
  let server: TestServer;
  let sockets: { destroyAll(): number };
  let proxy: CuttableProxy | undefined;
  const open: signalR.HubConnection[] = [];

  before(async () => {
    server = await startTestServer((hw) => hw.mapHub('/hub', ReconnectHub), {}, engine);
    if (engine === 'node') sockets = new UpgradedSockets(server.hubwire.httpServer!);
    else sockets = proxy = await startCuttableProxy(server.port);
  });

  after(async () => {
    await stopAll(open);
    await proxy?.close();
    await within(server.close(), 5000, 'server close');
  });

  test('the client reconnects with a new connection id, works again, and its groups are not restored', async () => {
    const c = reconnectingClient(proxy ?? server);
    open.push(c);
    const events: string[] = [];
    c.onreconnecting(() => void events.push('reconnecting'));
    c.onreconnected(() => void events.push('reconnected'));
    c.onclose(() => void events.push('close'));
    const reconnecting = onceCallback<[Error | undefined]>((cb) => c.onreconnecting(cb), 5000, 'onreconnecting');
    const reconnected = onceCallback<[string | undefined]>((cb) => c.onreconnected(cb), 5000, 'onreconnected');
    const inbox = new Inbox(c, 'msg');

    await within(c.start(), 5000, 'client start');
    const oldId = c.connectionId!;
    await within(c.invoke('join', 'g'));
    const context = server.hubwire.hubContext(ReconnectHub);
    await within(context.clients.group('g').msg('before'));
    await until(() => inbox.has('before'), 5000, 'the group message before the drop');

    const cut = sockets.destroyAll();
    // Through the proxy the kept-alive negotiate connection may be cut too.
    if (engine === 'node') assert.equal(cut, 1, 'one WebSocket to cut');
    else assert.ok(cut >= 1, 'the WebSocket to cut');

    const [reason] = await reconnecting;
    assert.ok(reason instanceof Error, `onreconnecting gets the transport error; got ${String(reason)}`);
    const [newId] = await reconnected;
    assert.deepEqual(events, ['reconnecting', 'reconnected']);
    assert.equal(c.state, signalR.HubConnectionState.Connected);
    assert.ok(newId);
    assert.notEqual(newId, oldId, 'a reconnect is a new connection');
    assert.equal(c.connectionId, newId);

    // It works again, as the new connection.
    assert.equal(await within(c.invoke('whoAmI')), newId);

    // The server ended the old connection abnormally.
    await until(() => disconnects.has(oldId), 5000, 'onDisconnected of the old connection');
    assert.ok(disconnects.get(oldId) instanceof Error, 'onDisconnected gets an error when the transport died');
    assert.equal(server.hubwire.connectionCount(), 1);

    // The old group membership is gone: a group send does not reach the new connection...
    await within(context.clients.group('g').msg('to the old group'));
    await within(context.clients.client(oldId).msg('to the old id'));
    await within(context.clients.client(newId).msg('marker:after'));
    await until(() => inbox.has('marker:after'), 5000, 'the marker on the new connection');
    assert.deepEqual(inbox.messages, ['before']);

    // ...until the client joins again.
    await within(c.invoke('join', 'g'));
    await within(context.clients.group('g').msg('rejoined'));
    await until(() => inbox.has('rejoined'), 5000, 'the group message after re-joining');
    assert.deepEqual(inbox.messages, ['before', 'rejoined']);
    assert.deepEqual(events, ['reconnecting', 'reconnected']);
  });
});

describe('the server closes with allowReconnect', () => {
  test('hubwire.close() sends the clients into reconnecting', async () => {
    const server = await startTestServer((hw) => hw.mapHub('/hub', ReconnectHub), { shutdownTimeout: 1000 });
    const c = reconnectingClient(server);
    const events: string[] = [];
    c.onreconnecting(() => void events.push('reconnecting'));
    c.onreconnected(() => void events.push('reconnected'));
    c.onclose(() => void events.push('close'));
    const reconnecting = onceCallback<[Error | undefined]>((cb) => c.onreconnecting(cb), 5000, 'onreconnecting');
    let closing: Promise<void> | undefined;
    try {
      await within(c.start(), 5000, 'client start');
      const id = c.connectionId!;

      closing = server.close();
      const [reason] = await reconnecting;
      // A Close without an error: the client reconnects with no error to report.
      assert.equal(reason, undefined, `onreconnecting got ${String(reason)}`);
      assert.equal(events[0], 'reconnecting');
      assert.ok(!events.includes('close'), 'no onclose while reconnecting');

      // Shutdown ends connections on purpose: onDisconnected gets no error.
      await until(() => disconnects.has(id), 5000, 'onDisconnected on shutdown');
      assert.equal(disconnects.get(id), undefined);

      await within(closing, 5000, 'server close to finish');
      assert.ok(!events.includes('reconnected'), 'the client must not reconnect to a server that has shut down');
    } finally {
      // The server is gone: end the reconnect loop.
      const closed = onceCallback((cb) => c.onclose(cb), 5000, 'onclose after stop');
      await within(c.stop(), 5000, 'client stop').catch(() => undefined);
      await closed.catch(() => undefined);
      await within(closing ?? server.close(), 5000, 'server close');
    }
    assert.equal(c.state, signalR.HubConnectionState.Disconnected);
  });

  test('close() ends within shutdownTimeout even when a client never answers the Close', async () => {
    const shutdownTimeout = 1000;
    const server = await startTestServer((hw) => hw.mapHub('/hub', ReconnectHub), { shutdownTimeout });
    const peer = await SilentPeer.connect(server.port, '/hub').catch(async (error: unknown) => {
      await server.close();
      throw error;
    });
    const started = Date.now();
    const closing = server.close();
    let elapsed: number;
    try {
      await within(closing, 10_000, 'server close');
      elapsed = Date.now() - started;
    } finally {
      peer.destroy();
      await within(closing, 10_000, 'server close after the peer is gone');
    }
    // "waits up to shutdownTimeout for them": then the stragglers are dropped.
    assert.ok(elapsed < shutdownTimeout + 1000, `close() took ${elapsed} ms with shutdownTimeout ${shutdownTimeout} ms`);
  });

  test('a client that reconnects while the server shuts down does not keep close() from ending', async () => {
    const shutdownTimeout = 1000;
    const server = await startTestServer((hw) => hw.mapHub('/hub', ReconnectHub), { shutdownTimeout });
    // A peer that never answers keeps the shutdown waiting, as a vanished client would.
    const peer = await SilentPeer.connect(server.port, '/hub');
    const c = reconnectingClient(server);
    const events: string[] = [];
    c.onreconnecting(() => void events.push('reconnecting'));
    c.onreconnected(() => void events.push('reconnected'));
    const reconnecting = onceCallback((cb) => c.onreconnecting(cb), 5000, 'onreconnecting');
    let closing: Promise<void> | undefined;
    try {
      await within(c.start(), 5000, 'client start');
      closing = server.close();
      await reconnecting;
      // The first retry comes at once, while close() still waits for the silent peer.
      const ended = await within(closing, shutdownTimeout + 6000, 'server close').then(
        () => true,
        () => false,
      );
      const seen = `client state ${c.state}, events: ${events.join(', ')}, server connections: ${server.hubwire.connectionCount()}`;
      assert.ok(ended, `close() did not end within ${shutdownTimeout + 6000} ms; ${seen}`);
      assert.notEqual(c.state, signalR.HubConnectionState.Connected, `the client is connected to a closed server; ${seen}`);
    } finally {
      const closed = onceCallback((cb) => c.onclose(cb), 5000, 'onclose after stop');
      await within(c.stop(), 5000, 'client stop').catch(() => undefined);
      await closed.catch(() => undefined);
      peer.destroy();
      await within(closing ?? server.close(), 10_000, 'server close after cleanup');
    }
  });
});
