/**
 * Baseline: a plain `ws` server doing the natural thing. Echo sends each message
 * back as it came; broadcast stringifies once and loops over the clients. Any plain
 * HTTP request answers a small JSON body: the "one HTTP request" of the connect scenario.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import { packageVersion } from '../lib/versions.js';
import { runServerChild, type BenchServer } from './server-child.js';

function createWsServer(): BenchServer {
  const info = JSON.stringify({ url: '/', protocol: 'websocket' });
  const http = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(info);
  });
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    socket.on('error', () => socket.terminate());
  });

  return {
    library: `ws ${packageVersion('ws')}`,
    listen: () =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(0, '127.0.0.1', () => resolve((http.address() as AddressInfo).port));
      }),
    broadcast(payload) {
      const text = JSON.stringify(payload);
      for (const client of wss.clients) {
        if (client.readyState === WebSocket.OPEN) client.send(text);
      }
    },
    connectionCount: () => wss.clients.size,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => http.close(() => resolve()));
      }),
  };
}

await runServerChild(createWsServer);
