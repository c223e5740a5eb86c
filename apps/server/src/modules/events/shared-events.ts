/**
 * The events stream's state where every node of a cluster reads it: the latest events (for
 * `GetRecentEvents` on any node) and the generator's state after the last one (for the node that
 * takes the simulator over). Written only by the leader, fenced by its lease.
 * @module
 */
import type { Logger } from 'pino';
import { withTimeout } from '../../cluster/bounded.js';
import type { ClusterContext } from '../../cluster/cluster-context.js';
import type { LeaseFence } from '../../cluster/lease.js';
import type { GeneratorSnapshot, MockEvent } from './generator.js';

// One step: the event joins the recent list and the generator state moves on, only if the lease
// still holds the writer's token.
const RECORD = `
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('rpush', KEYS[2], ARGV[2])
redis.call('ltrim', KEYS[2], -tonumber(ARGV[4]), -1)
redis.call('set', KEYS[3], ARGV[3])
return 1`;

/** Longest wait for Redis before a reader falls back to what this node knows. */
const READ_TIMEOUT_MS = 1000;

/** The events state in Redis (`<prefix>:app:events:recent`, `…:events:generator`). */
export class SharedEvents {
  readonly #cluster: ClusterContext;
  readonly #keep: number;
  readonly #logger: Logger;
  readonly #recentKey: string;
  readonly #stateKey: string;
  #failing = false;

  constructor(cluster: ClusterContext, keep: number, logger: Logger) {
    this.#cluster = cluster;
    this.#keep = keep;
    this.#logger = logger;
    this.#recentKey = cluster.key('events', 'recent');
    this.#stateKey = cluster.key('events', 'generator');
  }

  /** Records `event` and the generator state after it, if `fence` still leads. Never rejects. */
  async record(fence: LeaseFence, event: MockEvent, state: GeneratorSnapshot): Promise<void> {
    try {
      const written = await withTimeout(
        this.#cluster.redis.eval(RECORD, {
          keys: [fence.key, this.#recentKey, this.#stateKey],
          arguments: [fence.token, JSON.stringify(event), JSON.stringify(state), String(this.#keep)],
        }),
        READ_TIMEOUT_MS,
      );
      if (written !== 1) this.#logger.debug({ type: event.type }, 'event not recorded: this node does not lead the simulator');
      if (this.#failing) this.#logger.info('events are recorded in Redis again');
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) this.#logger.warn({ err: { message: (error as Error).message } }, 'event not recorded in Redis; GetRecentEvents on other nodes misses it');
      this.#failing = true;
    }
  }

  /** The latest events of the cluster, oldest first. Rejects when Redis cannot answer. */
  async recent(): Promise<MockEvent[]> {
    const raw = await withTimeout(this.#cluster.redis.lRange(this.#recentKey, 0, -1), READ_TIMEOUT_MS);
    return raw.map((entry) => JSON.parse(entry) as MockEvent);
  }

  /** The generator state after the cluster's last event, if any. Rejects when Redis cannot answer. */
  async generatorState(): Promise<GeneratorSnapshot | undefined> {
    const raw = await withTimeout(this.#cluster.redis.get(this.#stateKey), READ_TIMEOUT_MS);
    return raw === null ? undefined : (JSON.parse(raw) as GeneratorSnapshot);
  }
}
