/**
 * The recovery engine of one hub: publishes entries of recoverable groups to their history,
 * delivers what the node hears to its local members in offset order with the position appended,
 * and runs recovering joins (subscribe, hold live entries, replay, release past the replay).
 * Lifetime managers build it with a {@link RecoveryEngineHost}; the store decides where history
 * lives (memory-history-store.ts, or Redis).
 * @module
 */
import { HubwireError } from '../../core/errors.js';
import { MessageType, type InvocationMessage } from '../../protocol/messages.js';
import { serialize } from '../../protocol/serialized-message.js';
import { decodeEntry, encodeEntry, type EntryMessage } from './entry-codec.js';
import { GroupMember, type DeliveredEntry, type MemberContext } from './group-member.js';
import { GroupOrder } from './group-order.js';
import { GroupSpecs } from './group-specs.js';
import { PositionedMessage } from './positioned-message.js';
import type {
  AppendResult,
  GroupRecovery,
  HistoryEntry,
  HistoryRead,
  PublishedMessage,
  PublishOptions,
  PublishResult,
  RecoverOptions,
  RecoveryEngineHost,
  RecoveryResult,
  ResolvedGroupSpec,
  StreamPosition,
} from './recovery-types.js';

interface GroupState {
  readonly group: string;
  readonly spec: ResolvedGroupSpec;
  readonly members: Map<string, GroupMember>;
  readonly order: GroupOrder;
  /** The host's listen, once asked; cleared when it failed so the next join asks again. */
  listening: Promise<void> | undefined;
  /**
   * The entries delivered (or replayed) last, positioned: connections coming back after a cut
   * mostly replay the same few entries, which are then parsed and written once per node.
   */
  readonly recent: Map<number, DeliveredEntry>;
}

/** Entries per group kept in {@link GroupState.recent}. */
const RECENT_ENTRIES = 128;

/**
 * {@link GroupRecovery} over a {@link RecoveryEngineHost}. Besides the public API, the manager
 * drives it with `joined`, `left`, `disconnected`, `receive`, `resync` and `close`.
 *
 * Who adds to the index: the manager's own `addToGroup` adds a connection to its index and
 * presence and then calls {@link RecoverableGroups.joined}; `recover` adds through
 * `host.addLocal` (and undoes it with `host.removeLocal` when it fails), so the manager never
 * calls the engine back for it.
 *
 * @example
 * ```ts
 * // A manager builds its engine; the memory manager does when the hub declares recoverable groups.
 * const manager = new MemoryLifetimeManager({ recovery: { groups: [{ match: 'org:*' }] } });
 * await manager.recovery!.publish('org:1', [{ target: 'notify', arguments: ['hello'] }]);
 * const result = await manager.recovery!.recover(connectionId, 'org:1', { since: { offset: 0 } }); // replays "hello"
 * ```
 */
export class RecoverableGroups implements GroupRecovery {
  readonly #host: RecoveryEngineHost;
  readonly #specs: GroupSpecs;
  readonly #groups = new Map<string, GroupState>();
  /** connection id → the recoverable groups it is a member of here, for `disconnected`. */
  readonly #memberships = new Map<string, Set<string>>();
  readonly #memberContext: MemberContext;
  #closed = false;

  /** Throws HUB_ERR_INVALID_OPTION for invalid `host.options`. */
  constructor(host: RecoveryEngineHost) {
    this.#host = host;
    this.#specs = new GroupSpecs(host.options);
    this.#memberContext = { metrics: host.metrics, labels: host.labels, logger: host.logger };
  }

  isRecoverable(group: string): boolean {
    return this.#specs.resolve(group) !== undefined;
  }

