/**
 * Cluster-wide presence over Redis: each node writes its own connections and group changes
 * (one script call, one round trip each), heartbeats a key with a TTL, and reaps the entries of
 * nodes whose key expired. The keys and the script: redis-presence-script.ts.
 * @module
 */
import { HubwireError } from '../../core/errors.js';
import type { MetricLabels, Metrics } from '../../core/metrics.js';
import type { LifetimeConnection } from '../hub-lifetime-manager.js';
import type { MemoryLifetimeManager } from '../memory/memory-lifetime-manager.js';
import { cursorAfter, requireName, resolvePage, type Page, type PageOptions, type Presence, type PresenceConnection, type PresenceGroup, type PresenceNode } from '../presence.js';
import type { BackplaneConnections } from './redis-clients.js';
import { PRESENCE_SCRIPT, PRESENCE_SCRIPT_SHA } from './redis-presence-script.js';
import { errorText } from './remote-calls.js';

/** Presence settings of {@link RedisLifetimeManagerOptions}. */
export interface RedisPresenceOptions {
  /** How often a node refreshes its key and looks for dead nodes (ms). Default 2000. */
  readonly heartbeatInterval?: number;
  /**
   * How long a node's key lives without a heartbeat (ms), so the longest time a node killed
   * without goodbye stays in presence answers. Default 6000; more than `heartbeatInterval`.
   */
  readonly nodeTtl?: number;
}

/** The defaults of {@link RedisPresenceOptions}. */
export const DEFAULT_PRESENCE_OPTIONS = { heartbeatInterval: 2000, nodeTtl: 6000 } as const;

/** What {@link RedisPresence} works with. */
export interface RedisPresenceInit extends RedisPresenceOptions {
  readonly redis: Pick<BackplaneConnections, 'command'>;
  /** `<prefix>:{<hub>}`: the first part of every key, with a hash tag that keeps them in one slot. */
  readonly keyPrefix: string;
  readonly nodeId: string;
  /** Resolves when the Redis connections are up: the first heartbeat waits for it. */
  readonly connected: Promise<void>;
  /** The node's own connections and their groups, which a resync writes again. */
  readonly local: Pick<MemoryLifetimeManager, 'connections' | 'connection' | 'groupsOf'>;
  /** The first write or heartbeat that failed since presence last worked (`what`: which one). */
  onFailure(what: string, error: unknown): void;
  /** A heartbeat went through again after {@link RedisPresenceInit.onFailure}: the state is rewritten. */
  onRecovered(): void;
  readonly metrics?: Metrics | undefined;
  readonly labels?: MetricLabels | undefined;
}

/** Connections undone per reap call: one script call stays short even for a node of thousands. */
const REAP_BATCH = 500;
/** Arguments per resync call, for the same reason. */
const PUT_BATCH_ARGS = 4000;
/** How often a query reaps dead nodes it met and asks again before it answers as it is. */
const QUERY_ATTEMPTS = 3;

/**
 * One node's presence for one hub. Writes never throw: a failed one marks the node's state in
 * Redis as unsure, and the next heartbeat writes it all again (a resync) — so an outage costs
 * no queue, only a resync when Redis is back. Queries throw `HUB_ERR_BACKPLANE` when Redis
 * does not answer.
 */
export class RedisPresence implements Presence {
  readonly #init: RedisPresenceInit;
  readonly #nodesKey: string;
  readonly #interval: number;
  readonly #ttl: number;
  /** Redis may hold something other than this node's state: resync at the next heartbeat. */
  #dirty = false;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** From a failure until a heartbeat and its resync went through: one warning per outage. */
  #failing = false;
  /** Set by the first heartbeat; writes before it are left to that heartbeat's resync. */
  #registered = false;
  #alive!: () => void;
  readonly #firstBeat = new Promise<void>((resolve) => (this.#alive = resolve));

