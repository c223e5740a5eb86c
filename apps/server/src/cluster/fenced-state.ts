/**
 * A leader's working state in Redis (one JSON value), written only while its lease still holds
 * the writer's token, so the node that takes over reads what the last real leader wrote — never a
 * late write of a leader that had already lost the lease.
 * @module
 */
import type { Logger } from 'pino';
import { withTimeout } from './bounded.js';
import type { ClusterContext } from './cluster-context.js';
import type { LeaseFence } from './lease.js';

const SAVE = `if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('set', KEYS[2], ARGV[2])
return 1`;

/** Longest wait for Redis on a load or save. */
const TIMEOUT_MS = 1000;

/**
 * @example
 * ```ts
 * const state = new FencedState<AgentsSnapshot>(cluster, 'synaxis:agents', logger);
 * const last = await state.load();            // on taking the lease
 * await state.save(lease.fence!, snapshot()); // after each step, while leading
 * ```
 */
export class FencedState<T> {
  readonly #cluster: ClusterContext;
  readonly #key: string;
  readonly #logger: Logger | undefined;
  #failing = false;

  /** `name` becomes the key `<prefix>:app:<name>`. */
  constructor(cluster: ClusterContext, name: string, logger?: Logger) {
    this.#cluster = cluster;
    this.#key = cluster.key(name);
    this.#logger = logger;
  }

  /** The last saved value, if any. Rejects when Redis cannot answer. */
  async load(): Promise<T | undefined> {
    const raw = await withTimeout(this.#cluster.redis.get(this.#key), TIMEOUT_MS);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  /** Saves `value` if `fence` still leads; resolves whether it did. Never rejects. */
  async save(fence: LeaseFence, value: T): Promise<boolean> {
    try {
      const saved = await withTimeout(this.#cluster.redis.eval(SAVE, { keys: [fence.key, this.#key], arguments: [fence.token, JSON.stringify(value)] }), TIMEOUT_MS);
      this.#failing = false;
      return saved === 1;
    } catch (error) {
      if (!this.#failing) this.#logger?.warn({ key: this.#key, err: { message: (error as Error).message } }, 'state not saved in Redis; a node taking over starts from an older one');
      this.#failing = true;
      return false;
    }
  }
}
