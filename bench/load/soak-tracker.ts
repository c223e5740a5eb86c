/**
 * The soak's client-side accounting: every group delivery counted, with its send-to-receive
 * latency, for the whole soak and for the current window (one memory sample to the next).
 */
import { wallClockMs } from '../lib/clock.js';
import type { BroadcastPayload, SoakWindow } from '../lib/commands.js';
import { LatencyRecorder } from '../lib/stats.js';
import type { BenchConnection } from './connection.js';
import type { TrafficSink } from './pool.js';

export class SoakTracker implements TrafficSink {
  private total = new LatencyRecorder(1 << 20);
  private window = new LatencyRecorder(1 << 16);

  broadcast(_conn: BenchConnection, payload: BroadcastPayload): void {
    const latency = wallClockMs() - payload.t;
    this.total.add(latency);
    this.window.add(latency);
  }

  /** The window's figures (and the soak's so far); a new window starts. */
  take(): SoakWindow {
    const window = this.window;
    this.window = new LatencyRecorder(1 << 16);
    return { delivered: window.count, latency: window.summary(), total: { delivered: this.total.count, latency: this.total.summary() } };
  }
}