  constructor(init: RedisPresenceInit) {
    this.#init = init;
    this.#nodesKey = `${init.keyPrefix}:nodes`;
    this.#interval = init.heartbeatInterval ?? DEFAULT_PRESENCE_OPTIONS.heartbeatInterval;
    this.#ttl = init.nodeTtl ?? DEFAULT_PRESENCE_OPTIONS.nodeTtl;
    if (!(this.#interval > 0) || !(this.#ttl > this.#interval)) {
      throw new HubwireError('HUB_ERR_INVALID_OPTION', `Presence needs heartbeatInterval > 0 and nodeTtl > heartbeatInterval; got ${this.#interval} and ${this.#ttl} ms.`);
    }
    // A failed first connect is retried by the client; the heartbeat retries on its own timer.
    void init.connected.then(
      () => this.#tick(),
      () => this.#tick(),
    );
  }

  /**
   * Resolves once the first heartbeat has run: the node is registered and its state written —
   * or that failed, was reported through `onFailure`, and the heartbeat goes on trying (as a
   * subscription that fails does not hold up the backplane's `ready()` either).
   */
  ready(): Promise<void> {
    return this.#firstBeat;
  }

  // ---- writes of this node's state -----------------------------------------------------------

  connected(connection: LifetimeConnection): Promise<void> {
    const user = connection.userIdentifier;
    return this.#write(['connect', connection.connectionId, this.#record(connection.connectionId, user), userArg(user)]);
  }

  disconnected(connectionId: string): Promise<void> {
    return this.#write(['disconnect', connectionId]);
  }

  added(connectionId: string, group: string): Promise<void> {
    return this.#write(['add', connectionId, group]);
  }

  removed(connectionId: string, group: string): Promise<void> {
    return this.#write(['remove', connectionId, group]);
  }

  /** Stops the heartbeat and removes this node's entries from Redis at once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running;
    try {
      while ((await this.#run(['leave', this.#init.nodeId, String(REAP_BATCH)])) === 1);
    } catch {
      // Redis is away: the node's key expires by itself and another node reaps the rest.
    }
  }

  // ---- questions -----------------------------------------------------------------------------

  async groupConnections(group: string, options?: PageOptions): Promise<Page<PresenceConnection>> {
    const { after, limit } = resolvePage(options);
    const records = (await this.#ask(['group', requireName(group, 'group'), after ?? '', String(limit)])) as string[];
    const items = records.slice(0, limit).map(parseRecord);
    return { items, cursor: records.length > limit ? cursorAfter(items[items.length - 1]!.connectionId) : undefined };
  }

  async groupConnectionCount(group: string): Promise<number> {
    return Number(await this.#ask(['group-count', requireName(group, 'group')]));
  }

  async groupUsers(group: string, options?: PageOptions): Promise<Page<string>> {
    const { after, limit } = resolvePage(options);
    const users = (await this.#ask(['group-users', requireName(group, 'group'), after ?? '', String(limit)])) as string[];
    const items = users.slice(0, limit);
    return { items, cursor: users.length > limit ? cursorAfter(items[items.length - 1]!) : undefined };
  }

  async groupUserCount(group: string): Promise<number> {
    return Number(await this.#ask(['group-user-count', requireName(group, 'group')]));
  }

  async groups(options?: PageOptions): Promise<Page<PresenceGroup>> {
    const { after, limit } = resolvePage(options);
    const flat = (await this.#ask(['groups', after ?? '', String(limit)])) as unknown[];
    const groups: PresenceGroup[] = [];
    for (let i = 0; i < flat.length; i += 2) groups.push({ group: String(flat[i]), connections: Number(flat[i + 1]) });
    const items = groups.slice(0, limit);
    return { items, cursor: groups.length > limit ? cursorAfter(items[items.length - 1]!.group) : undefined };
  }

  async groupCount(): Promise<number> {
    return Number(await this.#ask(['groups-count']));
  }

  async userConnections(user: string): Promise<readonly PresenceConnection[]> {
    return ((await this.#ask(['user', requireName(user, 'user')])) as string[]).map(parseRecord);
  }

  async isUserOnline(user: string): Promise<boolean> {
    return Number(await this.#ask(['online', requireName(user, 'user')])) === 1;
  }

  async connectionCount(): Promise<number> {
    return Number(await this.#ask(['count']));
  }

  async nodes(): Promise<readonly PresenceNode[]> {
    const flat = (await this.#ask(['nodes'])) as unknown[];
    const nodes: PresenceNode[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      nodes.push({ nodeId: String(flat[i]), lastHeartbeat: Number(flat[i + 1]), connections: Number(flat[i + 2]) });
    }
    return nodes.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  // ---- the heartbeat -------------------------------------------------------------------------

  /** Runs a heartbeat now (or right after the running one) and schedules the next. */
  #tick(): void {
    if (this.#closed) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#beat().finally(() => {
      this.#running = undefined;
      if (this.#closed) return;
      if (this.#again) {
        this.#again = false;
        this.#tick();
        return;
      }
      this.#timer = setTimeout(() => this.#tick(), this.#interval);
      // The Redis connections keep a running process alive; the heartbeat alone should not.
      this.#timer.unref?.();
    });
  }

  async #beat(): Promise<void> {
    try {
      const [existed, dead] = (await this.#run(['beat', String(this.#ttl)], true)) as [number, string[]];
      this.#registered = true;
      // The key was gone: Redis restarted empty, or this node was late and taken for dead.
      if (Number(existed) !== 1 || this.#dirty) {
        this.#dirty = false;
        await this.#resync();
      }
      if (this.#failing) {
        this.#failing = false;
        this.#init.onRecovered();
      }
      for (const node of dead) await this.#reap(node);
    } catch (error) {
      this.#dirty = true;
      this.#failed('heartbeat', error);
    }
    this.#alive();
  }

