/**
 * Recoverable groups: the contract shared by the recovery engine, its history stores (memory,
 * Redis Streams) and the lifetime managers that route group sends and joins to it.
 *
 * A group whose name matches a {@link RecoverableGroupSpec} keeps a bounded history. Every entry
 * appended to it gets the next offset (1, 2, 3, … with no gaps) within an epoch (a random id the
 * history got when it was created: a new epoch means the old offsets mean nothing any more).
 * Members receive each message with its position as a trailing argument
 * ({@link GroupPosition}); a client that comes back says where it stood and is replayed what it
 * missed, then goes on live with no gap and no duplicate.
 * @module
 */
import type { Logger } from '../../core/logger.js';
import type { MetricLabels, Metrics } from '../../core/metrics.js';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import type { MemoryLifetimeManager } from '../memory/memory-lifetime-manager.js';

/** Where a group's stream stands: the offset of an entry within an epoch of its history. */
export interface StreamPosition {
  /** 1 for the first entry of an epoch, one more for each entry after it; 0 before the first. */
  readonly offset: number;
  /** The history's id; a different epoch means the history was lost and started again. */
  readonly epoch: string;
}

/**
 * The trailing argument every message of a recoverable group carries to its members (unless the
 * spec says `positionArgument: false`). JavaScript handlers ignore an argument they do not
 * declare; .NET and Java clients declare one more parameter for it.
 *
 * @example
 * ```ts
 * connection.on('ReceiveNotification', (notification, position: GroupPosition) => {
 *   lastSeen.set(position.group, position);
 * });
 * ```
 */
export interface GroupPosition extends StreamPosition {
  /** The recoverable group the message was sent to. */
  readonly group: string;
}

/**
 * What happens to a member whose connection cannot keep up (its outbound backlog stays over
 * `highWaterMark` and `maxQueued` messages of the group wait for it):
 * - `disconnect`: the connection is closed with `allowReconnect`; it recovers from the history;
 * - `drop-oldest`: the oldest waiting message is dropped (the member sees a jump in offsets);
 * - `keep-latest`: a waiting message with the same `key` is replaced by the newer one
 *   (conflation, e.g. one price per symbol); with no such message, the oldest is dropped.
 */
export type SlowConsumerPolicy =
  | { readonly action: 'disconnect' }
  | { readonly action: 'drop-oldest' }
  | { readonly action: 'keep-latest'; readonly key: (target: string, args: readonly unknown[]) => string };

/** A recoverable group's handling of slow members. */
export interface SlowConsumerOptions {
  /** Default `{ action: 'disconnect' }`. */
  readonly policy?: SlowConsumerPolicy;
  /** Outbound bytes a connection may have waiting before the group's messages queue for it instead. Default 65536. */
  readonly highWaterMark?: number;
  /** Messages of the group that may queue for one member before the policy acts. Default 1000. */
  readonly maxQueued?: number;
}

/**
 * Which groups of a hub are recoverable, and how.
 *
 * @example
 * ```ts
 * hubwire.mapHub('/hubs/orgs', OrgsHub, {
 *   recovery: { groups: [{ match: 'org:*', maxCount: 500, maxAge: 10 * 60_000 }] },
 * });
 * ```
 */
export interface RecoverableGroupSpec {
  /** An exact name, a glob where `*` matches any run of characters (`campaign:*`), a RegExp, or a predicate. */
  readonly match: string | RegExp | ((group: string) => boolean);
  /** Entries kept at most. Default 1000. */
  readonly maxCount?: number;
  /** Milliseconds an entry is kept at most. Default 300000 (5 minutes). */
  readonly maxAge?: number;
  /** Whether members get the {@link GroupPosition} as a trailing argument. Default true. */
  readonly positionArgument?: boolean;
  readonly slowConsumer?: SlowConsumerOptions;
}

/** The `recovery` option of `mapHub`. The first spec that matches a group applies to it. */
export interface RecoveryOptions {
  readonly groups: readonly RecoverableGroupSpec[];
  /**
   * Milliseconds a history's epoch and last offset are kept after its last entry, so a client
   * that was away longer than `maxAge` but missed nothing still recovers. Default 86400000 (a day).
   */
  readonly metaTtl?: number;
}

