/**
 * WebSocket compression (permessage-deflate): server CPU per delivery and bytes on the wire per
 * delivery for broadcasts of 100 B, 2 KB and 20 KB JSON payloads to N clients, with and without
 * compression. Standalone (not part of `npm run bench`):
 *
 * ```
 * node --conditions=hubwire-source --import tsx bench/scenarios/compression.ts [--clients=500] [--rounds=7]
 * ```
 *
 * One Hubwire server runs in a child process with two hubs, `/plain` (compression off) and
 * `/deflate` (`webSocketCompression: {}`: threshold 1 KiB, level 6); only its CPU is measured
 * (`process.cpuUsage()` between two marks). The clients (raw TCP sockets that offer
 * permessage-deflate as browsers do, `/plain` declining it, and count frames without inflating)
 * run in this process, N per hub, and count the bytes their TCP sockets read. In each round every size is
 * measured on both hubs back to back, the order alternating, so the ratio of a round compares
 * two measurements taken under the same background load; the report gives medians and min–max.
 * `BENCH_COMPRESSION_AA=1` maps both hubs without compression: the ratios then show the noise.
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createHubServer, Hub } from 'hubwire';
import { machineInfo } from '../lib/machine.js';

const SIZES = [100, 2_000, 20_000] as const;
const BROADCASTS: Record<(typeof SIZES)[number], number> = { 100: 200, 2000: 80, 20000: 40 };
const BATCH = 10;
const HUBS = ['plain', 'deflate'] as const;
type HubName = (typeof HUBS)[number];
const RS = '\u001e';

type Command = { op: 'begin' } | { op: 'end' } | { op: 'broadcast'; hub: HubName; size: number; count: number };

/** A JSON payload of about `size` bytes that compresses like application data (ids, names, numbers). */
function payload(size: number): unknown {
  const rows: unknown[] = [];
  for (let i = 0; JSON.stringify(rows).length < size - 40; i++) {
    rows.push({ id: 10_000 + i * 7, name: `campaign-${(i * 7919) % 1000}`, status: i % 3 === 0 ? 'paused' : 'active', spent: Math.round(i * 1733.7) / 100 });
  }
  return rows;
}

// ---- the server child -------------------------------------------------------------------------

async function serveChild(): Promise<void> {
  interface Receiver {
    message(payload: unknown): void;
  }
  class PlainHub extends Hub<Receiver> {}
  class DeflateHub extends Hub<Receiver> {}
  const ignore = (): void => undefined;
  const hubwire = createHubServer({ logger: { debug: ignore, info: ignore, warn: ignore, error: ignore } });
  hubwire.mapHub('/plain', PlainHub);
  // BENCH_COMPRESSION_AA=1: both hubs without compression, to see how far two equal hubs differ.
  hubwire.mapHub('/deflate', DeflateHub, { webSocketCompression: process.env.BENCH_COMPRESSION_AA === '1' ? false : {} });
  const contexts = { plain: hubwire.hubContext(PlainHub), deflate: hubwire.hubContext(DeflateHub) };
  const payloads = new Map(SIZES.map((size) => [size as number, payload(size)]));
  const { port } = await hubwire.listen({ port: 0, host: '127.0.0.1' });
  process.once('SIGINT', () => process.exit(0));
  let started = process.cpuUsage();
  process.on('message', (command: Command) => {
    void (async () => {
      if (command.op === 'begin') {
        started = process.cpuUsage();
        process.send!({ op: 'begun' });
      } else if (command.op === 'end') {
        const used = process.cpuUsage(started);
        process.send!({ op: 'ended', cpuMicros: used.user + used.system });
      } else {
        const value = payloads.get(command.size)!;
        for (let i = 0; i < command.count; i++) await contexts[command.hub].clients.all.send('message', value);
        process.send!({ op: 'sent' });
      }
    })();
  });
  process.send!({ op: 'listening', port });
}

// ---- the orchestrator -------------------------------------------------------------------------

interface Client {
  socket: Socket;
  /** Data frames after the handshake answer (-1 until it came): one per broadcast. */
  received: number;
}

/**
 * A client on a raw TCP socket: it offers permessage-deflate as browsers do, completes the JSON
 * hub handshake, then only counts frames (one per broadcast) by their headers and never inflates,
 * so the clients' own work is the same with compression and without, whatever it costs them.
 */
