/**
 * Leader leases: at most one node of a cluster runs a piece of background work (the events
 * simulator, the synaxis agents, the admin stats push). The lease is a Redis key holding the
 * leader's token with a time to live; the leader renews it every third of the TTL, and a node
 * that cannot renew in time steps down on its own, before Redis lets the key expire, so two
 * nodes never both believe they lead. Without a cluster the lease is local and always held.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { withTimeout } from './bounded.js';
import type { AppRedisClient, ClusterContext } from './cluster-context.js';

/** The default time to live of a lease: a dead leader is replaced within about this long. */
export const DEFAULT_LEASE_TTL_MS = 5000;

/** A lease on one piece of work. */
export interface Lease {
  /** The work it guards, e.g. `events-simulator`. */
  readonly name: string;
  /**
   * Whether this node leads now. A Redis lease checks its validity against the local monotonic
   * clock on every read, so a process that was blocked past it reads `false` before any timer
   * has had a chance to run.
   */
  readonly held: boolean;
  /**
   * Calls `listener(held)` on every change (and at once with `true` when the lease is held now);
   * returns a function that removes the listener.
   */
  onChange(listener: (held: boolean) => void): () => void;
  /**
   * The Redis key and token of a Redis lease (undefined for a local one), for writes that must
   * land only while this node leads: a Lua script checks `GET key == token` before writing, so a
   * leader that lost the lease mid-write cannot overwrite its successor's state.
   */
  readonly fence: LeaseFence | undefined;
  /** Stops competing and gives the lease back (another node may take it at once). */
  stop(): Promise<void>;
}

/** See {@link Lease.fence}. */
export interface LeaseFence {
  readonly key: string;
  readonly token: string;
}

/** What a Redis lease is built from. */
export interface RedisLeaseOptions {
  readonly redis: AppRedisClient;
  /** The Redis key, e.g. `hubwire:app:lease:events-simulator`. */
  readonly key: string;
  readonly name: string;
  /** Part of the token, so the key names the node that holds it. */
  readonly owner: string;
  /** Default {@link DEFAULT_LEASE_TTL_MS}. */
  readonly ttlMs?: number;
  /** How often the holder renews and the others try to acquire. Default a third of the TTL. */
  readonly renewMs?: number;
  readonly logger?: Logger;
  /** A monotonic clock in ms (tests only). Default `performance.now`. */
  readonly now?: () => number;
}

// Extends the key only while it still holds our token: a leader whose lease expired and was taken
// must not extend the new leader's.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * A lease for `name` in `cluster`, or a local one (always held) without a cluster.
 *
 * @example
 * ```ts
 * const lease = openLease(app.cluster, 'events-simulator', { ttlMs: app.config.redis.leaseTtlMs, logger });
 * lease.onChange((held) => (held ? simulator.start() : simulator.stop()));
 * app.onStop(() => lease.stop());
 * ```
 */
export function openLease(cluster: ClusterContext | undefined, name: string, options: { ttlMs?: number; renewMs?: number; logger?: Logger } = {}): Lease {
  if (cluster === undefined) return localLease(name);
  return new RedisLease({ redis: cluster.redis, key: cluster.key('lease', name), name, owner: cluster.nodeId, ...options });
}

/** A lease of a process that runs alone: held from the start until `stop()`. */
export function localLease(name: string): Lease {
  let held = true;
  const listeners = new Set<(held: boolean) => void>();
  return {
    name,
    fence: undefined,
    get held() {
      return held;
    },
    onChange(listener) {
      listeners.add(listener);
      if (held) listener(true);
      return () => listeners.delete(listener);
    },
    async stop() {
      if (!held) return;
      held = false;
      for (const listener of [...listeners]) listener(false);
    },
  };
}

/** A lease held in Redis: `SET key token NX PX ttl`, renewed and released by token. */
export class RedisLease implements Lease {
  readonly name: string;
  /** This lease's token: `<owner>/<random>`; the key holds it while this node leads. */
  readonly token: string;
  readonly key: string;
  readonly #redis: AppRedisClient;
  readonly #ttl: number;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #listeners = new Set<(held: boolean) => void>();
  readonly #timer: NodeJS.Timeout;
  #expiry: NodeJS.Timeout | undefined;
  #holding = false;
  #validUntil = 0;
  #everHeld = false;
  #attempt: Promise<void> | undefined;
  #stopped = false;
  #failing = false;

