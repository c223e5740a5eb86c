/**
 * Socket.IO 4 on `@socket.io/redis-adapter`, the contender of the redis-broadcast scenario: the
 * server of bench/servers/socketio-server.ts (WebSocket transport only, `io.emit`) with the
 * Redis adapter on BENCH_REDIS_URL, its channels under BENCH_REDIS_PREFIX. Started by the
 * orchestrator once `npm install --no-package-lock` has run in this folder.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { withTimeout } from '../lib/clock.js';
import { runServerChild, type BenchServer } from '../servers/server-child.js';

function version(name: string): string {
  const manifest = readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

async function createSocketIoRedisServer(): Promise<BenchServer> {
  const url = process.env.BENCH_REDIS_URL;
  const prefix = process.env.BENCH_REDIS_PREFIX;
  if (!url || !prefix) throw new Error('BENCH_REDIS_URL and BENCH_REDIS_PREFIX are required');
  // Like the backplane's clients: no offline queue, so an outage fails instead of buffering.
  const pub = createClient({ url, disableOfflineQueue: true });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) client.on('error', (error: Error) => process.stderr.write(`redis: ${error.message}\n`));
  await withTimeout(Promise.all([pub.connect(), sub.connect()]), 10_000, `Redis connect (${url})`);
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], allowUpgrades: false, serveClient: false, adapter: createAdapter(pub, sub, { key: prefix }) });
  io.on('connection', (socket) => {
    socket.on('echo', (value: unknown, ack: unknown) => {
      if (typeof ack === 'function') ack(value);
    });
  });

  return {
    library: `socket.io ${version('socket.io')} on @socket.io/redis-adapter ${version('@socket.io/redis-adapter')} (redis ${version('redis')})`,
    listen: () =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(0, '127.0.0.1', () => resolve((http.address() as AddressInfo).port));
      }),
    broadcast(payload) {
      io.emit('message', payload);
    },
    connectionCount: () => io.engine.clientsCount,
    close: async () => {
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}

await runServerChild(createSocketIoRedisServer);