  async publish(group: string, messages: readonly PublishedMessage[], options: PublishOptions = {}): Promise<PublishResult> {
    const spec = this.#spec(group);
    if (!Array.isArray(messages) || messages.length === 0) throw new HubwireError('HUB_ERR_RECOVERY', 'publish() needs at least one message.');
    const { offset, except = [] } = options;
    if (offset !== undefined && (!Number.isSafeInteger(offset) || offset < 1)) {
      throw new HubwireError('HUB_ERR_RECOVERY', `publish(): offset must be an integer of at least 1; got ${String(offset)}.`);
    }
    const invocations = messages.map((message) => toInvocation(message));
    const entryMessages = invocations.map((invocation) => this.#serialize(invocation));
    const payload = encodeEntry({ messages: entryMessages, except });
    let appended: AppendResult;
    try {
      appended = await this.#host.store.append(group, payload, this.#specs.limits(spec), offset);
    } catch (error) {
      throw backplaneError(`Appending to the history of '${group}' failed`, error);
    }
    if (appended.kind === 'duplicate') return { position: appended.position, duplicate: true };
    // This node's members get the entry from the invocations it has, not from its bytes parsed back.
    this.#remember(group, appended.position, entryMessages, invocations, except);
    if (!this.#host.appendsComeBack) this.receive(group, appended.position.epoch, { offset: appended.position.offset, payload });
    return { position: appended.position, duplicate: false };
  }

  async position(group: string): Promise<StreamPosition> {
    const spec = this.#spec(group);
    const read = await this.#read(group, 0, 0, spec);
    return { offset: read.top, epoch: read.epoch };
  }

  async recover(connectionId: string, group: string, options: RecoverOptions = {}): Promise<RecoveryResult> {
    const spec = this.#spec(group);
    const connection = this.#host.local.connection(connectionId);
    if (connection === undefined) throw new HubwireError('HUB_ERR_RECOVERY', `Connection '${connectionId}' is not on this node: a recovering join runs where the connection is.`);
    const { since } = options;
    if (since !== undefined && (!Number.isSafeInteger(since.offset) || since.offset < 0)) {
      throw new HubwireError('HUB_ERR_RECOVERY', `recover(): since.offset must be an integer of at least 0; got ${String(since.offset)}.`);
    }
    const state = this.#state(group, spec);
    let member = state.members.get(connectionId);
    if (member?.recovering === true) throw new HubwireError('HUB_ERR_RECOVERY', `Connection '${connectionId}' is already recovering '${group}'.`);
    if (member === undefined) {
      member = new GroupMember(connection, spec, this.#memberContext);
      this.#addMember(state, member);
    }
    // From here until release(), live entries wait in the member's pending list.
    member.recovering = true;
    try {
      await this.#host.addLocal(connectionId, group);
      this.#ensureMember(state, member, group);
      await this.#listen(state);
      const read = await this.#read(group, since?.offset ?? 0, since === undefined ? 0 : spec.maxCount, spec);
      this.#ensureMember(state, member, group);
      const recovered =
        since !== undefined && (since.epoch === undefined || since.epoch === read.epoch) && since.offset <= read.top && since.offset + 1 >= read.floor;
      if (recovered) return this.#replay(state, member, read, since.offset);
      const result: RecoveryResult = { recovered: false, position: { offset: read.top, epoch: read.epoch }, replayed: 0 };
      if (since !== undefined) {
        this.#host.metrics?.increment('recoveryMissed', this.#host.labels);
        // Before release(): the snapshot the hook sends reaches the connection ahead of any live entry.
        await options.onMissed?.(result);
        this.#ensureMember(state, member, group);
      }
      // Live from the top: entries the read covered are not written again, later ones are.
      if (member.lastEpoch !== read.epoch || member.lastOffset < read.top) {
        member.lastEpoch = read.epoch;
        member.lastOffset = read.top;
      }
      member.release();
      return result;
    } catch (error) {
      if (state.members.get(connectionId) === member) {
        // The mirror of the join: out of the index first, then (last member) stop listening.
        member.close();
        await this.#host.removeLocal(connectionId, group).catch((removeError: unknown) => {
          this.#host.logger?.warn({ err: removeError, connectionId, group }, 'recoverable group: undoing the join of a failed recovery failed');
        });
        if (state.members.get(connectionId) === member) await this.#removeMember(state, member);
      }
      throw error;
    }
  }

  /**
   * A local connection was added to a recoverable group by a plain `addToGroup` (the manager
   * added it to its index and presence already): it gets entries live from now. Resolves once the
   * node hears the group. A connection that is a member already is left as it is.
   */
  async joined(connectionId: string, group: string): Promise<void> {
    if (this.#closed) return;
    const spec = this.#specs.resolve(group);
    const connection = this.#host.local.connection(connectionId);
    if (spec === undefined || connection === undefined) return;
    const state = this.#state(group, spec);
    if (!state.members.has(connectionId)) this.#addMember(state, new GroupMember(connection, spec, this.#memberContext));
    await this.#listen(state);
  }

  /** A local connection left a recoverable group (the manager removed it from its index). */
  async left(connectionId: string, group: string): Promise<void> {
    const state = this.#groups.get(group);
    const member = state?.members.get(connectionId);
    if (state === undefined || member === undefined) return;
    await this.#removeMember(state, member);
  }

  /** A local connection ended: it leaves every recoverable group it was in. */
  async disconnected(connectionId: string): Promise<void> {
    const groups = this.#memberships.get(connectionId);
    if (groups === undefined) return;
    await Promise.all([...groups].map((group) => this.left(connectionId, group)));
  }

  /** An entry heard on the group's channel (for the memory store: appended by this node). */
  receive(group: string, epoch: string, entry: HistoryEntry): void {
    this.#groups.get(group)?.order.receive(epoch, entry.offset, entry.payload);
  }

  /** The host's subscriber is back after an outage: every listened group reads what it missed. */
  resync(): void {
    for (const state of this.#groups.values()) state.order.resync();
  }

  /** Stops delivering and forgets every member (the manager is closing; it closes the store itself). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const state of this.#groups.values()) {
      state.order.close();
      for (const member of state.members.values()) member.close();
    }
    this.#groups.clear();
    this.#memberships.clear();
  }

  #spec(group: string): ResolvedGroupSpec {
    if (this.#closed) throw new HubwireError('HUB_ERR_SERVER_CLOSED', 'The recoverable groups of this hub are closed.');
    const spec = typeof group === 'string' ? this.#specs.resolve(group) : undefined;
    if (spec === undefined) throw new HubwireError('HUB_ERR_RECOVERY', `'${String(group)}' is not a recoverable group of hub '${this.#host.hubName}' (no recovery.groups spec matches it).`);
    return spec;
  }

  #serialize(invocation: InvocationMessage): EntryMessage {
    const bytes = new Map<string, Buffer>();
    for (const protocol of this.#host.protocols) {
      const written = serialize(protocol, invocation);
      bytes.set(protocol.name, typeof written === 'string' ? Buffer.from(written, 'utf8') : written);
    }
    return { bytes };
  }

  async #read(group: string, after: number, limit: number, spec: ResolvedGroupSpec): Promise<HistoryRead> {
    try {
      return await this.#host.store.read(group, after, limit, this.#specs.limits(spec));
    } catch (error) {
      throw backplaneError(`Reading the history of '${group}' failed`, error);
    }
  }

  #state(group: string, spec: ResolvedGroupSpec): GroupState {
    let state = this.#groups.get(group);
    if (state === undefined) {
      const host = this.#host;
      state = {
        group,
        spec,
        members: new Map(),
        listening: undefined,
        recent: new Map(),
        order: new GroupOrder({
          group,
          store: host.store,
          limits: this.#specs.limits(spec),
          deliver: (epoch, offset, payload) => this.#deliver(group, epoch, offset, payload),
          filled: () => host.metrics?.increment('recoveryGapsFilled', host.labels),
          ...(host.logger === undefined ? {} : { logger: host.logger }),
        }),
      };
      this.#groups.set(group, state);
    }
    return state;
  }

  #listen(state: GroupState): Promise<void> {
    if (state.listening !== undefined) return state.listening;
    const listening = this.#host.listen(state.group).catch((error: unknown) => {
      if (state.listening === listening) state.listening = undefined;
      throw backplaneError(`Listening to recoverable group '${state.group}' failed`, error);
    });
    state.listening = listening;
    return listening;
  }

  #addMember(state: GroupState, member: GroupMember): void {
    const id = member.connection.connectionId;
    state.members.set(id, member);
    let groups = this.#memberships.get(id);
    if (groups === undefined) this.#memberships.set(id, (groups = new Set()));
    groups.add(state.group);
  }

  async #removeMember(state: GroupState, member: GroupMember): Promise<void> {
    const id = member.connection.connectionId;
    member.close();
    state.members.delete(id);
    const groups = this.#memberships.get(id);
    groups?.delete(state.group);
    if (groups?.size === 0) this.#memberships.delete(id);
    if (state.members.size > 0 || this.#groups.get(state.group) !== state) return;
    // The last local member: the node stops hearing the group (and forgets where it stood in it).
    this.#groups.delete(state.group);
    state.order.close();
    const wasListening = state.listening;
    state.listening = undefined;
    if (wasListening === undefined) return;
    try {
      await this.#host.unlisten(state.group);
    } catch (error) {
      this.#host.logger?.warn({ err: error, group: state.group }, 'recoverable group: stopping to listen failed');
    }
  }

  /** After an await in recover(): the member may have left (or disconnected) meanwhile. */
  #ensureMember(state: GroupState, member: GroupMember, group: string): void {
    const id = member.connection.connectionId;
    if (member.closed || state.members.get(id) !== member || this.#host.local.connection(id) !== member.connection) {
      throw new HubwireError('HUB_ERR_RECOVERY', `Connection '${id}' left '${group}' (or disconnected) while it was recovering.`);
    }
  }

  #replay(state: GroupState, member: GroupMember, read: HistoryRead, since: number): RecoveryResult {
    let replayed = 0;
    let offset = since;
    for (const entry of read.entries) {
      const delivered = this.#positioned(state, read.epoch, entry.offset, entry.payload, false);
      if (delivered === undefined) continue;
      replayed += member.write(delivered);
      offset = entry.offset;
    }
    // Nothing left to replay means the connection stands at the top, whatever it had.
    if (member.lastEpoch !== read.epoch || member.lastOffset < read.top) {
      member.lastEpoch = read.epoch;
      member.lastOffset = Math.max(offset, read.top);
    }
    member.release();
    const { metrics, labels } = this.#host;
    metrics?.increment('recoveryRecovered', labels);
    if (replayed > 0) metrics?.increment('recoveryReplayed', labels, replayed);
    return { recovered: true, position: { offset: Math.max(offset, read.top), epoch: read.epoch }, replayed };
  }

  #deliver(group: string, epoch: string, offset: number, payload: Buffer): void {
    const state = this.#groups.get(group);
    if (state === undefined || state.members.size === 0) return;
    const { metrics, labels } = this.#host;
    const record = metrics?.record;
    const started = record === undefined ? 0 : performance.now();
    const delivered = this.#positioned(state, epoch, offset, payload, true);
    if (delivered === undefined) return;
    for (const member of state.members.values()) member.offer(delivered);
    // As a plain send's: from the entry reaching the node to the last member's write (or queue).
    if (record !== undefined) {
      record.call(metrics, 'deliveryLatency', (performance.now() - started) / 1000, labels);
      record.call(metrics, 'fanOut', state.members.size, labels);
    }
  }