/** A spec with every default filled in. */
export interface ResolvedGroupSpec {
  readonly matches: (group: string) => boolean;
  readonly maxCount: number;
  readonly maxAge: number;
  readonly positionArgument: boolean;
  readonly policy: SlowConsumerPolicy;
  readonly highWaterMark: number;
  readonly maxQueued: number;
}

/** The limits a history store applies to one group. */
export interface HistoryLimits {
  readonly maxCount: number;
  /** ms */
  readonly maxAge: number;
  /** ms */
  readonly metaTtl: number;
}

/** One stored entry: its offset and the encoded message(s), opaque to the store. */
export interface HistoryEntry {
  readonly offset: number;
  readonly payload: Buffer;
}

/** The outcome of an append: stored at a new position, or refused as a duplicate of an offset already passed. */
export type AppendResult =
  | { readonly kind: 'appended'; readonly position: StreamPosition }
  /** `expectedOffset` was not above the history's top; `position` is the top. Nothing was stored or published. */
  | { readonly kind: 'duplicate'; readonly position: StreamPosition };

/** What a read of a group's history found. */
export interface HistoryRead {
  readonly epoch: string;
  /** The offset of the newest entry ever appended in this epoch (0: none yet). */
  readonly top: number;
  /**
   * The lowest offset from which the history is whole up to `top`: entries below it were
   * trimmed (count, age) or never stored (an `expectedOffset` jumped ahead). `top + 1` when none is held.
   */
  readonly floor: number;
  /** Entries with offsets above `after`, ascending, at most `limit` of them, none below `floor`. */
  readonly entries: readonly HistoryEntry[];
}

/**
 * Where a recoverable group's history lives. The memory store serves one process; the Redis
 * store appends to a stream and publishes to the group's channel in one script, so offsets are
 * cluster-wide and every node hears the entries in offset order.
 */
export interface HistoryStore {
  /**
   * Appends `payload` as the group's next entry (the epoch is created on first use) and, for a
   * shared store, publishes it to every node listening to the group. With `expectedOffset` the
   * entry takes that offset instead: at or below the top it is a duplicate (nothing happens);
   * above `top + 1` the history has a hole below it (`floor` moves up to it).
   */
  append(group: string, payload: Buffer, limits: HistoryLimits, expectedOffset?: number): Promise<AppendResult>;
  /** The entries after offset `after` (at most `limit`), with the epoch, top and floor, read at one instant. */
  read(group: string, after: number, limit: number, limits: HistoryLimits): Promise<HistoryRead>;
  /** Releases what it holds. */
  close?(): Promise<void>;
}

/** Options of a recovering join. */
export interface RecoverOptions {
  /**
   * Where the client stood: the last position it received. Without an `epoch` only the offset is
   * compared (for application sequence numbers that are the offsets, see `publish`). Without
   * `since` the join starts live from now: nothing is replayed and `onMissed` does not run.
   */
  readonly since?: { readonly offset: number; readonly epoch?: string };
  /**
   * Runs when the history cannot cover the gap (older than its window, another epoch, or a
   * position ahead of the history): send the client a snapshot here. It runs before any live
   * message of the group reaches the connection, so the snapshot arrives first.
   */
  readonly onMissed?: (result: RecoveryResult) => void | Promise<void>;
}

/** The answer to a recovering join. */
export interface RecoveryResult {
  /** True when every entry after `since` was replayed (or none was missed). */
  readonly recovered: boolean;
  /** The position the connection has reached: the last entry replayed, or the history's top. */
  readonly position: StreamPosition;
  /** How many messages were replayed. */
  readonly replayed: number;
}

/** One message of a publish: a client method and its arguments (the position is added per member). */
export interface PublishedMessage {
  readonly target: string;
  readonly arguments: readonly unknown[];
}

