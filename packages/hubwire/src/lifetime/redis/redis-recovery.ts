/**
 * Recoverable groups on the Redis backplane: the recovery engine (recovery/recoverable-groups.ts)
 * over the Redis history store, heard through the manager's own channel subscriptions. Each
 * recoverable group the node has members of is subscribed on its history channel
 * (`<prefix>:{<hub>:<group>}:p`, in the group's slot), whose messages the append script
 * publishes; the engine puts them in offset order and fills gaps from the stream.
 * @module
 */
import { HubwireError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { MetricLabels, Metrics } from '../../core/metrics.js';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import type { InvocationMessage } from '../../protocol/messages.js';
import type { Audience } from '../hub-lifetime-manager.js';
import type { MemoryLifetimeManager } from '../memory/memory-lifetime-manager.js';
import { RecoverableGroups } from '../recovery/recoverable-groups.js';
import type { RecoveryOptions } from '../recovery/recovery-types.js';
import { decodePublishedEntry, RedisHistoryStore } from '../recovery/redis-history-store.js';
import type { BackplaneConnections } from './redis-clients.js';
import { errorText } from './error-text.js';

/** What {@link RedisRecovery} is built from: the manager's parts it works through. */
export interface RedisRecoveryInit {
  readonly hubName: string;
  readonly protocols: readonly HubProtocol[];
  readonly local: MemoryLifetimeManager;
  readonly redis: Pick<BackplaneConnections, 'command'>;
  /** The backplane's `prefix`: history keys and channels live under it in either layout. */
  readonly prefix: string;
  /** Whether the backplane's pub/sub is sharded (SSUBSCRIBE), so the script must SPUBLISH. */
  readonly sharded: boolean;
  readonly options: RecoveryOptions;
  /** The manager's subscription of a channel (`#want`): resolves once subscribed, or Redis is away. */
  want(channel: string, wanted: boolean, onMessage?: (payload: Buffer) => void): Promise<void>;
  /** What the manager's own `addToGroup` does for a local connection, without the engine. */
  addLocal(connectionId: string, group: string): Promise<void>;
  removeLocal(connectionId: string, group: string): Promise<void>;
  /** A send's entry could not be appended (Redis away): counted and logged as the manager's failed publishes. */
  publishFailed(error: unknown): void;
  /** A send's entry was appended (and so published by the append script): counted as the manager's publishes. */
  published?(): void;
  readonly logger?: Logger | undefined;
  readonly metrics?: Metrics | undefined;
  readonly labels?: MetricLabels | undefined;
}

/**
 * One hub's recoverable groups on Redis. The manager hands it sends (`publish` answers whether
 * the send was one), local joins and leaves, and its subscriber's returns (`resync`).
 */
export class RedisRecovery {
  /** The engine: `RedisLifetimeManager.recovery`. */
  readonly engine: RecoverableGroups;
  readonly #store: RedisHistoryStore;
  readonly #init: RedisRecoveryInit;

  constructor(init: RedisRecoveryInit) {
    this.#init = init;
    this.#store = new RedisHistoryStore({ redis: init.redis, prefix: init.prefix, hubName: init.hubName, sharded: init.sharded });
    this.engine = new RecoverableGroups({
      hubName: init.hubName,
      protocols: init.protocols,
      local: init.local,
      store: this.#store,
      options: init.options,
      // The append script publishes every entry, this node's own too: it hears them in order with the others'.
      appendsComeBack: true,
      listen: (group) => init.want(this.#store.channel(group), true, (payload) => this.#heard(group, payload)),
      unlisten: (group) => init.want(this.#store.channel(group), false),
      addLocal: (connectionId, group) => init.addLocal(connectionId, group),
      removeLocal: (connectionId, group) => init.removeLocal(connectionId, group),
      logger: init.logger,
      metrics: init.metrics,
      labels: init.labels,
    });
  }

  /**
   * Publishes `message` through the engine when `audience` is exactly one recoverable group
   * (`group`, `groupExcept`, `othersInGroup`), and answers whether it did: any other audience
   * goes over the backplane as before, unrecorded. Unlike a plain send, it rejects while Redis
   * is away (HUB_ERR_BACKPLANE): without the store the message has no position, and handing it
   * to local members without one would break the order members rely on.
   */
  async send(audience: Audience, message: InvocationMessage): Promise<boolean> {
    if (audience.kind !== 'groups' || audience.names.length !== 1) return false;
    const group = audience.names[0]!;
    if (!this.engine.isRecoverable(group)) return false;
    try {
      await this.engine.publish(group, [{ target: message.target, arguments: message.arguments }], audience.except === undefined ? {} : { except: audience.except });
      this.#init.published?.();
    } catch (error) {
      if (error instanceof HubwireError && error.code === 'HUB_ERR_BACKPLANE') this.#init.publishFailed(error);
      throw error;
    }
    return true;
  }

  /** A local connection joined `group` (the manager's own add is done). */
  joined(connectionId: string, group: string): Promise<void> | void {
    if (this.engine.isRecoverable(group)) return this.engine.joined(connectionId, group);
  }

  left(connectionId: string, group: string): Promise<void> | void {
    if (this.engine.isRecoverable(group)) return this.engine.left(connectionId, group);
  }

  disconnected(connectionId: string): Promise<void> | void {
    return this.engine.disconnected(connectionId);
  }

  /**
   * The subscriber is back and `subscribed` resolves once the wanted channels are subscribed
   * again: what was published meanwhile is read from the streams then (not before, or an entry
   * published between the read and the subscribe would be missed).
   */
  resync(subscribed: Promise<unknown>): void {
    void subscribed
      .then(() => this.engine.resync())
      .catch((error: unknown) => this.#init.logger?.warn({ hub: this.#init.hubName, error: errorText(error) }, 'Recoverable groups could not catch up after the Redis subscriber came back'));
  }

  async close(): Promise<void> {
    await this.engine.close();
  }

  #heard(group: string, payload: Buffer): void {
    const { epoch, entry } = decodePublishedEntry(payload);
    this.engine.receive(group, epoch, entry);
  }
}
