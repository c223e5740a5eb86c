/**
 * Shared runtime of a benchmarked server process: it listens, announces its
 * port to the orchestrator, and answers the orchestrator's commands (paced
 * broadcast loop, CPU and memory samples, stop). Each server file only says
 * how to listen, broadcast, count connections and close.
 */
import { sleep, wallClockMs, withTimeout } from '../lib/clock.js';
import type {
  BroadcastArgs,
  BroadcastPayload,
  BroadcastResult,
  CpuDelta,
  GroupTrafficArgs,
  MemorySample,
  ServerCommands,
} from '../lib/commands.js';
import { announceFailure, announceReady, errorText, serveIpc } from '../lib/ipc.js';
import { median } from '../lib/stats.js';

export interface BenchServer {
  /** Library name and version, for the report. */
  readonly library: string;
  /** Listen on 127.0.0.1, port 0; resolve with the port. */
  listen(): Promise<number>;
  /** Send `payload` to every connected client with the library's natural broadcast API. */
  broadcast(payload: BroadcastPayload): void | Promise<void>;
  /** Send `payload` to one group's members (Hubwire only: the soak). */
  sendToGroup?(group: string, payload: BroadcastPayload): void | Promise<void>;
  /** Connections the library knows about, or null if its API does not say. */
  connectionCount(): number | null;
  close(): Promise<void>;
}

/** Pad the payload so that its JSON is `bytes` long (give or take a digit of `seq`/`t`). */
function padFor(bytes: number, count: number): string {
  const probe: BroadcastPayload = { seq: count, t: 1_700_000_000_000.123, pad: '' };
  return 'x'.repeat(Math.max(0, bytes - JSON.stringify(probe).length));
}

/** The soak's steady traffic: paced sends, each to the next group in turn. */
async function groupTrafficLoop(server: BenchServer, args: GroupTrafficArgs): Promise<BroadcastResult> {
  const send = server.sendToGroup?.bind(server);
  if (!send) throw new Error(`${server.library} has no group sends`);
  const count = Math.floor(args.durationMs / args.intervalMs);
  return broadcastLoop({ ...server, broadcast: (payload) => send(`g${(payload.seq >>> 0) % args.groups}`, payload) }, {
    count,
    intervalMs: args.intervalMs,
    payloadBytes: args.payloadBytes,
    warmup: false,
  });
}

async function broadcastLoop(server: BenchServer, args: BroadcastArgs): Promise<BroadcastResult> {
  const pad = padFor(args.payloadBytes, args.count);
  const pending: Promise<void>[] = [];
  const sendErrors: string[] = [];
  const noteError = (error: unknown): void => {
    if (sendErrors.length < 5) sendErrors.push(errorText(error));
  };
  let firstSendAt = NaN;
  let lastSendAt = NaN;
  let maxTickLagMs = 0;
  let callMs = 0;
  const start = performance.now();
  for (let i = 0; i < args.count; i++) {
    const due = start + i * args.intervalMs;
    const wait = due - performance.now();
    // Behind schedule, still yield once: a server's event loop runs I/O between two sends, and
    // without it a lagging loop would starve what the library scheduled (a Redis client writes
    // its commands from setImmediate and drops those unwritten for 5 s).
    if (wait > 1) await sleep(wait);
    else await new Promise<void>((resolve) => setImmediate(resolve));
    maxTickLagMs = Math.max(maxTickLagMs, performance.now() - due);
    const t = Math.round(wallClockMs() * 1000) / 1000;
    if (i === 0) firstSendAt = t;
    lastSendAt = t;
    const payload: BroadcastPayload = { seq: args.warmup ? -1 : i, t, pad };
    const before = performance.now();
    try {
      const sending = server.broadcast(payload);
      if (sending) pending.push(sending.catch(noteError));
    } catch (error) {
      noteError(error);
    }
    callMs += performance.now() - before;
  }
  await withTimeout(Promise.all(pending), 30_000, 'broadcast promises').catch(noteError);
  return { sent: args.count, firstSendAt, lastSendAt, maxTickLagMs, callMs, sendErrors };
}

function cpuTracker(): { begin(): null; end(): CpuDelta } {
  let cpu = process.cpuUsage();
  let wall = performance.now();
  return {
    begin() {
      cpu = process.cpuUsage();
      wall = performance.now();
      return null;
    },
    end() {
      const delta = process.cpuUsage(cpu);
      return { userUs: delta.user, systemUs: delta.system, wallMs: performance.now() - wall };
    },
  };
}

/** Median of a few samples taken after full collections (when run with --expose-gc). */
async function sampleMemory(samples: number): Promise<MemorySample> {
  const gc = globalThis.gc;
  const taken: NodeJS.MemoryUsage[] = [];
  for (let i = 0; i < Math.max(1, samples); i++) {
    if (gc) {
      gc();
      gc();
    }
    await sleep(100);
    taken.push(process.memoryUsage());
  }
  const pick = (key: keyof NodeJS.MemoryUsage): number => median(taken.map((m) => m[key]));
  return {
    rss: pick('rss'),
    heapUsed: pick('heapUsed'),
    external: pick('external'),
    arrayBuffers: pick('arrayBuffers'),
    gcExposed: gc !== undefined,
  };
}

export async function runServerChild(create: () => BenchServer | Promise<BenchServer>): Promise<void> {
  let server: BenchServer;
  let port: number;
  try {
    server = await create();
    port = await server.listen();
  } catch (error) {
    announceFailure(error);
    setTimeout(() => process.exit(1), 100).unref();
    return;
  }
  const cpu = cpuTracker();
  serveIpc<ServerCommands>({
    broadcast: (args) => broadcastLoop(server, args),
    groupTraffic: (args) => groupTrafficLoop(server, args),
    cpuBegin: () => cpu.begin(),
    cpuEnd: () => cpu.end(),
    memory: ({ samples }) => sampleMemory(samples),
    connections: () => server.connectionCount(),
    stop: async () => {
      await withTimeout(server.close(), 4_000, 'server close').catch(() => undefined);
      setTimeout(() => process.exit(0), 50).unref();
      return null;
    },
  });
  announceReady({ port, library: server.library });
}
