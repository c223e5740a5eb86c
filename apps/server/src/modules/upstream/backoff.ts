/**
 * When a failed webhook delivery is tried again: exponential backoff with jitter, or what the
 * upstream asked for in `Retry-After`, never beyond the cap.
 * @module
 */

/** The retry schedule's knobs. */
export interface BackoffOptions {
  /** The first retry's delay (ms) before jitter. Default 1000. */
  readonly baseMs?: number;
  /** No delay is longer (ms). Default 30 000. */
  readonly capMs?: number;
}

/**
 * The delay before attempt `failed + 1`, after `failed` attempts: `base · 2^(failed-1)` (1 s, 2 s,
 * 4 s …) times a random factor in [0.5, 1) so a burst of failures does not retry in lock step, or
 * `retryAfterMs` when the upstream named one, each capped.
 *
 * @example
 * ```ts
 * retryDelay(3, Math.random);            // 2000..4000 ms
 * retryDelay(1, Math.random, {}, 5000);  // 5000 ms (Retry-After: 5)
 * ```
 */
export function retryDelay(failed: number, random: () => number, options: BackoffOptions = {}, retryAfterMs?: number): number {
  const base = options.baseMs ?? 1000;
  const cap = options.capMs ?? 30_000;
  if (retryAfterMs !== undefined) return Math.min(cap, Math.max(0, retryAfterMs));
  const exponential = Math.min(cap, base * 2 ** Math.max(0, Math.min(30, failed - 1)));
  return Math.round(exponential * (0.5 + random() / 2));
}

/**
 * `Retry-After` in ms: delay-seconds or an HTTP date (relative to `now`); undefined when absent or
 * unreadable.
 *
 * @example
 * ```ts
 * parseRetryAfter('3', Date.now()); // 3000
 * ```
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