async function openClient(port: number, hub: HubName): Promise<Client> {
  const socket = createConnection({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  socket.write(
    `GET /${hub} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n',
  );
  const client: Client = { socket, received: -1 };
  let input: Buffer = Buffer.alloc(0);
  let upgraded = false;
  socket.on('data', (chunk: Buffer) => {
    input = input.length === 0 ? chunk : Buffer.concat([input, chunk]);
    if (!upgraded) {
      const end = input.indexOf('\r\n\r\n');
      if (end === -1) return;
      if (!input.subarray(0, 12).toString('latin1').includes('101')) throw new Error(`upgrade refused: ${input.subarray(0, end).toString('latin1')}`);
      upgraded = true;
      input = input.subarray(end + 4);
      socket.write(maskedText(`{"protocol":"json","version":1}${RS}`));
    }
    // Whole frames only; their payloads are skipped, never read.
    for (;;) {
      if (input.length < 2) return;
      let length = input[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (input.length < 4) return;
        length = input.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (input.length < 10) return;
        length = Number(input.readBigUInt64BE(2));
        offset = 10;
      }
      if (input.length < offset + length) return;
      const opcode = input[0]! & 0x0f;
      // A hub Ping is small and rare (every 15 s of silence); it is not a broadcast.
      if (opcode === 1 && !(length < 20 && input.subarray(offset, offset + length).includes('"type":6'))) client.received++;
      input = input.subarray(offset + length);
    }
  });
  return client;
}

/** A masked client text frame (the handshake), as clients must send it. */
function maskedText(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const mask = randomBytes(4);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!))]);
}

const bytesRead = (clients: Client[]): number => clients.reduce((n, c) => n + c.socket.bytesRead, 0);

class ServerChild {
  readonly #child: ChildProcess;
  constructor(child: ChildProcess) {
    this.#child = child;
  }
  async ask<T>(command: Command, reply: string): Promise<T> {
    const answer = new Promise<T>((resolve) => {
      const listener = (message: { op: string }): void => {
        if (message.op !== reply) return;
        this.#child.off('message', listener);
        resolve(message as T);
      };
      this.#child.on('message', listener);
    });
    this.#child.send(command);
    return answer;
  }
  kill(): void {
    // Not SIGTERM's default death: the child exits on its own, so a CPU profile gets written.
    this.#child.kill('SIGINT');
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

interface Sample {
  cpuPerDelivery: number;
  bytesPerDelivery: number;
}

async function measure(server: ServerChild, clients: Client[], hub: HubName, size: number): Promise<Sample> {
  const count = BROADCASTS[size as (typeof SIZES)[number]];
  const receivedBefore = clients.reduce((n, c) => n + c.received, 0);
  const bytesBefore = bytesRead(clients);
  await server.ask({ op: 'begin' }, 'begun');
  for (let sent = 0; sent < count; sent += BATCH) {
    await server.ask({ op: 'broadcast', hub, size, count: BATCH }, 'sent');
    const target = receivedBefore + (sent + BATCH) * clients.length;
    await until(() => clients.reduce((n, c) => n + c.received, 0) >= target, `${hub} ${size} B deliveries`);
  }
  const { cpuMicros } = await server.ask<{ cpuMicros: number }>({ op: 'end' }, 'ended');
  const deliveries = count * clients.length;
  return { cpuPerDelivery: cpuMicros / deliveries, bytesPerDelivery: (bytesRead(clients) - bytesBefore) / deliveries };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const range = (values: number[], digits: number): string => `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;

async function orchestrate(): Promise<void> {
  const arg = (name: string, fallback: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
  const clientsPerHub = arg('clients', 500);
  const rounds = arg('rounds', 7);
  // BENCH_CPU_PROF=<dir>: the server child writes a V8 CPU profile there (see bench/profile-share.ts).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = fork(fileURLToPath(import.meta.url), ['--server-child'], { execArgv: [...process.execArgv, ...profile], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const server = new ServerChild(child);
  try {
    const [{ port }] = (await once(child, 'message')) as [{ port: number }];
    const clients: Record<HubName, Client[]> = { plain: [], deflate: [] };
    for (const hub of HUBS) {
      for (let i = 0; i < clientsPerHub; i += 50) {
        clients[hub].push(...(await Promise.all(Array.from({ length: Math.min(50, clientsPerHub - i) }, () => openClient(port, hub)))));
      }
      await until(() => clients[hub].every((c) => c.received >= 0), `${hub} handshakes`);
    }
    const samples = new Map<string, Sample[]>();
    // Warm-up: one round not recorded.
    for (let round = -1; round < rounds; round++) {
      for (const size of SIZES) {
        const order = round % 2 === 0 ? HUBS : [...HUBS].reverse();
        for (const hub of order) {
          const sample = await measure(server, clients[hub], hub, size);
          if (round >= 0) samples.set(`${hub}:${size}`, [...(samples.get(`${hub}:${size}`) ?? []), sample]);
        }
      }
    }
    const machine = machineInfo();
    console.log(`${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}, ${machine.date}`);
    console.log(`${clientsPerHub} clients per hub, ${rounds} rounds (+1 warm-up), broadcasts per measurement: ${SIZES.map((s) => `${s} B ${BROADCASTS[s]}`).join(', ')}\n`);
    console.log('| payload | compression | server CPU µs/delivery, median (min–max) | bytes on the wire/delivery | CPU ratio on/off, median (min–max) |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const size of SIZES) {
      const plain = samples.get(`plain:${size}`)!;
      const deflate = samples.get(`deflate:${size}`)!;
      const ratios = plain.map((p, i) => deflate[i]!.cpuPerDelivery / p.cpuPerDelivery);
      for (const [hub, list] of [['off', plain], ['on', deflate]] as const) {
        const cpu = list.map((s) => s.cpuPerDelivery);
        const bytes = median(list.map((s) => s.bytesPerDelivery));
        const ratio = hub === 'on' ? `${median(ratios).toFixed(2)}x (${range(ratios, 2)})` : '';
        console.log(`| ${size} B | ${hub} | ${median(cpu).toFixed(2)} (${range(cpu, 2)}) | ${Math.round(bytes)} | ${ratio} |`);
      }
    }
    for (const hub of HUBS) for (const client of clients[hub]) client.socket.destroy();
  } finally {
    server.kill();
  }
}

if (process.argv.includes('--server-child')) await serveChild();
else await orchestrate();
