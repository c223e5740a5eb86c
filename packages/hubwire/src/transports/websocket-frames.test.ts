import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { deflateCount, perMessageDeflateOptions } from './websocket-compression.js';
import { writePrecompressed, writePreframed } from './websocket-frames.js';

let server: WebSocketServer;
const serverSockets: WebSocket[] = [];
let url: string;

before(async () => {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (socket) => serverSockets.push(socket));
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const socket of serverSockets) socket.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function client(): Promise<{ socket: WebSocket; frames: { data: Buffer; binary: boolean }[]; serverSide: WebSocket }> {
  const before = serverSockets.length;
  const socket = new WebSocket(url);
  const frames: { data: Buffer; binary: boolean }[] = [];
  socket.on('message', (data: Buffer, binary: boolean) => frames.push({ data, binary }));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  while (serverSockets.length === before) await new Promise((resolve) => setImmediate(resolve));
  return { socket, frames, serverSide: serverSockets[serverSockets.length - 1]! };
}

async function received(frames: unknown[], count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (frames.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${frames.length} of ${count} frames arrived`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('one shared payload reaches several sockets as proper text and binary frames, small and large', async () => {
  const a = await client();
  const b = await client();
  const text = Buffer.from('{"type":1,"target":"t","arguments":[]}\u001e');
  const large = Buffer.alloc(70_000, 0x61); // needs the 8-byte length form
  const binary = Buffer.from([0x02, 0x91, 0x06]);
  for (const { serverSide } of [a, b]) {
    assert.equal(writePreframed(serverSide, text, false), true);
    assert.equal(writePreframed(serverSide, large, false), true);
    assert.equal(writePreframed(serverSide, binary, true), true);
    serverSide.send('after, through ws itself');
  }
  for (const { socket, frames } of [a, b]) {
    await received(frames, 4);
    assert.deepEqual(frames[0], { data: text, binary: false });
    assert.equal(frames[1]!.data.length, 70_000);
    assert.deepEqual(frames[2], { data: binary, binary: true });
    assert.equal(frames[3]!.data.toString(), 'after, through ws itself');
    socket.close();
  }
});

test('a compressed frame is deflated once for a payload and inflated by each client, in order with ws sends', async () => {
  const compressing = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: perMessageDeflateOptions({ threshold: 0, level: 6 }) });
  const sockets: WebSocket[] = [];
  compressing.on('connection', (socket) => sockets.push(socket));
  await new Promise<void>((resolve) => compressing.once('listening', () => resolve()));
  const port = (compressing.address() as AddressInfo).port;
  const clients: { socket: WebSocket; frames: Buffer[] }[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const socket = new WebSocket(`ws://127.0.0.1:${port}`);
      const frames: Buffer[] = [];
      socket.on('message', (data: Buffer) => frames.push(data));
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      clients.push({ socket, frames });
    }
    while (sockets.length < 2) await new Promise((resolve) => setImmediate(resolve));
    const payload = Buffer.from('{"type":1,"target":"t","arguments":["' + 'abc'.repeat(2000) + '"]}\u001e');
    const before = deflateCount();
    const lengths = sockets.map((socket) => writePrecompressed(socket, payload, false, 6, 15, true));
    assert.equal(deflateCount() - before, 1);
    assert.equal(lengths[0], lengths[1]);
    assert.ok(lengths[0]! < payload.length / 10);
    for (const socket of sockets) socket.send('after');
    for (const { socket, frames } of clients) {
      await received(frames, 2);
      assert.deepEqual(frames[0], payload);
      assert.equal(frames[1]!.toString(), 'after');
      socket.close();
    }
  } finally {
    for (const socket of sockets) socket.terminate();
    await new Promise<void>((resolve) => compressing.close(() => resolve()));
  }
});
