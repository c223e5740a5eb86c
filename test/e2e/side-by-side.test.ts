/**
 * Hubwire next to other HTTP handling on one port: `attach(server)` on a plain node:http server
 * with its own routes (and its own upgrade listener), and `requestListener(fallback)`.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { createHubServer, Hub, type HubServer } from 'hubwire';
import { connectWithin, stopAll } from '../support/e2e.js';
import type { signalR } from '../support/signalr-client.js';
import { within } from '../support/wait.js';

class EchoHub extends Hub {
  echo(text: string): string {
    return text;
  }
}

/** The application's own routes: `/other` and `/hub-like/x`, 404 for anything else. */
function appHandler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/other') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('served by the app');
    return;
  }
  if (req.url?.startsWith('/hubish')) {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('not a hub');
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('app 404');
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await within(once(server, 'listening'), 5000, 'listen');
  return (server.address() as AddressInfo).port;
}

async function shutdown(hubwire: HubServer, server: Server): Promise<void> {
  await within(hubwire.close(), 5000, 'hubwire close');
  await within(
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
    5000,
    'http server close',
  );
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await within(fetch(url), 5000, `GET ${url}`);
  return { status: response.status, body: await within(response.text(), 5000, 'response body') };
}

/** Opens a plain WebSocket and resolves with its first message. */
async function wsFirstMessage(url: string): Promise<string> {
  const socket = new WebSocket(url);
  try {
    const [data] = (await within(once(socket, 'message'), 5000, `a message on ${url}`)) as [Buffer];
    return data.toString('utf8');
  } finally {
    socket.terminate();
  }
}

describe('attach(server) to a node:http server with its own handler', () => {
  let hubwire: HubServer;
  let server: Server;
  let base: string;
  const clients: signalR.HubConnection[] = [];

  before(async () => {
    server = createServer(appHandler);
    // The app's own WebSocket endpoint, on the same server.
    const appSockets = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req: IncomingMessage, socket, head) => {
      if (req.url !== '/app-ws') {
        socket.destroy();
        return;
      }
      appSockets.handleUpgrade(req, socket, head, (ws) => ws.send('app websocket'));
    });
    server.once('close', () => appSockets.close());
    hubwire = createHubServer({ shutdownTimeout: 1000 }).mapHub('/hubs/echo', EchoHub).attach(server);
    base = `http://127.0.0.1:${await listen(server)}`;
  });

  after(async () => {
    await stopAll(clients);
    await shutdown(hubwire, server);
  });

  test('other routes are served by the original handler', async () => {
    assert.deepEqual(await get(`${base}/other`), { status: 200, body: 'served by the app' });
    assert.deepEqual(await get(`${base}/hubish/negotiate`), { status: 200, body: 'not a hub' });
    assert.deepEqual(await get(`${base}/nope`), { status: 404, body: 'app 404' });
  });

  test('the hub works with the official client on the same port', async () => {
    const c = await connectWithin(`${base}/hubs/echo`);
    clients.push(c);
    assert.equal(await within(c.invoke('echo', 'side by side')), 'side by side');
    // And the app keeps serving while the hub connection is open.
    assert.deepEqual(await get(`${base}/other`), { status: 200, body: 'served by the app' });
  });

  test('the original upgrade listener still gets upgrades that are not for a hub', async () => {
    assert.equal(await wsFirstMessage(`ws://127.0.0.1:${new URL(base).port}/app-ws`), 'app websocket');
  });

  test('attach is idempotent', async () => {
    hubwire.attach(server);
    assert.equal(server.listeners('request').length, 1);
    assert.equal(server.listeners('upgrade').length, 1);
    assert.deepEqual(await get(`${base}/other`), { status: 200, body: 'served by the app' });
  });
});

describe('attach(server) to a server without handlers', () => {
  test('non-hub requests get 404 and the hub works', async () => {
    const server = createServer();
    const hubwire = createHubServer({ shutdownTimeout: 1000 }).mapHub('/hub', EchoHub).attach(server);
    const clients: signalR.HubConnection[] = [];
    try {
      const base = `http://127.0.0.1:${await listen(server)}`;
      assert.equal((await get(`${base}/other`)).status, 404);
      const c = await connectWithin(`${base}/hub`);
      clients.push(c);
      assert.equal(await within(c.invoke('echo', 'bare')), 'bare');
    } finally {
      await stopAll(clients);
      await shutdown(hubwire, server);
    }
  });
});

describe('requestListener(fallback)', () => {
  let hubwire: HubServer;
  let server: Server;
  let base: string;
  const clients: signalR.HubConnection[] = [];

  before(async () => {
    hubwire = createHubServer({ shutdownTimeout: 1000 }).mapHub('/hubs/echo', EchoHub);
    server = createServer(hubwire.requestListener(appHandler));
    // requestListener covers requests; WebSocket upgrades are wired with handleUpgrade.
    server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      if (!hubwire.handleUpgrade(req, socket, head)) socket.destroy();
    });
    base = `http://127.0.0.1:${await listen(server)}`;
  });

  after(async () => {
    await stopAll(clients);
    await shutdown(hubwire, server);
  });

  test('non-hub requests go to the fallback', async () => {
    assert.deepEqual(await get(`${base}/other`), { status: 200, body: 'served by the app' });
    assert.deepEqual(await get(`${base}/nope`), { status: 404, body: 'app 404' });
  });

  test('the hub works with the official client', async () => {
    const c = await connectWithin(`${base}/hubs/echo`);
    clients.push(c);
    assert.equal(await within(c.invoke('echo', 'via requestListener')), 'via requestListener');
  });

  test('without a fallback, non-hub requests get 404', async () => {
    const bare = createServer(hubwire.requestListener());
    try {
      const port = await listen(bare);
      const response = await get(`http://127.0.0.1:${port}/other`);
      assert.equal(response.status, 404);
      // Negotiate is still answered by the hub.
      const negotiate = await within(fetch(`http://127.0.0.1:${port}/hubs/echo/negotiate?negotiateVersion=1`, { method: 'POST' }));
      assert.equal(negotiate.status, 200);
      const body = (await within(negotiate.json())) as { connectionId?: string };
      assert.ok(typeof body.connectionId === 'string');
    } finally {
      await within(
        new Promise<void>((resolve) => {
          bare.close(() => resolve());
          bare.closeAllConnections();
        }),
        5000,
        'bare server close',
      );
    }
  });
});
