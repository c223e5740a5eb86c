/**
 * State each node owns and every node reads: one Redis key per node with a time to live, kept
 * fresh by its node on a heartbeat, plus a set indexing the node ids. A node that dies without
 * saying goodbye simply stops refreshing its key, and Redis drops it; readers prune the index.
 * The node registry and the synaxis memberships are built on it.
 * @module
 */
import type { Logger } from 'pino';
import { withTimeout } from './bounded.js';
import type { AppRedisClient } from './cluster-context.js';

/** One live node's entry. */
export interface NodeEntry<T> {
  readonly nodeId: string;
  readonly value: T;
}

/** What {@link NodeEntries} is built from. */
export interface NodeEntriesOptions<T> {
  readonly redis: AppRedisClient;
  /** The index key; entries live at `<key>:<nodeId>`. */
  readonly key: string;
  readonly nodeId: string;
  /** This node's current value (serialized as JSON). */
  readonly value: () => T;
  /** How often the entry is rewritten. */
  readonly intervalMs: number;
  /** How long an entry outlives its last write. Default 3 × `intervalMs`. */
  readonly ttlMs?: number;
  readonly logger?: Logger;
  /** The clock that tells one outage from the next (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * @example
 * ```ts
 * const entries = new NodeEntries({ redis, key: cluster.key('nodes'), nodeId, value: () => figures(), intervalMs: 1000 });
 * entries.start();
 * const live = await entries.read(); // [{ nodeId, value }, …]
 * ```
 */
export class NodeEntries<T> {
  readonly #options: NodeEntriesOptions<T>;
  readonly #ttl: number;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #stopped = false;
  #failing = false;
  /** When a write last succeeded after failing ones (ms since the epoch). */
  #recoveredAt = -Infinity;

  readonly #now: () => number;

  constructor(options: NodeEntriesOptions<T>) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#ttl = options.ttlMs ?? options.intervalMs * 3;
  }

  /** How long an entry outlives its node's last write. */
  get ttlMs(): number {
    return this.#ttl;
  }

  /** Writes the entry now and then every interval. */
  start(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = setInterval(() => void this.publish(), this.#options.intervalMs).unref();
    void this.publish();
  }

  /**
   * Writes this node's value now (after a write in flight, if any). Never rejects: during a
   * Redis outage the entry is simply not refreshed (logged once).
   */
  publish(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#writing === undefined) {
      this.#writing = this.#write().finally(() => (this.#writing = undefined));
      return this.#writing;
    }
    // One more write after the running one carries every change made meanwhile.
    this.#queued ??= this.#writing.then(() => {
      this.#queued = undefined;
      return this.publish();
    });
    return this.#queued;
  }

  /** The entries of every live node (this one included once it has written). Rejects when Redis cannot answer. */
  async read(): Promise<NodeEntry<T>[]> {
    const { redis, key } = this.#options;
    const ids = (await redis.sMembers(key)).sort();
    if (ids.length === 0) return [];
    const values = await redis.mGet(ids.map((id) => `${key}:${id}`));
    const live: NodeEntry<T>[] = [];
    const gone: string[] = [];
    ids.forEach((nodeId, index) => {
      const raw = values[index];
      if (raw === null || raw === undefined) gone.push(nodeId);
      else live.push({ nodeId, value: JSON.parse(raw) as T });
    });
    // An expired entry is a node that stopped refreshing it; a node that comes back re-adds itself.
    if (gone.length > 0) redis.sRem(key, gone).catch(() => undefined);
    return live;
  }

  /** Stops the heartbeat and removes this node's entry (a goodbye; bounded). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#writing;
    const { redis, key, nodeId } = this.#options;
    try {
      await withTimeout(redis.multi().del(`${key}:${nodeId}`).sRem(key, nodeId).exec(), 1000);
    } catch {
      // The entry expires by itself.
    }
  }

  async #write(): Promise<void> {
    const { redis, key, nodeId, logger } = this.#options;
    try {
      const json = JSON.stringify(this.#options.value());
      // Bounded: a Redis that stalls must not hold up what awaits a publish (a synaxis join).
      await withTimeout(redis.multi().set(`${key}:${nodeId}`, json, { expiration: { type: 'PX', value: this.#ttl } }).sAdd(key, nodeId).exec(), 1000);
      if (this.#failing) {
        logger?.info({ key }, 'node entry written again');
        this.#recoveredAt = this.#now();
      }
      this.#failing = false;
    } catch (error) {
      // A write that fails again within one TTL of the last recovery (a Redis that is back but
      // slow to answer, right after a restart) belongs to the same outage: warned about once.
      const sameOutage = this.#now() - this.#recoveredAt < this.#ttl;
      if (!this.#failing && !sameOutage) logger?.warn({ key, err: { message: (error as Error).message } }, 'node entry not written; other nodes stop seeing this one once it expires');
      this.#failing = true;
    }
  }
}
