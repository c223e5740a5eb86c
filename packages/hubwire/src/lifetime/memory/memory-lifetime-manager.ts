/**
 * The single-process {@link HubLifetimeManager}.
 * @module
 */
import { HubwireError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { MetricLabels, Metrics } from '../../core/metrics.js';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import { jsonHubProtocol } from '../../protocol/json/json-hub-protocol.js';
import type { InvocationMessage } from '../../protocol/messages.js';
import { messagePackHubProtocol } from '../../protocol/msgpack/msgpack-hub-protocol.js';
import { SerializedMessage } from '../../protocol/serialized-message.js';
import type { Audience, ClientResultOptions, GroupChangeListener, HubLifetimeManager, LifetimeConnection } from '../hub-lifetime-manager.js';
import type { Presence } from '../presence.js';
import { MemoryHistoryStore } from '../recovery/memory-history-store.js';
import { RecoverableGroups } from '../recovery/recoverable-groups.js';
import type { HistoryStore, RecoveryOptions } from '../recovery/recovery-types.js';
import { MemoryPresence, processNodeId } from './memory-presence.js';

interface Entry {
  readonly connection: LifetimeConnection;
  /** Created on the first join: most connections of many apps never join a group. */
  groups: Set<string> | undefined;
}

/** Options of {@link MemoryLifetimeManager}. */
export interface MemoryLifetimeManagerOptions {
  readonly metrics?: Metrics;
  /** Labels added to its metrics, e.g. `{ hub: '/hubs/chat' }`. */
  readonly labels?: MetricLabels;
  /** The node id presence answers name. Default: one random id per process. */
  readonly nodeId?: string;
  /**
   * Recoverable groups (docs/recovery.md): a send to exactly one of them is kept in its history
   * and reaches members with its position. `createHubServer` passes the hub's `mapHub` option.
   */
  readonly recovery?: RecoveryOptions;
  /**
   * The protocols the hub's connections speak: an entry of a recoverable group is serialized once
   * in each. `createHubServer` passes the hub's. Default: JSON and MessagePack.
   */
  readonly protocols?: readonly HubProtocol[];
  /**
   * Where recoverable groups keep their history. Default: a {@link MemoryHistoryStore} of its own,
   * which `close()` closes (a store passed here is the caller's to close).
   */
  readonly historyStore?: HistoryStore;
  /** The hub's name, for errors of recoverable groups. Default `hub`. */
  readonly hubName?: string;
  /** Where recoverable groups report what they skipped or gave up (gaps, slow members), and a group listener's throw. */
  readonly logger?: Logger;
  /**
   * Told of every effective join and leave of a local connection (not the removal from every
   * group at disconnect); `createHubServer` passes the one that runs the hub filters' `onGroupChange`.
   */
  readonly onGroupChange?: GroupChangeListener;
}

/**
 * Keeps connections, groups and users in maps and delivers in-process. The message is serialized
 * lazily, at most once per protocol, and the same bytes go to every recipient.
 *
 * @example
 * ```ts
 * const hubwire = createHubServer({ lifetimeManager: () => new MemoryLifetimeManager() });
 * ```
 */
export class MemoryLifetimeManager implements HubLifetimeManager {
  readonly #connections = new Map<string, Entry>();
  readonly #groups = new Map<string, Set<Entry>>();
  readonly #users = new Map<string, Set<Entry>>();
  readonly #metrics: Metrics | undefined;
  readonly #labels: MetricLabels | undefined;
  /** Who is connected and in which group, for this process (its node id: `presence.nodes()`). */
  readonly presence: Presence;
  /** The recovery engine, when `options.recovery` names at least one recoverable group. */
  readonly recovery: RecoverableGroups | undefined;
  /** The history store the manager made itself (and so closes). */
  readonly #ownStore: HistoryStore | undefined;
  /** Unregisters the group and user gauges (at close). */
  readonly #unobserve: (() => void)[] = [];
  readonly #onGroupChange: GroupChangeListener | undefined;
  readonly #logger: Logger | undefined;

  constructor(options: MemoryLifetimeManagerOptions = {}) {
    this.#onGroupChange = options.onGroupChange;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#labels = options.labels;
    this.presence = new MemoryPresence(options.nodeId ?? processNodeId, { connections: this.#connections, groups: this.#groups, users: this.#users });
    if (options.recovery !== undefined && options.recovery.groups.length > 0) {
      const store = options.historyStore ?? (this.#ownStore = new MemoryHistoryStore());
      this.recovery = new RecoverableGroups({
        hubName: options.hubName ?? 'hub',
        protocols: options.protocols ?? [jsonHubProtocol, messagePackHubProtocol],
        local: this,
        store,
        options: options.recovery,
        // The engine delivers what this process appended itself: there is no channel to hear it on.
        appendsComeBack: false,
        listen: async () => undefined,
        unlisten: async () => undefined,
        addLocal: async (connectionId, group) => void this.#add(connectionId, group),
        removeLocal: async (connectionId, group) => void this.#remove(connectionId, group),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
        ...(options.labels === undefined ? {} : { labels: options.labels }),
      });
    } else {
      this.recovery = undefined;
    }
    const { metrics } = options;
    if (metrics?.observe !== undefined) {
      const labels = options.labels ?? {};
      // Read from the local index at collection time: nothing is counted on a join or a leave.
      this.#unobserve.push(
        metrics.observe.call(metrics, 'groups', (report) => report(this.#groups.size, labels)),
        metrics.observe.call(metrics, 'users', (report) => report(this.#users.size, labels)),
      );
    }
  }

  get localConnectionCount(): number {
    return this.#connections.size;
  }

  async onConnected(connection: LifetimeConnection): Promise<void> {
    const entry: Entry = { connection, groups: undefined };
    this.#connections.set(connection.connectionId, entry);
    const user = connection.userIdentifier;
    if (user !== undefined) addTo(this.#users, user, entry);
  }

  async onDisconnected(connection: LifetimeConnection): Promise<void> {
    const entry = this.#connections.get(connection.connectionId);
    if (entry === undefined) return;
    this.#connections.delete(connection.connectionId);
    for (const group of entry.groups ?? []) removeFrom(this.#groups, group, entry);
    const user = connection.userIdentifier;
    if (user !== undefined) removeFrom(this.#users, user, entry);
    // Also without groups in the index: a recover may have the connection as a member before its join landed.
    if (this.recovery !== undefined) await this.recovery.disconnected(connection.connectionId);
  }

  async invokeConnection(connectionId: string, target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown> {
    const entry = this.#connections.get(connectionId);
    if (entry === undefined) throw new HubwireError('HUB_ERR_CLIENT_RESULT', `Connection '${connectionId}' does not exist.`);
    return entry.connection.invokeClient(target, args, options);
  }

  async addToGroup(connectionId: string, group: string): Promise<void> {
    // A plain join of a recoverable group is live from now; recovery.recover() replays.
    if (this.#add(connectionId, group) && this.recovery?.isRecoverable(group) === true) await this.recovery.joined(connectionId, group);
  }

  async removeFromGroup(connectionId: string, group: string): Promise<void> {
    if (this.#remove(connectionId, group) && this.recovery?.isRecoverable(group) === true) await this.recovery.left(connectionId, group);
  }

  async send(audience: Audience, message: InvocationMessage): Promise<void> {
    // One group that is recoverable: its history takes the message (sends to several are not recorded).
    if (this.recovery !== undefined && audience.kind === 'groups' && audience.names.length === 1 && this.recovery.isRecoverable(audience.names[0]!)) {
      await this.recovery.publish(audience.names[0]!, [{ target: message.target, arguments: message.arguments }], audience.except === undefined ? {} : { except: audience.except });
      return;
    }
    this.deliver(audience, new SerializedMessage(message));
  }

  /** Stops the recovery engine, closes the history store the manager made, and unregisters its gauges. */
  async close(): Promise<void> {
    for (const unobserve of this.#unobserve.splice(0)) unobserve();
    await this.recovery?.close();
    await this.#ownStore?.close?.();
  }

  /** Adds to the index only (no engine call); false when nothing changed. */
  #add(connectionId: string, group: string): boolean {
    const entry = this.#connections.get(connectionId);
    if (entry === undefined || entry.groups?.has(group)) return false;
    (entry.groups ??= new Set()).add(group);
    addTo(this.#groups, group, entry);
    this.#groupChanged(entry, group, 'joined');
    return true;
  }

  #remove(connectionId: string, group: string): boolean {
    const entry = this.#connections.get(connectionId);
    if (entry === undefined || !entry.groups?.delete(group)) return false;
    removeFrom(this.#groups, group, entry);
    this.#groupChanged(entry, group, 'left');
    return true;
  }

  /** Reports a change of the index; a listener's failure never fails the join or the leave. */
  #groupChanged(entry: Entry, group: string, change: 'joined' | 'left'): void {
    if (this.#onGroupChange === undefined) return;
    try {
      this.#onGroupChange({ connection: entry.connection, group, change });
    } catch (error) {
      this.#logger?.error({ connectionId: entry.connection.connectionId, group, change, err: error }, 'group change listener threw');
    }
  }

  /**
   * Queues an already serialized message for every local connection in `audience`; returns how
   * many got it. A backplane's receiving node calls this with the bytes the sending node made.
   * With histograms on, records the fan-out and the time from here to the last recipient's write
   * (one observation per send; the connections count the messages and bytes themselves).
   */
  deliver(audience: Audience, serialized: SerializedMessage): number {
    const record = this.#metrics?.record;
    const started = record === undefined ? 0 : performance.now();
    const delivered = this.#deliver(audience, serialized);
    if (record !== undefined) {
      const metrics = this.#metrics!;
      record.call(metrics, 'deliveryLatency', (performance.now() - started) / 1000, this.#labels);
      record.call(metrics, 'fanOut', delivered, this.#labels);
    }
    return delivered;
  }

  #deliver(audience: Audience, serialized: SerializedMessage): number {
    let delivered = 0;
    switch (audience.kind) {
      case 'all':
        delivered = deliverAll(this.#connections.values(), serialized, toExclusion(audience.except));
        break;
      case 'connections': {
        for (const id of new Set(audience.ids)) {
          const entry = this.#connections.get(id);
          if (entry !== undefined) delivered += deliver(entry, serialized);
        }
        break;
      }
      case 'groups':
        delivered = this.#deliverToSets(audience.names, this.#groups, serialized, toExclusion(audience.except));
        break;
      case 'users':
        delivered = this.#deliverToSets(audience.ids, this.#users, serialized, undefined);
        break;
    }
    return delivered;
  }

  /** The local connection with this id, if any. */
  connection(connectionId: string): LifetimeConnection | undefined {
    return this.#connections.get(connectionId)?.connection;
  }

  /** Every local connection (a backplane writes them all again after Redis lost its state). */
  *connections(): IterableIterator<LifetimeConnection> {
    for (const entry of this.#connections.values()) yield entry.connection;
  }

  /** The groups a local connection is in. */
  groupsOf(connectionId: string): readonly string[] {
    return [...(this.#connections.get(connectionId)?.groups ?? [])];
  }

  /** Whether a local connection is in `group`. */
  hasGroup(group: string): boolean {
    return this.#groups.has(group);
  }

  /** How many local connections belong to `user`. */
  userConnectionCount(user: string): number {
    return this.#users.get(user)?.size ?? 0;
  }

  #deliverToSets(
    keys: readonly string[],
    index: Map<string, Set<Entry>>,
    serialized: SerializedMessage,
    except: Set<string> | undefined,
  ): number {
    if (keys.length === 1) {
      const members = index.get(keys[0]!);
      return members === undefined ? 0 : deliverAll(members.values(), serialized, except);
    }
    // Several groups/users: a connection in two of them still gets the message once.
    const seen = new Set<Entry>();
    for (const key of keys) {
      const members = index.get(key);
      if (members === undefined) continue;
      for (const entry of members) seen.add(entry);
    }
    return deliverAll(seen.values(), serialized, except);
  }
}

function toExclusion(ids: readonly string[] | undefined): Set<string> | undefined {
  return ids === undefined || ids.length === 0 ? undefined : new Set(ids);
}

function deliverAll(entries: Iterable<Entry>, serialized: SerializedMessage, except: Set<string> | undefined): number {
  let count = 0;
  for (const entry of entries) {
    if (except !== undefined && except.has(entry.connection.connectionId)) continue;
    count += deliver(entry, serialized);
  }
  return count;
}

function deliver(entry: Entry, serialized: SerializedMessage): number {
  try {
    entry.connection.writeSerialized(serialized);
    return 1;
  } catch (error) {
    // A message that cannot be serialized is the sender's mistake: fail the send.
    if (error instanceof HubwireError && error.code === 'HUB_ERR_SERIALIZATION') throw error;
    // Otherwise one broken recipient must not cost the others their copy.
    return 0;
  }
}

function addTo(index: Map<string, Set<Entry>>, key: string, entry: Entry): void {
  let members = index.get(key);
  if (members === undefined) index.set(key, (members = new Set()));
  members.add(entry);
}

function removeFrom(index: Map<string, Set<Entry>>, key: string, entry: Entry): void {
  const members = index.get(key);
  if (members === undefined) return;
  members.delete(entry);
  if (members.size === 0) index.delete(key);
}
