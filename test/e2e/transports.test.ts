/**
 * The three transports with the official @microsoft/signalr client in Node, each forced in turn,
 * and the client's fallback when WebSockets (and then SSE) are switched off or broken.
 * Reference: signalr-protocol.md §4.3-§4.6, §15.2 (T10, T13-T15, T19, T20).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { createHubServer, Hub, jsonHubProtocol, messagePackHubProtocol, type HubOptions, type HubServer } from 'hubwire';
import { Inbox, nextMessage, onceCallback, stopAll } from '../support/e2e.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

const { HttpTransportType } = signalR;
type HubConnection = signalR.HubConnection;

interface TransportClient {
  msg(text: string): void;
}

/** What the server saw, by connection id. */
const recorded: string[] = [];
const disconnects = new Map<string, Error | undefined>();

class TransportHub extends Hub<TransportClient> {
  add(a: number, b: number): number {
    return a + b;
  }
  transport(): string {
    return this.context.transport;
  }
  record(tag: string): void {
    recorded.push(tag);
  }
  async join(group: string): Promise<void> {
    await this.groups.add(this.context.connectionId, group);
  }
  async toGroup(group: string, text: string): Promise<void> {
    await this.clients.group(group).msg(text);
  }
  async toCaller(text: string): Promise<string> {
    await this.clients.caller.msg(text);
    return 'sent';
  }
  /** Bytes reversed (MessagePack carries them as bytes). */
  reverse(bytes: Uint8Array): Uint8Array {
    return Uint8Array.from(bytes).reverse();
  }
  /** Ends the connection from the server side (a Close without error). */
  leave(): void {
    this.context.abort();
  }
  override onDisconnected(error?: Error): void {
    disconnects.set(this.context.connectionId, error);
  }
}

const TRANSPORTS = [
  ['WebSockets', HttpTransportType.WebSockets],
  ['ServerSentEvents', HttpTransportType.ServerSentEvents],
  ['LongPolling', HttpTransportType.LongPolling],
] as const;

async function start(url: string, options: signalR.IHttpConnectionOptions = {}, protocol?: signalR.IHubProtocol): Promise<HubConnection> {
  const builder = clientFor(url, options);
  if (protocol !== undefined) builder.withHubProtocol(protocol);
  const connection = builder.build();
  await within(connection.start(), 10_000, 'client start');
  return connection;
}

for (const [name, transport] of TRANSPORTS) {
  describe(`${name} forced`, () => {
    let server: TestServer;
    const clients: HubConnection[] = [];
    before(async () => {
      server = await startTestServer((hubwire) => hubwire.mapHub('/hub', TransportHub));
    });
    after(async () => {
      await stopAll(clients);
      await server.close();
    });

    async function connect(): Promise<HubConnection> {
      const connection = await start(server.url('/hub'), { transport });
      clients.push(connection);
      return connection;
    }

    test('the connection uses the transport and invokes', async () => {
      const connection = await connect();
      assert.equal(await connection.invoke('transport'), name);
      assert.equal(await connection.invoke('add', 20, 22), 42);
      assert.deepEqual(await Promise.all([connection.invoke('add', 1, 1), connection.invoke('add', 2, 2), connection.invoke('add', 3, 3)]), [2, 4, 6]);
    });

    test('send (non-blocking) reaches the hub, in order with later calls', async () => {
      const connection = await connect();
      const tags = [1, 2, 3].map((i) => `${name}-send-${i}`);
      for (const tag of tags) await connection.send('record', tag);
      await connection.invoke('add', 0, 0);
      assert.deepEqual(
        recorded.filter((tag) => tag.startsWith(`${name}-send-`)),
        tags,
      );
    });

    test('server→client: a caller message, and a broadcast from outside the hub', async () => {
      const connection = await connect();
      const toCaller = nextMessage(connection, 'msg');
      assert.equal(await connection.invoke('toCaller', 'to you'), 'sent');
      assert.deepEqual(await toCaller, ['to you']);
      const broadcast = nextMessage(connection, 'msg');
      await server.hubwire.hubContext(TransportHub).clients.all.msg(`all over ${name}`);
      assert.deepEqual(await broadcast, [`all over ${name}`]);
    });

    test('groups: only members get a group message', async () => {
      const member = await connect();
      const outsider = await connect();
      const memberInbox = new Inbox(member, 'msg');
      const outsiderInbox = new Inbox(outsider, 'msg');
      await member.invoke('join', `room-${name}`);
      await outsider.invoke('toGroup', `room-${name}`, 'for members');
      await until(() => memberInbox.has('for members'), 5000, 'the group message');
      // A message to each client after it: once it arrived, the group message would have too.
      await outsider.invoke('toCaller', 'marker:outsider');
      await until(() => outsiderInbox.has('marker:outsider'), 5000, 'the marker');
      assert.deepEqual(outsiderInbox.messages, []);
    });

    test('stop(): the server sees onDisconnected without error', async () => {
      const connection = await start(server.url('/hub'), { transport });
      const id = connection.connectionId!;
      const before = server.hubwire.connectionCount();
      await within(connection.stop(), 5000, 'stop');
      await until(() => disconnects.has(id), 5000, 'onDisconnected');
      assert.equal(disconnects.get(id), undefined);
      await until(() => server.hubwire.connectionCount() === before - 1, 5000, 'the connection to be gone');
    });

    test('the server ending the connection: the client closes without error', async () => {
      const connection = await start(server.url('/hub'), { transport });
      const closed = onceCallback<[Error | undefined]>((callback) => connection.onclose(callback), 5000, 'onclose');
      await connection.invoke('leave').catch(() => undefined);
      const [error] = await closed;
      assert.equal(error, undefined);
      assert.equal(connection.state, signalR.HubConnectionState.Disconnected);
    });
  });
}

