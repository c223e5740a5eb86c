/**
 * A FakeClock that counts the one-shot timers scheduled on it, so a test can wait until the
 * server holds a long poll (each held poll schedules its poll timeout) instead of sleeping.
 * @module
 */
import type { TimerHandle } from 'hubwire';
import { FakeClock } from './fake-clock.js';
import { until } from './wait.js';

export class WatchedClock extends FakeClock {
  readonly #scheduled = new Map<number, number>();

  override setTimeout(fn: () => void, ms: number): TimerHandle {
    this.#scheduled.set(ms, (this.#scheduled.get(ms) ?? 0) + 1);
    return super.setTimeout(fn, ms);
  }

  /** How many one-shot timers of `ms` were scheduled so far. */
  scheduledCount(ms: number): number {
    return this.#scheduled.get(ms) ?? 0;
  }

  /** Waits until `count` timers of `ms` have been scheduled in all. */
  async scheduled(ms: number, count: number, within = 5000): Promise<void> {
    await until(() => this.scheduledCount(ms) >= count, within, `${count} timer(s) of ${ms} ms`);
  }

  /** Advances `seconds` one second at a time, so the 1 s heartbeat runs at every step. */
  seconds(seconds: number): void {
    for (let i = 0; i < seconds; i++) this.advance(1000);
  }
}
