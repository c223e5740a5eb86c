/**
 * Accounting for broadcasts: which connection received which sequence number,
 * with send-to-receive latency from the timestamp the server put in the payload.
 */
import { wallClockMs } from '../lib/clock.js';
import type { BroadcastPayload, DeliveryResult } from '../lib/commands.js';
import { LatencyRecorder } from '../lib/stats.js';
import type { BenchConnection } from './connection.js';
import type { TrafficSink } from './pool.js';

/** Warm-up phase: which connections have received at least one warm-up broadcast. */
export class WarmupTracker implements TrafficSink {
  private readonly warm: Uint8Array;
  warmCount = 0;

  constructor(connections: number) {
    this.warm = new Uint8Array(connections);
  }

  broadcast(conn: BenchConnection): void {
    if (this.warm[conn.index] === 0) {
      this.warm[conn.index] = 1;
      this.warmCount++;
    }
  }
}

export class DeliveryTracker implements TrafficSink {
  private readonly seen: Uint8Array;
  private readonly lastSeq: Int32Array;
  private readonly latencies: LatencyRecorder;
  private readonly expected: number;
  private delivered = 0;
  private duplicates = 0;
  private outOfOrder = 0;
  private firstReceiveAt = NaN;
  private lastReceiveAt = NaN;
  private onComplete: (() => void) | undefined;
  readonly complete: Promise<void>;

  constructor(
    private readonly connections: number,
    private readonly broadcasts: number,
  ) {
    this.expected = connections * broadcasts;
    this.seen = new Uint8Array(this.expected);
    this.lastSeq = new Int32Array(connections).fill(-1);
    this.latencies = new LatencyRecorder(this.expected);
    this.complete = new Promise((resolve) => (this.onComplete = resolve));
    if (this.expected === 0) this.onComplete?.();
  }

  broadcast(conn: BenchConnection, payload: BroadcastPayload): void {
    const now = wallClockMs();
    const { seq } = payload;
    if (seq < 0 || conn.index >= this.connections) return; // a late warm-up broadcast
    if (seq >= this.broadcasts) return;
    const slot = conn.index * this.broadcasts + seq;
    if (this.seen[slot] === 1) {
      this.duplicates++;
      return;
    }
    this.seen[slot] = 1;
    if (seq < (this.lastSeq[conn.index] ?? -1)) this.outOfOrder++;
    else this.lastSeq[conn.index] = seq;
    this.latencies.add(now - payload.t);
    if (this.delivered++ === 0) this.firstReceiveAt = now;
    this.lastReceiveAt = now;
    if (this.delivered === this.expected) this.onComplete?.();
  }

  result(): DeliveryResult {
    let incompleteConnections = 0;
    for (let c = 0; c < this.connections; c++) {
      const row = this.seen.subarray(c * this.broadcasts, (c + 1) * this.broadcasts);
      if (row.includes(0)) incompleteConnections++;
    }
    return {
      connections: this.connections,
      broadcasts: this.broadcasts,
      expected: this.expected,
      delivered: this.delivered,
      lost: this.expected - this.delivered,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      incompleteConnections,
      firstReceiveAt: this.firstReceiveAt,
      lastReceiveAt: this.lastReceiveAt,
      latency: this.latencies.summary(),
      complete: this.delivered === this.expected,
    };
  }
}
