/**
 * The load process's connections: opened in bounded batches, closed together,
 * with a tally of everything unexpected they reported.
 */
import { sleep } from '../lib/clock.js';
import type { BroadcastPayload, OpenArgs, OpenResult, ServerKind } from '../lib/commands.js';
import type { BenchConnection, ConnectionEvents } from './connection.js';
import { SignalRConnection, type HubConnectOptions } from './signalr-client.js';
import { SignalRMsgpackConnection } from './signalr-msgpack-client.js';
import { SocketIoConnection } from './socketio-client.js';
import { RawWsConnection } from './ws-client.js';

/** Receivers the pool forwards traffic to; the load process swaps them per phase. */
export interface TrafficSink {
  echoReply?(conn: BenchConnection, value: unknown, error?: string): void;
  broadcast?(conn: BenchConnection, payload: BroadcastPayload): void;
}

const MAX_SAMPLES = 10;

function createConnection(kind: ServerKind, port: number, events: ConnectionEvents, options: HubConnectOptions): BenchConnection {
  switch (kind) {
    case 'hubwire':
    case 'hubwire+uws':
    case 'hubwire+metrics':
      return new SignalRConnection(port, events, options);
    case 'hubwire+msgpack':
      return new SignalRMsgpackConnection(port, events, options);
    case 'socketio':
      return new SocketIoConnection(port, events);
    case 'ws':
    case 'uws':
      return new RawWsConnection(port, events);
  }
}

/**
 * What a client does over HTTP before its socket (`viaHttp`): Hubwire's negotiate (the socket
 * then carries the connection token, as the stock client sends it), one GET for ws and uWS.
 * Socket.IO over WebSocket only has no HTTP step. `fetch` keeps its connections alive, as a
 * browser would between a page's requests.
 */
async function preflight(kind: ServerKind, port: number): Promise<string | undefined> {
  const base = `http://127.0.0.1:${port}`;
  if (kind === 'socketio') return undefined;
  if (kind === 'ws' || kind === 'uws') {
    const response = await fetch(`${base}/negotiate`);
    if (!response.ok) throw new Error(`GET /negotiate: ${response.status}`);
    await response.arrayBuffer();
    return undefined;
  }
  const response = await fetch(`${base}/bench/negotiate?negotiateVersion=1`, { method: 'POST' });
  if (!response.ok) throw new Error(`negotiate: ${response.status}`);
  const body = (await response.json()) as { connectionToken?: string };
  if (!body.connectionToken) throw new Error('negotiate: no connectionToken');
  return `?id=${encodeURIComponent(body.connectionToken)}`;
}

async function connect(args: OpenArgs, index: number, events: ConnectionEvents): Promise<BenchConnection> {
  const query = args.viaHttp ? await preflight(args.kind, args.port) : undefined;
  const group = args.groups ? `g${index % args.groups}` : undefined;
  return createConnection(args.kind, args.port, events, { ...(query ? { query } : {}), ...(group ? { group } : {}) }).opened(args.connectTimeoutMs);
}

export class ConnectionPool implements ConnectionEvents {
  readonly connections: BenchConnection[] = [];
  sink: TrafficSink = {};
  unexpectedCloses = 0;
  problems = 0;
  readonly problemSamples: string[] = [];

  echoReply(conn: BenchConnection, value: unknown, error?: string): void {
    this.sink.echoReply?.(conn, value, error);
  }

  broadcast(conn: BenchConnection, payload: BroadcastPayload): void {
    if (this.sink.broadcast) this.sink.broadcast(conn, payload);
    else this.problem(conn, `broadcast received outside a broadcast phase (seq ${payload?.seq})`);
  }

  problem(conn: BenchConnection, detail: string): void {
    this.problems++;
    if (this.problemSamples.length < MAX_SAMPLES) this.problemSamples.push(`#${conn.index}: ${detail}`);
  }

  closed(conn: BenchConnection): void {
    if (conn.ready && conn.index >= 0 && !conn.closeRequested) this.unexpectedCloses++;
  }

  get openCount(): number {
    let open = 0;
    for (const conn of this.connections) if (conn.isOpen) open++;
    return open;
  }

  async open(args: OpenArgs): Promise<OpenResult> {
    const started = performance.now();
    const failureSamples: string[] = [];
    let failed = 0;
    for (let done = 0; done < args.count; done += args.batchSize) {
      const batch = Math.min(args.batchSize, args.count - done);
      const first = this.connections.length;
      const attempts = Array.from({ length: batch }, (_, i) => connect(args, first + i, this));
      for (const outcome of await Promise.allSettled(attempts)) {
        if (outcome.status === 'fulfilled') {
          outcome.value.index = this.connections.length;
          this.connections.push(outcome.value);
        } else {
          failed++;
          if (failureSamples.length < MAX_SAMPLES) failureSamples.push(String(outcome.reason));
        }
      }
    }
    return { open: this.connections.length, failed, elapsedMs: performance.now() - started, failureSamples };
  }

  /**
   * Replace `args.count` random open connections with new ones at the same positions (so the
   * same groups): each closed with a close handshake, then its successor connected.
   */
  async reconnect(args: OpenArgs): Promise<{ closed: number; opened: number; failed: number; failureSamples: string[] }> {
    const open = this.connections.filter((conn) => conn.isOpen);
    const chosen = new Set<BenchConnection>();
    while (chosen.size < Math.min(args.count, open.length)) chosen.add(open[Math.floor(Math.random() * open.length)]!);
    const failureSamples: string[] = [];
    let opened = 0;
    let failed = 0;
    await Promise.all(
      [...chosen].map(async (old) => {
        const index = old.index;
        old.close();
        try {
          const fresh = await connect(args, index, this);
          fresh.index = index;
          this.connections[index] = fresh;
          opened++;
        } catch (error) {
          failed++;
          if (failureSamples.length < MAX_SAMPLES) failureSamples.push(String(error));
        }
      }),
    );
    return { closed: chosen.size, opened, failed, failureSamples };
  }

  /** Close everything (close handshake, then terminate stragglers); bounded by `timeoutMs`. */
  async closeAll(timeoutMs: number): Promise<number> {
    const all = this.connections.splice(0);
    for (const conn of all) conn.close();
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline && all.some((conn) => !conn.isClosed)) await sleep(50);
    for (const conn of all) if (!conn.isClosed) conn.terminate();
    return all.length;
  }
}