  /**
   * Makes Redis hold exactly this node's state: drops entries of connections that are gone,
   * then writes every local connection with its groups. Each call is built from the local state
   * of the moment it is sent, and the node's writes travel in order on one connection, so a
   * connect or group change running meanwhile is never undone.
   */
  async #resync(): Promise<void> {
    const { local, nodeId, keyPrefix } = this.#init;
    let cursor = '0';
    do {
      const [next, ids] = (await this.#init.redis.command(['SSCAN', `${keyPrefix}:node-conns:${nodeId}`, cursor, 'COUNT', String(REAP_BATCH)])) as [string, string[]];
      const gone = ids.filter((id) => local.connection(id) === undefined);
      if (gone.length > 0) await this.#run(['disconnect', ...gone]);
      cursor = String(next);
    } while (cursor !== '0');
    const ids = [...local.connections()].map((connection) => connection.connectionId);
    for (let start = 0; start < ids.length; ) {
      const args: string[] = ['put'];
      for (; start < ids.length && args.length < PUT_BATCH_ARGS; start++) {
        const connection = local.connection(ids[start]!);
        if (connection === undefined) continue;
        const user = connection.userIdentifier;
        const groups = local.groupsOf(connection.connectionId);
        args.push(connection.connectionId, this.#record(connection.connectionId, user), userArg(user), String(groups.length), ...groups);
      }
      if (args.length > 1 && (await this.#run(args)) !== 1) {
        this.#dirty = true;
        return;
      }
    }
  }

  async #reap(node: string): Promise<void> {
    while (!this.#closed && (await this.#run(['reap', node, String(REAP_BATCH)])) === 1);
  }

  // ---- calls ---------------------------------------------------------------------------------

  async #write(args: readonly string[]): Promise<void> {
    if (this.#closed || !this.#registered) return;
    try {
      // 0: the node's key is missing, so the write was refused; the heartbeat writes it all.
      if ((await this.#run(args)) === 0) this.#unsure();
    } catch (error) {
      this.#init.metrics?.increment('presenceWriteFailures', this.#init.labels);
      this.#failed(args[0]!, error);
      if (isNoScript(error)) this.#unsure();
      else this.#dirty = true;
    }
  }

  #failed(what: string, error: unknown): void {
    if (this.#failing || this.#closed) return;
    this.#failing = true;
    this.#init.onFailure(what, error);
  }

  /** Redis answers but lacks this node's state (restarted, or the node was reaped): heartbeat now. */
  #unsure(): void {
    this.#dirty = true;
    this.#tick();
  }

  /** A question: dead nodes it meets are reaped first, so no answer counts them. */
  async #ask(args: readonly string[]): Promise<unknown> {
    try {
      for (let attempt = 1; ; attempt++) {
        const [dead, answer] = (await this.#run(args, true)) as [string[], unknown];
        if (dead.length === 0 || attempt === QUERY_ATTEMPTS) return answer;
        for (const node of dead) await this.#reap(node);
      }
    } catch (error) {
      throw new HubwireError('HUB_ERR_BACKPLANE', `Presence could not be read from Redis: ${errorText(error)}`, { cause: error });
    }
  }

  /**
   * Runs the script. Writes do not fall back to EVAL on NOSCRIPT (a fallback could overtake a
   * later write of the same connection); the heartbeat and questions, which commute, do — and
   * loading the script that way is what lets the resync after a restart run.
   */
  async #run(args: readonly string[], loadIfMissing = false): Promise<unknown> {
    const [op, ...rest] = args;
    const tail = [this.#nodesKey, op!, this.#init.keyPrefix, this.#init.nodeId, ...rest];
    try {
      return await this.#init.redis.command(['EVALSHA', PRESENCE_SCRIPT_SHA, '1', ...tail]);
    } catch (error) {
      if (!loadIfMissing || !isNoScript(error)) throw error;
      return this.#init.redis.command(['EVAL', PRESENCE_SCRIPT, '1', ...tail]);
    }
  }

  #record(connectionId: string, user: string | undefined): string {
    return `${connectionId}\0${JSON.stringify(user === undefined ? [this.#init.nodeId] : [this.#init.nodeId, user])}`;
  }
}

function userArg(user: string | undefined): string {
  return user === undefined ? '-' : `+${user}`;
}

function parseRecord(record: string): PresenceConnection {
  const cut = record.indexOf('\0');
  const [nodeId, user] = JSON.parse(record.slice(cut + 1)) as [string, string?];
  return { connectionId: record.slice(0, cut), userIdentifier: user, nodeId };
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