  /**
   * The entry decoded and positioned, from the recent ones when the node has it. Live entries
   * always enter the recent ones (the oldest leaves); a replayed one only while there is room, so
   * a replay longer than the cache does not push out the entries the next replay starts with.
   */
  #positioned(state: GroupState, epoch: string, offset: number, payload: Buffer, live: boolean): DeliveredEntry | undefined {
    const cached = state.recent.get(offset);
    if (cached?.epoch === epoch) return cached;
    const delivered = this.#decode(state.group, epoch, offset, payload, state.spec);
    if (delivered === undefined) return undefined;
    if (live || state.recent.size < RECENT_ENTRIES) {
      state.recent.delete(offset);
      state.recent.set(offset, delivered);
      if (state.recent.size > RECENT_ENTRIES) state.recent.delete(state.recent.keys().next().value!);
    }
    return delivered;
  }

  /**
   * Puts an entry this node published among the recent ones (unless it was heard already), built
   * from its invocations, so delivering or replaying it here parses nothing back.
   */
  #remember(group: string, position: StreamPosition, messages: readonly EntryMessage[], invocations: readonly InvocationMessage[], except: readonly string[]): void {
    const state = this.#groups.get(group);
    if (state === undefined || state.recent.get(position.offset)?.epoch === position.epoch) return;
    const positioned = state.spec.positionArgument ? { group, ...position } : undefined;
    state.recent.delete(position.offset);
    state.recent.set(position.offset, {
      epoch: position.epoch,
      offset: position.offset,
      messages: messages.map((message, i) => new PositionedMessage(message.bytes, positioned, this.#host.protocols, invocations[i])),
      except: except.length === 0 ? undefined : new Set(except),
    });
    if (state.recent.size > RECENT_ENTRIES) state.recent.delete(state.recent.keys().next().value!);
  }

  /** Decodes an entry and positions its messages (once for every member of this node). */
  #decode(group: string, epoch: string, offset: number, payload: Buffer, spec: ResolvedGroupSpec): DeliveredEntry | undefined {
    let decoded;
    try {
      decoded = decodeEntry(payload);
    } catch (error) {
      this.#host.logger?.warn({ err: error, group, offset }, 'recoverable group: an entry of the history could not be decoded; skipped');
      return undefined;
    }
    const position = spec.positionArgument ? { group, offset, epoch } : undefined;
    return {
      epoch,
      offset,
      messages: decoded.messages.map((message) => new PositionedMessage(message.bytes, position, this.#host.protocols)),
      except: decoded.except.length === 0 ? undefined : new Set(decoded.except),
    };
  }
}

function toInvocation(message: PublishedMessage): InvocationMessage {
  if (message === null || typeof message !== 'object' || typeof message.target !== 'string' || !Array.isArray(message.arguments)) {
    throw new HubwireError('HUB_ERR_RECOVERY', 'publish(): each message needs a string target and an arguments array.');
  }
  return { type: MessageType.Invocation, target: message.target, arguments: message.arguments };
}

function backplaneError(what: string, error: unknown): HubwireError {
  if (error instanceof HubwireError) return error;
  return new HubwireError('HUB_ERR_BACKPLANE', `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
