/**
 * Socket.IO 4, WebSocket transport only (no polling, no upgrade), default
 * namespace. Echo is an acknowledged event; broadcast is `io.emit`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { packageVersion } from '../lib/versions.js';
import { runServerChild, type BenchServer } from './server-child.js';

function createSocketIoServer(): BenchServer {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], allowUpgrades: false, serveClient: false });
  io.on('connection', (socket) => {
    socket.on('echo', (value: unknown, ack: unknown) => {
      if (typeof ack === 'function') ack(value);
    });
  });

  return {
    library: `socket.io ${packageVersion('socket.io')}`,
    listen: () =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(0, '127.0.0.1', () => resolve((http.address() as AddressInfo).port));
      }),
    broadcast(payload) {
      io.emit('message', payload);
    },
    connectionCount: () => io.engine.clientsCount,
    close: () =>
      new Promise((resolve) => {
        io.close(() => resolve());
      }),
  };
}

await runServerChild(createSocketIoServer);