  constructor(options: RedisLeaseOptions) {
    this.name = options.name;
    this.key = options.key;
    this.#redis = options.redis;
    this.#ttl = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => performance.now());
    this.token = `${options.owner}/${randomBytes(6).toString('hex')}`;
    const renewMs = options.renewMs ?? Math.max(1, Math.floor(this.#ttl / 3));
    this.#timer = setInterval(() => void this.#tick(), renewMs).unref();
    void this.#tick();
  }

  get held(): boolean {
    return this.#holding && this.#now() < this.#validUntil;
  }

  get fence(): LeaseFence {
    return { key: this.key, token: this.token };
  }

  onChange(listener: (held: boolean) => void): () => void {
    this.#listeners.add(listener);
    if (this.held) listener(true);
    return () => this.#listeners.delete(listener);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    await withTimeout(this.#attempt ?? Promise.resolve(), Math.min(1000, this.#ttl)).catch(() => undefined);
    const wasHolding = this.#holding;
    this.#stepDown();
    if (!this.#everHeld) return;
    try {
      // Bounded: a Redis that hangs must not hold up shutdown; the key then expires by itself.
      await withTimeout(this.#redis.eval(RELEASE, { keys: [this.key], arguments: [this.token] }), Math.min(1000, this.#ttl));
      if (wasHolding) this.#logger?.info({ lease: this.name }, 'lease released');
    } catch {
      // The key expires within the TTL.
    }
  }

  #tick(): Promise<void> {
    if (this.#stopped || this.#attempt !== undefined) return this.#attempt ?? Promise.resolve();
    this.#attempt = this.#try().finally(() => (this.#attempt = undefined));
    return this.#attempt;
  }

  async #try(): Promise<void> {
    // Validity counts from before the command is sent: Redis's expiry starts later, so this
    // node's belief always ends first (less a margin for clock-rate drift, as Redlock does).
    const sentAt = this.#now();
    let ours: boolean;
    try {
      ours = this.#holding ? await this.#renew() : await this.#acquire();
    } catch (error) {
      if (!this.#failing) this.#logger?.warn({ lease: this.name, err: { message: (error as Error).message } }, 'lease cannot reach Redis; leading only until it expires');
      this.#failing = true;
      return;
    }
    this.#failing = false;
    if (this.#stopped) return;
    if (!ours) {
      if (this.#holding) this.#logger?.warn({ lease: this.name }, 'lease lost to another node');
      this.#stepDown();
      return;
    }
    const validUntil = sentAt + this.#ttl - (Math.ceil(this.#ttl * 0.01) + 2);
    if (validUntil <= this.#now()) {
      // The answer came too late to lead on; the next tick renews (the key may still be ours).
      this.#stepDown();
      return;
    }
    this.#everHeld = true;
    this.#validUntil = validUntil;
    clearTimeout(this.#expiry);
    this.#expiry = setTimeout(() => this.#checkExpiry(), validUntil - this.#now()).unref();
    if (!this.#holding) {
      this.#holding = true;
      this.#logger?.info({ lease: this.name, ttlMs: this.#ttl }, 'lease acquired: this node leads');
      this.#emit(true);
    }
  }

  async #acquire(): Promise<boolean> {
    const set = await this.#redis.set(this.key, this.token, { condition: 'NX', expiration: { type: 'PX', value: this.#ttl } });
    if (set === 'OK') return true;
    // A leader that stepped down because a renewal came back late may still own the key.
    return this.#everHeld && (await this.#renew());
  }

  async #renew(): Promise<boolean> {
    const renewed = await this.#redis.eval(RENEW, { keys: [this.key], arguments: [this.token, String(this.#ttl)] });
    return renewed === 1;
  }

  #checkExpiry(): void {
    if (!this.#holding) return;
    if (this.#now() < this.#validUntil) {
      this.#expiry = setTimeout(() => this.#checkExpiry(), this.#validUntil - this.#now()).unref();
      return;
    }
    this.#logger?.warn({ lease: this.name }, 'lease not renewed in time: this node steps down');
    this.#stepDown();
  }

  #stepDown(): void {
    clearTimeout(this.#expiry);
    this.#expiry = undefined;
    this.#validUntil = 0;
    if (!this.#holding) return;
    this.#holding = false;
    this.#emit(false);
  }

  #emit(held: boolean): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(held);
      } catch (error) {
        this.#logger?.error({ err: error, lease: this.name }, 'lease listener failed');
      }
    }
  }
}
