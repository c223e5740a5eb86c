/**
 * The load-and-abuse harness: a Hubwire server in a child process (its memory measured after a
 * full GC), a canary official client whose round-trip latency shows whether other connections
 * still get served, and helpers shared by the scenarios. Every scenario is bounded in count and
 * time and stops by itself.
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HubServerOptions } from 'hubwire';
import { signalR } from '../../support/signalr-client.js';
import { within } from '../../support/wait.js';

/** Memory of the server process after a full collection, in bytes. */
export interface ServerMemory {
  readonly heapUsed: number;
  readonly rss: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** The server under abuse. */
export interface AbuseServer {
  /** `http://127.0.0.1:port/hubs/abuse` */
  readonly hubUrl: string;
  readonly port: number;
  memory(): Promise<ServerMemory>;
  stats(): Promise<{ connections: number; counters: Record<string, number> }>;
  /** Broadcasts `count` messages of `bytes` characters to every connection. */
  broadcast(count: number, bytes: number): Promise<void>;
  /** Whether the process is still alive (it must never crash). */
  readonly alive: boolean;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url));

/**
 * Starts the abuse server with hub options (JSON-serializable ones only).
 *
 * @example
 * ```ts
 * const server = await startAbuseServer({ disconnectTimeout: 1000 });
 * after(() => server.stop());
 * ```
 */
export async function startAbuseServer(options: HubServerOptions = {}): Promise<AbuseServer> {
  const child: ChildProcess = fork(CHILD, [], {
    execArgv: ['--expose-gc', '--conditions=hubwire-source', '--import', 'tsx'],
    env: { ...process.env, HUBWIRE_ABUSE_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited = false;
  const pending = new Map<number, (body: any) => void>();
  let nextId = 1;
  child.on('message', (message: { id: number; body: unknown }) => {
    pending.get(message.id)?.(message.body);
    pending.delete(message.id);
  });
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));
  const ask = (request: Record<string, unknown>, ms = 20_000): Promise<any> => {
    if (exited) return Promise.reject(new Error('the abuse server has exited'));
    const id = nextId++;
    const answer = new Promise<any>((resolve) => pending.set(id, resolve));
    child.send({ ...request, id });
    return within(answer, ms, `abuse server answer to ${String(request['type'])}`);
  };
  const ready = await within(new Promise<{ port: number }>((resolve, reject) => {
    pending.set(0, resolve);
    child.once('exit', (code) => reject(new Error(`abuse server exited with ${code} before listening`)));
  }), 20_000, 'abuse server start');
  return {
    port: ready.port,
    hubUrl: `http://127.0.0.1:${ready.port}/hubs/abuse`,
    memory: () => ask({ type: 'memory' }),
    stats: () => ask({ type: 'stats' }),
    broadcast: async (count, bytes) => {
      await ask({ type: 'broadcast', count, bytes }, 60_000);
    },
    get alive() {
      return !exited;
    },
    async stop() {
      if (exited) return;
      await ask({ type: 'stop' }).catch(() => undefined);
      await within(exitedPromise, 10_000, 'abuse server exit').catch(() => child.kill('SIGKILL'));
    },
  };
}

/** An official client that keeps measuring `echo` round trips. */
export interface Canary {
  /** Round-trip times (ms) of `samples` sequential echoes. */
  roundTrips(samples: number): Promise<number[]>;
  stop(): Promise<void>;
}

/** Connects the canary over WebSockets. */
export async function startCanary(hubUrl: string): Promise<Canary> {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(hubUrl, { transport: signalR.HttpTransportType.WebSockets })
    .configureLogging(signalR.LogLevel.None)
    .build();
  await within(connection.start(), 10_000, 'canary start');
  return {
    async roundTrips(samples) {
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const started = performance.now();
        await within(connection.invoke('echo', i), 10_000, 'canary echo');
        times.push(performance.now() - started);
      }
      return times;
    },
    stop: () => connection.stop(),
  };
}

/** The value below which `fraction` of `values` fall. */
export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

/** Megabytes, for messages. */
export function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

/** Polls the async `probe` until it returns true, failing with `describe()` after `ms`. */
export async function eventually(probe: () => Promise<boolean>, ms: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A raw WebSocket to the abuse hub that has completed the JSON handshake (skipNegotiation). */
export async function rawHubSocket(port: number): Promise<import('ws').WebSocket> {
  const { WebSocket } = await import('ws');
  const socket = new WebSocket(`ws://127.0.0.1:${port}/hubs/abuse`, { perMessageDeflate: false });
  await within(
    new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    }),
    10_000,
    'raw socket open',
  );
  const handshake = new Promise<void>((resolve) => socket.once('message', () => resolve()));
  socket.send('{"protocol":"json","version":1}\u001e');
  await within(handshake, 10_000, 'raw socket handshake');
  return socket;
}
