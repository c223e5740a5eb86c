/**
 * Recoverable groups' history in Redis Streams: one stream and one meta hash per group, written
 * by one Lua script (redis-history-script.ts) that assigns the offset, appends, trims and
 * publishes the entry to the group's channel in one atomic step — so offsets are cluster-wide
 * and gap-free, and every node hears the entries of a group in offset order.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { HubwireError } from '../../core/errors.js';
import type { BackplaneConnections } from '../redis/redis-clients.js';
import { errorText } from '../redis/error-text.js';
import { HISTORY_SCRIPT, HISTORY_SCRIPT_SHA } from './redis-history-script.js';
import type { AppendResult, HistoryEntry, HistoryLimits, HistoryRead, HistoryStore, StreamPosition } from './recovery-types.js';

/** What {@link RedisHistoryStore} works with. */
export interface RedisHistoryStoreOptions {
  /** The backplane's command connection (or a cluster's: the script's keys route it to their shard). */
  readonly redis: Pick<BackplaneConnections, 'command'>;
  /** The first part of every key and channel (the backplane's `prefix`). */
  readonly prefix: string;
  readonly hubName: string;
  /** Publish entries with SPUBLISH (a Redis Cluster with sharded pub/sub) instead of PUBLISH. */
  readonly sharded?: boolean;
  /**
   * The clock entries are stamped and aged with (ms). Default: Redis's own (TIME), the same for
   * every node of the system; a function of your own is for tests with a fake clock.
   */
  readonly now?: () => number;
}

/** The keys and channel of one group's history (one hash tag: one slot of a Redis Cluster). */
export interface HistoryKeys {
  readonly meta: string;
  readonly stream: string;
  readonly channel: string;
}

/**
 * The keys of `group`'s history: `<prefix>:{<hub>:<group>}:m`, `…:h` and the channel `…:p`.
 *
 * @example
 * ```ts
 * historyKeys('hubwire', 'ChatHub', 'room-1').channel; // 'hubwire:{ChatHub:room-1}:p'
 * ```
 */
export function historyKeys(prefix: string, hubName: string, group: string): HistoryKeys {
  const base = `${prefix}:{${hubName}:${group}}`;
  return { meta: `${base}:m`, stream: `${base}:h`, channel: `${base}:p` };
}

/** An entry as the append script publishes it on the group's channel. */
export interface PublishedEntry {
  readonly epoch: string;
  readonly entry: HistoryEntry;
}

/**
 * Decodes a message of a group's channel (`<epoch>\n<offset>\n<payload>`).
 * @throws Error for a message that is not one.
 */
export function decodePublishedEntry(message: Buffer): PublishedEntry {
  const first = message.indexOf(0x0a);
  const second = first === -1 ? -1 : message.indexOf(0x0a, first + 1);
  const offset = second === -1 ? NaN : Number(message.toString('latin1', first + 1, second));
  if (first < 1 || !Number.isSafeInteger(offset) || offset < 1) throw new Error('not a history entry (<epoch>\\n<offset>\\n<payload>)');
  return { epoch: message.toString('latin1', 0, first), entry: { offset, payload: message.subarray(second + 1) } };
}

/**
 * A {@link HistoryStore} in Redis: what `redisLifetimeManager` uses for a hub with
 * `recovery`. Every failure to reach Redis rejects with `HUB_ERR_BACKPLANE`.
 *
 * @example
 * ```ts
 * const store = new RedisHistoryStore({ redis: connections, prefix: 'hubwire', hubName: 'ChatHub' });
 * const limits = { maxCount: 1000, maxAge: 300_000, metaTtl: 86_400_000 };
 * const { position } = await store.append('room-1', payload, limits);
 * const { entries } = await store.read('room-1', position.offset - 1, 100, limits);
 * ```
 */
export class RedisHistoryStore implements HistoryStore {
  readonly #options: RedisHistoryStoreOptions;
  readonly #publish: string;

  constructor(options: RedisHistoryStoreOptions) {
    this.#options = options;
    this.#publish = options.sharded === true ? 'SPUBLISH' : 'PUBLISH';
  }

  /** The channel `group`'s entries are published on. */
  channel(group: string): string {
    return historyKeys(this.#options.prefix, this.#options.hubName, group).channel;
  }

  async append(group: string, payload: Buffer, limits: HistoryLimits, expectedOffset?: number): Promise<AppendResult> {
    if (expectedOffset !== undefined && !(Number.isSafeInteger(expectedOffset) && expectedOffset >= 1)) {
      throw new HubwireError('HUB_ERR_INVALID_OPTION', `An explicit offset must be a positive safe integer; got ${expectedOffset}.`);
    }
    const keys = historyKeys(this.#options.prefix, this.#options.hubName, group);
    const args = [keys.channel, this.#publish, newEpoch(), this.#now(), String(limits.maxCount), String(limits.maxAge), String(limits.metaTtl), expectedOffset === undefined ? '' : String(expectedOffset), payload];
    const [kind, offset, epoch] = (await this.#run('append', keys, args, group)) as [Buffer, number, Buffer];
    const position: StreamPosition = { offset: Number(offset), epoch: epoch.toString() };
    return { kind: kind.toString() === 'duplicate' ? 'duplicate' : 'appended', position };
  }

  async read(group: string, after: number, limit: number, limits: HistoryLimits): Promise<HistoryRead> {
    const keys = historyKeys(this.#options.prefix, this.#options.hubName, group);
    const args = [newEpoch(), this.#now(), String(limits.maxAge), String(limits.metaTtl), String(Math.max(0, Math.floor(after))), String(Math.max(0, Math.floor(limit)))];
    const [epoch, top, floor, flat] = (await this.#run('read', keys, args, group)) as [Buffer, number, number, (number | Buffer)[]];
    const entries: HistoryEntry[] = [];
    for (let i = 0; i < flat.length; i += 2) entries.push({ offset: Number(flat[i]), payload: flat[i + 1] as Buffer });
    return { epoch: epoch.toString(), top: Number(top), floor: Number(floor), entries };
  }

  #now(): string {
    return this.#options.now === undefined ? '' : String(Math.floor(this.#options.now()));
  }

  /**
   * Runs the script by its SHA, and by its text when Redis does not have it (a restart, SCRIPT
   * FLUSH): NOSCRIPT means nothing ran, so running it again appends once. Appends of one node
   * issued at the same moment as such a reload may then take offsets in another order than
   * they were issued; appends awaited one after the other keep theirs.
   */
  async #run(op: string, keys: HistoryKeys, args: readonly (string | Buffer)[], group: string): Promise<unknown> {
    const tail = ['2', keys.meta, keys.stream, op, ...args];
    try {
      try {
        return await this.#options.redis.command(['EVALSHA', HISTORY_SCRIPT_SHA, ...tail], { buffers: true });
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return await this.#options.redis.command(['EVAL', HISTORY_SCRIPT, ...tail], { buffers: true });
      }
    } catch (error) {
      const what = op === 'append' ? 'appended to' : 'read from';
      throw new HubwireError('HUB_ERR_BACKPLANE', `The history of group '${group}' could not be ${what} Redis: ${errorText(error)}`, { cause: error });
    }
  }
}

function newEpoch(): string {
  return randomBytes(8).toString('hex');
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
