/**
 * Closed-loop echo: each client sends its next request when the previous answer
 * arrives, until the duration is over; round-trip times are recorded per reply.
 */
import type { EchoResult } from '../lib/commands.js';
import { LatencyRecorder } from '../lib/stats.js';
import type { BenchConnection } from './connection.js';
import type { TrafficSink } from './pool.js';

interface EchoRequest {
  n: number;
  msg: string;
}

const MESSAGE = 'hubwire bench echo payload';

export class EchoRunner implements TrafficSink {
  private readonly sentAt: Float64Array;
  private readonly expectedN: Float64Array;
  private readonly latencies = new LatencyRecorder(1 << 16);
  private inFlight = 0;
  private roundTrips = 0;
  private errors = 0;
  private readonly errorSamples: string[] = [];
  private startedAt = 0;
  private endAt = 0;
  private lastReplyAt = 0;
  private nextN = 0;
  private finish: (() => void) | undefined;

  constructor(
    private readonly clients: readonly BenchConnection[],
    private readonly durationMs: number,
    private readonly record: boolean,
  ) {
    const size = Math.max(0, ...clients.map((c) => c.index)) + 1;
    this.sentAt = new Float64Array(size);
    this.expectedN = new Float64Array(size);
  }

  /** Run the loop; gives up on missing replies `graceMs` after the duration. */
  run(graceMs: number): Promise<EchoResult> {
    this.startedAt = performance.now();
    this.endAt = this.startedAt + this.durationMs;
    const finished = new Promise<void>((resolve) => (this.finish = resolve));
    for (const conn of this.clients) this.send(conn);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.noteError(`${this.inFlight} request(s) still unanswered ${graceMs} ms after the end`);
        this.errors += this.inFlight - 1;
        resolve();
      }, this.durationMs + graceMs);
    });
    return Promise.race([finished, timedOut]).then(() => {
      clearTimeout(timer);
      this.finish = undefined;
      return {
        clients: this.clients.length,
        roundTrips: this.roundTrips,
        elapsedMs: (this.lastReplyAt || performance.now()) - this.startedAt,
        latency: this.latencies.summary(),
        errors: this.errors,
        errorSamples: this.errorSamples,
      };
    });
  }

  private send(conn: BenchConnection): void {
    const n = this.nextN++;
    this.expectedN[conn.index] = n;
    this.sentAt[conn.index] = performance.now();
    this.inFlight++;
    const request: EchoRequest = { n, msg: MESSAGE };
    conn.sendEcho(request);
  }

  echoReply(conn: BenchConnection, value: unknown, error?: string): void {
    if (!this.finish) return;
    const now = performance.now();
    this.inFlight--;
    this.lastReplyAt = now;
    if (error !== undefined) {
      this.noteError(`error reply: ${error}`);
    } else if ((value as EchoRequest | null)?.n !== this.expectedN[conn.index]) {
      this.noteError(`reply does not match request ${this.expectedN[conn.index]}: ${JSON.stringify(value)}`);
    } else {
      this.roundTrips++;
      if (this.record) this.latencies.add(now - (this.sentAt[conn.index] ?? now));
    }
    if (now < this.endAt && conn.isOpen) this.send(conn);
    else if (this.inFlight === 0) this.finish();
  }

  private noteError(detail: string): void {
    this.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(detail);
  }
}