/** Options of an explicit publish. */
export interface PublishOptions {
  /**
   * The offset this entry must take — an application sequence number kept elsewhere (see
   * {@link HistoryStore.append}). A duplicate is dropped: a message published twice by two nodes
   * reaches members once.
   */
  readonly offset?: number;
  /** Connections that do not get the message live (as `groupExcept`). */
  readonly except?: readonly string[];
}

/** The answer to a publish. */
export interface PublishResult {
  /** The entry's position, or the top for a duplicate. */
  readonly position: StreamPosition;
  /** True when `offset` was already passed and nothing was sent. */
  readonly duplicate: boolean;
}

/**
 * Recoverable groups as a lifetime manager offers them (`HubLifetimeManager.recovery`). The
 * managers route a send to one recoverable group to {@link GroupRecovery.publish} and a join to
 * a plain live join themselves; this is the rest.
 */
export interface GroupRecovery {
  /** Whether `group` matches a spec. */
  isRecoverable(group: string): boolean;
  /**
   * Adds a connection of this node to `group` and replays what it missed since
   * `options.since` (subscribe, hold live messages, replay, then release the held ones past the
   * replay). Rejects with HUB_ERR_RECOVERY for a group that is not recoverable or a connection not on this node, and with
   * HUB_ERR_BACKPLANE when the history cannot be read (Redis unreachable); the connection is
   * then not in the group.
   */
  recover(connectionId: string, group: string, options?: RecoverOptions): Promise<RecoveryResult>;
  /** Publishes one entry (one or more messages at one position) to a recoverable group. */
  publish(group: string, messages: readonly PublishedMessage[], options?: PublishOptions): Promise<PublishResult>;
  /** The group's current top (offset 0 and a new epoch for a group never published to). */
  position(group: string): Promise<StreamPosition>;
}

/**
 * A connection as the recovery engine drives it, beyond {@link LifetimeConnection}'s writes:
 * what a connection offers so slow-consumer policies can see and act on its backlog. Optional:
 * a connection without them is never considered slow by the engine (only by its own limit).
 */
export interface BacklogAware {
  /** Bytes written and not yet taken by the client (transport buffer plus anything stalled). */
  outboundBacklog?(): number;
  /** Resolves once the backlog is below `bytes`, or the connection closed. */
  whenBacklogBelow?(bytes: number): Promise<void>;
  /** Ends the connection as a slow consumer, letting the client reconnect (and recover). */
  closeAsSlow?(reason: string): void;
}

/**
 * What a lifetime manager gives the recovery engine (`new RecoverableGroups(host)` in
 * recoverable-groups.ts). The manager keeps membership in its local index and presence as for any
 * group, and calls the engine's `joined(connectionId, group)` (after its own add of a recoverable
 * group), `left(connectionId, group)`, `disconnected(connectionId)`, `receive(group, epoch,
 * entry)` (an entry heard on the group's channel), `resync()` (its subscriber is back) and `close()`.
 */
export interface RecoveryEngineHost {
  readonly hubName: string;
  /** Every protocol of the hub: an entry carries each message serialized once in each. */
  readonly protocols: readonly HubProtocol[];
  /** The node's own connections and their groups (the engine delivers to the local members of a group). */
  readonly local: MemoryLifetimeManager;
  readonly store: HistoryStore;
  readonly options: RecoveryOptions;
  /**
   * True when appended entries reach this node through {@link RecoveryEngineHost.listen} (Redis:
   * the append script publishes them), so the engine must not deliver them itself; false for the
   * memory store, whose appends the engine delivers as soon as they resolve.
   */
  readonly appendsComeBack: boolean;
  /** Starts hearing the group's entries (Redis: subscribes its channel); resolves once they are heard. */
  listen(group: string): Promise<void>;
  /** Stops hearing them (no local member is left). */
  unlisten(group: string): Promise<void>;
  /**
   * Adds a local connection to the group in the manager's own index and presence (what a plain
   * `addToGroup` does, without calling the engine back): `recover` joins through it.
   */
  addLocal(connectionId: string, group: string): Promise<void>;
  /** Undoes {@link RecoveryEngineHost.addLocal} (a recover that failed). */
  removeLocal(connectionId: string, group: string): Promise<void>;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly labels?: MetricLabels;
}
