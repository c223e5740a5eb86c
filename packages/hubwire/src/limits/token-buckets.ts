/**
 * Token buckets by key (a connection, a user, a client address), with a bounded number of keys so
 * that an attacker who makes up keys cannot grow memory: past `maxKeys`, the least recently used
 * bucket is forgotten. A forgotten bucket comes back full, which is what a bucket left alone long
 * enough would be anyway; only a key busy enough to be limited and old enough to be the least
 * recently used one gains a little.
 * @module
 */

/** One limit: `burst` calls at once, refilled at `perSecond`. */
export interface BucketLimit {
  /** Tokens added per second (the sustained rate). */
  readonly perSecond: number;
  /** Most tokens a bucket holds (the burst). Default: `perSecond`, at least 1. */
  readonly burst?: number;
}

/** The answer to one {@link TokenBuckets.take}. */
export type TakeResult = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

const ALLOWED: TakeResult = { allowed: true };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets sharing one limit, keyed by string.
 *
 * @example
 * ```ts
 * const perUser = new TokenBuckets({ perSecond: 10, burst: 20 });
 * const outcome = perUser.take('jane', Date.now());
 * if (!outcome.allowed) console.log(`retry in ${outcome.retryAfterMs} ms`);
 * ```
 */
export class TokenBuckets {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  // Map order is insertion order; a touched key is re-inserted, so the first key is the least recently used.
  readonly #buckets = new Map<string, Bucket>();

  constructor(limit: BucketLimit, maxKeys = 100_000) {
    if (!(limit.perSecond > 0) || !Number.isFinite(limit.perSecond)) throw new RangeError(`perSecond must be a positive number; got ${limit.perSecond}`);
    const burst = limit.burst ?? Math.max(1, limit.perSecond);
    if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError(`burst must be at least 1; got ${burst}`);
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be a positive integer; got ${maxKeys}`);
    this.#ratePerMs = limit.perSecond / 1000;
    this.#burst = burst;
    this.#maxKeys = maxKeys;
  }

  /** Takes `cost` tokens from `key`'s bucket at time `now` (ms), or says how long until it could. */
  take(key: string, now: number, cost = 1): TakeResult {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!);
      bucket = { tokens: this.#burst, updatedAt: now };
    } else {
      this.#buckets.delete(key);
      const elapsed = Math.max(0, now - bucket.updatedAt);
      bucket.tokens = Math.min(this.#burst, bucket.tokens + elapsed * this.#ratePerMs);
      bucket.updatedAt = now;
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return ALLOWED;
    }
    return { allowed: false, retryAfterMs: Math.ceil((cost - bucket.tokens) / this.#ratePerMs) };
  }

  /** Forgets `key` (its connection ended). */
  delete(key: string): void {
    this.#buckets.delete(key);
  }

  /** How many keys are tracked. */
  get size(): number {
    return this.#buckets.size;
  }
}

/**
 * Counts of things that are open at once (connections per user or per address), with a ceiling.
 *
 * @example
 * ```ts
 * const perAddress = new ConcurrencyLimit(50);
 * if (!perAddress.acquire('10.0.0.7')) refuse();
 * // … when that connection ends:
 * perAddress.release('10.0.0.7');
 * ```
 */
export class ConcurrencyLimit {
  readonly #max: number;
  readonly #counts = new Map<string, number>();

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`a concurrency limit must be a positive integer; got ${max}`);
    this.#max = max;
  }

  /** Counts one more for `key` and returns true, or returns false (and counts nothing) at the ceiling. */
  acquire(key: string): boolean {
    const count = this.#counts.get(key) ?? 0;
    if (count >= this.#max) return false;
    this.#counts.set(key, count + 1);
    return true;
  }

  /** One fewer for `key`; keys at zero are forgotten, so memory follows what is open. */
  release(key: string): void {
    const count = this.#counts.get(key);
    if (count === undefined) return;
    if (count <= 1) this.#counts.delete(key);
    else this.#counts.set(key, count - 1);
  }

  /** How many are open for `key`. */
  count(key: string): number {
    return this.#counts.get(key) ?? 0;
  }
}
