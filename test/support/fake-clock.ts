/**
 * A Clock whose time moves only when a test says so.
 * @module
 */
import type { Clock, TimerHandle } from 'hubwire';

interface Timer {
  at: number;
  readonly every: number | undefined;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Drives keep-alive, timeouts and sweeps deterministically: `clock.advance(15_000)`. */
export class FakeClock implements Clock {
  #now: number;
  #timers: Timer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#add({ at: this.#now + ms, every: undefined, fn, cancelled: false });
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.#add({ at: this.#now + ms, every: ms, fn, cancelled: false });
  }

  #add(timer: Timer): TimerHandle {
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#timers
        .filter((timer) => !timer.cancelled && timer.at <= target)
        .sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#now = due.at;
      if (due.every === undefined) due.cancelled = true;
      else due.at += due.every;
      due.fn();
    }
    this.#now = target;
    this.#timers = this.#timers.filter((timer) => !timer.cancelled);
  }
}
