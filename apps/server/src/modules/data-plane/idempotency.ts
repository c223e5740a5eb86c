/**
 * `Idempotency-Key` on sends (beyond Azure): a caller that retries a send after a timeout or a
 * dropped answer sends the same key, and the message is delivered once. The first request with a
 * key claims it, with a fingerprint of what it sends; a retry with the same fingerprint is
 * answered 202 without sending again, one with another fingerprint is refused (422). Keys live
 * for {@link IDEMPOTENCY_TTL_MS}; a send that fails gives its key back so a retry goes through.
 * In memory for one process, in Redis (`SET NX PX`) for a cluster, so a retry that lands on
 * another node is caught too.
 * @module
 */
import type { ClusterContext } from '../../cluster/cluster-context.js';
import { withTimeout } from '../../cluster/bounded.js';
import { DataPlaneError } from './results.js';

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Keys one process remembers at most (the oldest go first). */
export const MAX_MEMORY_KEYS = 100_000;

/** What a claim found: a new key, a retry of the same request, or the key used for another one. */
export type Claim = 'new' | 'replay' | 'conflict';

/** Where recent keys are kept. */
export interface IdempotencyStore {
  claim(key: string, fingerprint: string): Promise<Claim>;
  /** Forgets `key` if it still holds `fingerprint` (the send it guarded failed). */
  release(key: string, fingerprint: string): Promise<void>;
}

/**
 * The keys of one process.
 *
 * @example
 * ```ts
 * const store = new MemoryIdempotencyStore();
 * await store.claim('/hubs/chat\nretry-1', fingerprint); // 'new', then 'replay' for the same fingerprint
 * ```
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #keys = new Map<string, { fingerprint: string; expiresAt: number }>();
  readonly #now: () => number;
  readonly #ttl: number;

  constructor(now: () => number = Date.now, ttlMs = IDEMPOTENCY_TTL_MS) {
    this.#now = now;
    this.#ttl = ttlMs;
  }

  async claim(key: string, fingerprint: string): Promise<Claim> {
    const now = this.#now();
    // Insertion order is expiry order (one ttl for all), so expired keys sit at the front.
    for (const [oldest, entry] of this.#keys) {
      if (entry.expiresAt > now && this.#keys.size < MAX_MEMORY_KEYS) break;
      this.#keys.delete(oldest);
    }
    const known = this.#keys.get(key);
    if (known !== undefined) return known.fingerprint === fingerprint ? 'replay' : 'conflict';
    this.#keys.set(key, { fingerprint, expiresAt: now + this.#ttl });
    return 'new';
  }

  async release(key: string, fingerprint: string): Promise<void> {
    if (this.#keys.get(key)?.fingerprint === fingerprint) this.#keys.delete(key);
  }
}

const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 'new' end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 'replay' end
return 'conflict'
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

/** The keys of a cluster, on the app's Redis under `<prefix>:app:dataplane:idempotency:…`. */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly #cluster: Pick<ClusterContext, 'redis' | 'key'>;
  readonly #ttl: number;

  constructor(cluster: Pick<ClusterContext, 'redis' | 'key'>, ttlMs = IDEMPOTENCY_TTL_MS) {
    this.#cluster = cluster;
    this.#ttl = ttlMs;
  }

  async claim(key: string, fingerprint: string): Promise<Claim> {
    const answer = await this.#eval(CLAIM, key, [fingerprint, String(this.#ttl)]);
    return answer as Claim;
  }

  async release(key: string, fingerprint: string): Promise<void> {
    await this.#eval(RELEASE, key, [fingerprint]);
  }

  async #eval(script: string, key: string, args: string[]): Promise<unknown> {
    const redisKey = this.#cluster.key('dataplane', 'idempotency', encodeURIComponent(key));
    try {
      return await withTimeout(this.#cluster.redis.eval(script, { keys: [redisKey], arguments: args }), 2000, 'no answer within 2000 ms');
    } catch (error) {
      throw new DataPlaneError('ServiceUnavailable', `The idempotency keys in Redis cannot be reached: ${(error as Error).message}`);
    }
  }
}
