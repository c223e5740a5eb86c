/**
 * The reconnect schedule: fixed delays with jitter, then a steady delay forever, as an
 * `IRetryPolicy` of the official client (used for its reconnects and for our retried first start).
 * @module
 */
import type { IRetryPolicy, RetryContext } from '@microsoft/signalr';

/** How long to wait before each attempt after a failure. */
export interface RetrySchedule {
  /** The delays (ms) before the first, second, … retry. Default `[0, 2000, 10000, 30000]`. */
  readonly delays?: readonly number[];
  /** The delay (ms) of every retry after those; `null` gives up after them. Default 30000. */
  readonly then?: number | null;
  /**
   * Each delay is drawn from `delay × (1 ± jitter)`, so clients cut off together do not all come
   * back in the same instant. 0 to 1; default 0.2. A delay of 0 stays 0.
   */
  readonly jitter?: number;
  /** A random number in [0, 1) (tests pass a fixed one). Default `Math.random`. */
  readonly random?: () => number;
}

/** The schedule the users asked for: 0, 2, 10, 30 s, then every 30 s. */
export const DEFAULT_RETRY_DELAYS: readonly number[] = [0, 2000, 10_000, 30_000];
const DEFAULT_THEN = 30_000;
const DEFAULT_JITTER = 0.2;

const isDelay = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/**
 * An `IRetryPolicy` that follows `schedule` and never gives up unless `then` is `null`.
 *
 * @example
 * ```ts
 * const policy = retrySchedule({ delays: [0, 1000, 5000], then: 15_000 });
 * policy.nextRetryDelayInMilliseconds({ previousRetryCount: 1, elapsedMilliseconds: 0, retryReason: new Error() }); // 800 to 1200
 * ```
 */
export function retrySchedule(schedule: RetrySchedule = {}): IRetryPolicy {
  const delays = schedule.delays ?? DEFAULT_RETRY_DELAYS;
  const then = schedule.then === undefined ? DEFAULT_THEN : schedule.then;
  const jitter = schedule.jitter ?? DEFAULT_JITTER;
  const random = schedule.random ?? Math.random;
  if (!delays.every(isDelay)) throw new RangeError(`retry delays must be finite numbers of milliseconds >= 0, not ${JSON.stringify(delays)}`);
  if (then !== null && !isDelay(then)) throw new RangeError(`'then' must be a finite number of milliseconds >= 0 or null, not ${String(then)}`);
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`jitter must be between 0 and 1, not ${String(jitter)}`);
  return {
    nextRetryDelayInMilliseconds(context: RetryContext): number | null {
      const base = context.previousRetryCount < delays.length ? delays[context.previousRetryCount]! : then;
      if (base === null) return null;
      if (base === 0 || jitter === 0) return base;
      return Math.max(0, Math.round(base * (1 - jitter + 2 * jitter * random())));
    },
  };
}
