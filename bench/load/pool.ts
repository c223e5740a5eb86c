/**
 * The load process's connections: opened in bounded batches, closed together,
 * with a tally of everything unexpected they reported.
 */
import { sleep } from '../lib/clock.js';
import type { BroadcastPayload, OpenArgs, OpenResult, ServerKind } from '../lib/commands.js';
import type { BenchConnection, ConnectionEvents } from './connection.js';
import { SignalRConnection } from './signalr-client.js';
import { SocketIoConnection } from './socketio-client.js';
import { RawWsConnection } from './ws-client.js';

/** Receivers the pool forwards traffic to; the load process swaps them per phase. */
export interface TrafficSink {
  echoReply?(conn: BenchConnection, value: unknown, error?: string): void;
  broadcast?(conn: BenchConnection, payload: BroadcastPayload): void;
}

const MAX_SAMPLES = 10;

function createConnection(kind: ServerKind, port: number, events: ConnectionEvents): BenchConnection {
  switch (kind) {
    case 'hubwire':
    case 'hubwire+metrics':
      return new SignalRConnection(port, events);
    case 'socketio':
      return new SocketIoConnection(port, events);
    case 'ws':
      return new RawWsConnection(port, events);
  }
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
      const attempts = Array.from({ length: batch }, () =>
        createConnection(args.kind, args.port, this).opened(args.connectTimeoutMs),
      );
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
