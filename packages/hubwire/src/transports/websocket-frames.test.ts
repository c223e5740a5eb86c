import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { writePreframed } from './websocket-frames.js';

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