describe('fallback when the hub switches transports off', () => {
  async function transportPicked(hubOptions: HubOptions, protocol?: signalR.IHubProtocol): Promise<string> {
    const server = await startTestServer((hubwire) => hubwire.mapHub('/hub', TransportHub, hubOptions));
    let connection: HubConnection | undefined;
    try {
      connection = await start(server.url('/hub'), {}, protocol);
      assert.equal(await connection.invoke('add', 2, 3), 5);
      return (await connection.invoke('transport')) as string;
    } finally {
      await connection?.stop();
      await server.close();
    }
  }

  test('WebSockets off: a default client picks Server-Sent Events', async () => {
    assert.equal(await transportPicked({ transports: ['ServerSentEvents', 'LongPolling'] }), 'ServerSentEvents');
  });

  test('only long polling on: a default client picks it', async () => {
    assert.equal(await transportPicked({ transports: ['LongPolling'] }), 'LongPolling');
  });

  test('T19: WebSockets off, MessagePack client: SSE is skipped (text only) and long polling carries binary', async () => {
    const server = await startTestServer((hubwire) =>
      hubwire.mapHub('/hub', TransportHub, { transports: ['ServerSentEvents', 'LongPolling'], protocols: [jsonHubProtocol, messagePackHubProtocol] }),
    );
    const connection = await start(server.url('/hub'), {}, new MessagePackHubProtocol());
    try {
      assert.equal(await connection.invoke('transport'), 'LongPolling');
      const reversed = (await connection.invoke('reverse', new Uint8Array([0, 1, 0xfe, 0xff]))) as Uint8Array;
      assert.ok(reversed instanceof Uint8Array);
      assert.deepEqual([...reversed], [0xff, 0xfe, 1, 0]);
      const broadcast = nextMessage(connection, 'msg');
      await server.hubwire.hubContext(TransportHub).clients.all.msg('binary poll');
      assert.deepEqual(await broadcast, ['binary poll']);
    } finally {
      await connection.stop();
      await server.close();
    }
  });
});

/**
 * A server where the hubs are served by a plain request listener, so WebSocket upgrades never
 * reach Hubwire: the upgrade listener destroys them, like a proxy that drops WebSockets.
 * `filter` may answer requests first (to break SSE too).
 */
async function brokenUpgradeServer(filter?: (req: IncomingMessage) => number | undefined): Promise<{ hubwire: HubServer; url: string; negotiations: () => number; close(): Promise<void> }> {
  const hubwire = createHubServer({ shutdownTimeout: 1000 });
  hubwire.mapHub('/hub', TransportHub, { protocols: [jsonHubProtocol, messagePackHubProtocol] });
  const hubs = hubwire.requestListener();
  let negotiations = 0;
  const listener: RequestListener = (req, res) => {
    if ((req.url ?? '').startsWith('/hub/negotiate')) negotiations++;
    const refuse = filter?.(req);
    if (refuse !== undefined) {
      req.resume();
      res.writeHead(refuse, { 'Content-Type': 'text/plain' }).end('refused by the test proxy');
      return;
    }
    hubs(req, res);
  };
  const http: Server = createServer(listener);
  http.on('upgrade', (_req, socket) => socket.destroy());
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    hubwire,
    url: `http://127.0.0.1:${port}/hub`,
    negotiations: () => negotiations,
    async close() {
      await hubwire.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}

describe('T20: fallback when a transport fails to start', () => {
  test('the WebSocket upgrade fails: the client re-negotiates and uses Server-Sent Events', async () => {
    const server = await brokenUpgradeServer();
    let connection: HubConnection | undefined;
    try {
      connection = await start(server.url);
      assert.equal(await connection.invoke('transport'), 'ServerSentEvents');
      assert.equal(server.negotiations(), 2);
      const broadcast = nextMessage(connection, 'msg');
      await server.hubwire.hubContext(TransportHub).clients.all.msg('after fallback');
      assert.deepEqual(await broadcast, ['after fallback']);
    } finally {
      await connection?.stop();
      await server.close();
    }
  });

  test('WebSockets and SSE both fail: the client ends up on long polling', async () => {
    // 403, not 5xx: on 5xx the client's EventSource (which it never closes when start fails)
    // would keep reconnecting in the background.
    const server = await brokenUpgradeServer((req) => ((req.headers.accept ?? '').includes('text/event-stream') ? 403 : undefined));
    let connection: HubConnection | undefined;
    try {
      connection = await start(server.url);
      assert.equal(await connection.invoke('transport'), 'LongPolling');
      assert.equal(server.negotiations(), 3);
      assert.equal(await connection.invoke('add', 40, 2), 42);
    } finally {
      await connection?.stop();
      await server.close();
    }
  });

  test('a MessagePack client skips SSE after the WebSocket failure and uses long polling', async () => {
    const server = await brokenUpgradeServer();
    let connection: HubConnection | undefined;
    try {
      connection = await start(server.url, {}, new MessagePackHubProtocol());
      assert.equal(await connection.invoke('transport'), 'LongPolling');
      assert.equal(server.negotiations(), 2);
      const reversed = (await connection.invoke('reverse', new Uint8Array([1, 2, 3]))) as Uint8Array;
      assert.deepEqual([...reversed], [3, 2, 1]);
    } finally {
      await connection?.stop();
      await server.close();
    }
  });
});
