/**
 * Time as Hubwire sees it. Keep-alive, client timeouts, handshake timeouts and sweeps all read
 * time and schedule through a Clock, so tests can drive them with a fake one instead of sleeping.
 * @module
 */

/** A handle returned by {@link Clock.setInterval} / {@link Clock.setTimeout}. */
export interface TimerHandle {
  /** Stops the timer; calling it twice is harmless. */
  cancel(): void;
}

/** The time source and scheduler used by every timer in Hubwire. */
export interface Clock {
  /** Milliseconds since the epoch (or any fixed origin). */
  now(): number;
  /** Runs `fn` once after `ms`. The timer must not keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Runs `fn` every `ms`. The timer must not keep the process alive. */
  setInterval(fn: () => void, ms: number): TimerHandle;
}

/** The real clock: `Date.now` and unref'ed Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  setInterval(fn, ms) {
    const t = setInterval(fn, ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  },
};
