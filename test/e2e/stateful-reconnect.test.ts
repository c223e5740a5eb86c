import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Hub } from 'hubwire';
import { UpgradedSockets } from '../support/e2e.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { startCuttableProxy, type CuttableProxy } from '../support/cuttable-proxy.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

/** What the hub saw, shared by its instances. */
const seen = { calls: [] as number[], connected: 0, disconnected: 0 };
let cutAfter: { count: number; cut: () => void } | undefined;

class BurstHub extends Hub {
  override onConnected() {
    seen.connected++;
  }
  override onDisconnected() {
    seen.disconnected++;
  }
  /** Sends `count` numbered messages to the caller, cutting the socket half-way when asked. */
  async burst(count: number) {
    for (let i = 1; i <= count; i++) {
      await this.clients.caller.send('item', i);
      if (cutAfter !== undefined && i === cutAfter.count) cutAfter.cut();
    }
    return count;
  }
  record(n: number) {
    seen.calls.push(n);
  }
  id() {
    return this.context.connectionId;
  }
}

// On node:http + ws the server's own sockets are cut; on uWebSockets.js, a proxy's in front of it.
for (const engine of ['node', 'uws'] as const) describe(`stateful reconnect (WebSockets, ${engine})`, () => {
  let server: TestServer;
  let sockets: { destroyAll(): void };
  let proxy: CuttableProxy | undefined;
  const clients: signalR.HubConnection[] = [];
  const url = (path: string): string => (proxy ?? server).url(path);

  before(async () => {
    server = await startTestServer((hw) => hw.mapHub('/burst', BurstHub), { allowStatefulReconnects: true }, engine);
    if (engine === 'node') sockets = new UpgradedSockets(server.hubwire.httpServer!);
    else sockets = proxy = await startCuttableProxy(server.port);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await proxy?.close();
    await server.close();
  });

  async function start(): Promise<{ client: signalR.HubConnection; items: number[]; events: string[] }> {
    const client = clientFor(url('/burst')).withStatefulReconnect().withAutomaticReconnect().build();
    const items: number[] = [];
    const events: string[] = [];
    client.on('item', (i: number) => void items.push(i));
    client.onreconnecting(() => void events.push('reconnecting'));
    client.onreconnected(() => void events.push('reconnected'));
    client.onclose(() => void events.push('close'));
    await within(client.start(), 5000, 'start');
    clients.push(client);
    return { client, items, events };
  }

  test('a socket cut mid-burst resumes on the same connection: every message once, in order', async () => {
    const { client, items, events } = await start();
    const id = client.connectionId;
    const before = { connected: seen.connected, disconnected: seen.disconnected };
    cutAfter = { count: 200, cut: () => sockets.destroyAll() };
    try {
      assert.equal(await within(client.invoke('Burst', 500), 10_000, 'burst'), 500);
    } finally {
      cutAfter = undefined;
    }
    await until(() => items.length >= 500, 5000, 'all items');
    assert.deepEqual(items, Array.from({ length: 500 }, (_, i) => i + 1));
    assert.equal(client.connectionId, id);
    assert.equal(await client.invoke('Id'), id);
    assert.deepEqual(events, [], 'a transport resume is invisible to the app');
    assert.deepEqual({ connected: seen.connected, disconnected: seen.disconnected }, before, 'no new hub connection');
  });

  test('client sends made while the socket is down run exactly once', async () => {
    const { client } = await start();
    seen.calls.length = 0;
    sockets.destroyAll();
    const sends = Array.from({ length: 20 }, (_, i) => client.send('Record', i));
    await within(Promise.all(sends), 5000, 'sends');
    await client.invoke('Id');
    assert.deepEqual(seen.calls, Array.from({ length: 20 }, (_, i) => i));
  });

  test('negotiate offers it only when asked, and only when allowed', async () => {
    const asked = await fetch(url('/burst/negotiate?negotiateVersion=1&useStatefulReconnect=true'), { method: 'POST' });
    assert.equal((await asked.json()).useStatefulReconnect, true);
    const notAsked = await fetch(url('/burst/negotiate?negotiateVersion=1'), { method: 'POST' });
    assert.equal('useStatefulReconnect' in (await notAsked.json()), false);
    const other = await startTestServer((hw) => hw.mapHub('/burst', BurstHub), {}, engine);
    try {
      const refused = await fetch(other.url('/burst/negotiate?negotiateVersion=1&useStatefulReconnect=true'), { method: 'POST' });
      assert.equal('useStatefulReconnect' in (await refused.json()), false);
    } finally {
      await other.close();
    }
  });

  test('a resumed client stops cleanly: the server sees one disconnect, the client one close', async () => {
    const { client, events } = await start();
    const before = seen.disconnected;
    const closed = new Promise<void>((resolve) => client.onclose(() => resolve()));
    sockets.destroyAll();
    await client.invoke('Id'); // answered on the resumed socket
    await within(client.stop(), 5000, 'stop');
    await within(closed, 5000, 'close');
    assert.deepEqual(events, ['close']);
    await until(() => seen.disconnected === before + 1, 2000, 'onDisconnected');
  });
});
