/**
 * The Redis backplane: a {@link HubLifetimeManager} that spreads one hub over many processes.
 * Every node keeps its own connections in a {@link MemoryLifetimeManager}; what must reach other
 * nodes goes through Redis pub/sub. This file holds what every layout shares — the local index,
 * channel subscriptions that follow it, publishing, presence, outages; what the channels carry
 * is the layout's (backplane-layout.ts): Hubwire's own (`<prefix>:<hub>:all`, `…:group:<name>`,
 * `…:user:<id>`, `…:connection:<id>`, `…:node:<id>`) or ASP.NET Core's. Recoverable groups
 * (their history stream and channel) are redis-recovery.ts's.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../core/logger.js';
import { labelsWith, type MetricLabels, type Metrics } from '../../core/metrics.js';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import type { InvocationMessage } from '../../protocol/messages.js';
import { SerializedMessage } from '../../protocol/serialized-message.js';
import type { Audience, ClientResultOptions, GroupChangeListener, HubLifetimeManager, LifetimeConnection } from '../hub-lifetime-manager.js';
import { MemoryLifetimeManager } from '../memory/memory-lifetime-manager.js';
import type { GroupRecovery, RecoveryOptions } from '../recovery/recovery-types.js';
import { AspNetLayout, type AspNetLayoutOptions } from './aspnet-layout.js';
import { channelNames, type BackplaneLayout, type BackplaneLayoutName, type ChannelNames, type LayoutHost } from './backplane-layout.js';
import { HubwireLayout } from './hubwire-layout.js';
import { openConnections, type AnyRedisClient, type BackplaneConnections } from './redis-clients.js';
import type { RedisClusterBackplaneOptions } from './redis-cluster-clients.js';
import { errorText } from './remote-calls.js';
import { disabledPresence, type Presence } from '../presence.js';
import { RedisPresence, type RedisPresenceOptions } from './redis-presence.js';
import { RedisRecovery } from './redis-recovery.js';

/** Options of {@link RedisLifetimeManager} and {@link redisLifetimeManager}. */
export interface RedisLifetimeManagerOptions extends AspNetLayoutOptions {
  /** A Redis URL, e.g. `redis://127.0.0.1:6379`. Default: `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /**
   * A node-redis client of your own (`createClient()` from `redis` or `@redis/client`) to
   * publish with; the backplane duplicates it for its subscriber connection and never closes it.
   * Create it with `disableOfflineQueue: true`, or publishes during an outage queue up in it.
   */
  readonly client?: AnyRedisClient;
  /**
   * A Redis Cluster instead of one Redis (`url` and `client` are then ignored), with sharded
   * pub/sub unless `shardedPubSub: false`: docs/operations.md, "Redis Cluster".
   */
  readonly cluster?: RedisClusterBackplaneOptions;
  /**
   * The first part of every channel name (Hubwire layout) and presence key, so several systems
   * can share one Redis. Default `hubwire`. The `aspnet` layout names channels by `channelPrefix`.
   */
  readonly prefix?: string;
  /**
   * The channel names and message layout: `'hubwire'` (default) or `'aspnet'`, ASP.NET Core's
   * (`Microsoft.AspNetCore.SignalR.StackExchangeRedis`), so .NET servers and Hubwire nodes can
   * serve the same hub from one Redis; give `channelPrefix` the .NET hub type's full name. The
   * `aspnet` layout costs the local short-cut (a node's own connections get its sends back
   * through Redis): docs/operations.md, "Sharing a Redis with ASP.NET Core servers".
   */
  readonly layout?: BackplaneLayoutName;
  /** How long a group change for a connection on another node waits for that node (ms). Default 5000. */
  readonly groupTimeout?: number;
  /** Longest pause between reconnect attempts of the connections the backplane opens (ms). Default 1000. */
  readonly maxReconnectDelay?: number;
  /**
   * This process's id on the backplane, the same for every hub of the process (it names the node
   * in presence answers). Default: random per {@link redisLifetimeManager} factory.
   */
  readonly nodeId?: string;
  /**
   * Cluster-wide presence (`presence` of the hub context and of hubs): on by default, with a
   * heartbeat every 2 s and a node TTL of 6 s. `false` writes nothing to Redis for it (a
   * connect and a group change then cost no Redis command) and presence questions throw
   * `HUB_ERR_PRESENCE_DISABLED`.
   */
  readonly presence?: boolean | RedisPresenceOptions;
}

/** What a {@link RedisLifetimeManager} is built from: the options, plus the hub it serves. */
export interface RedisLifetimeManagerContext extends RedisLifetimeManagerOptions {
  /** The hub's name, the second part of every channel name. */
  readonly hubName: string;
  /** Every protocol a connection of the hub may speak: a send is serialized once in each. */
  readonly protocols: readonly HubProtocol[];
  /**
   * The hub's recoverable groups (docs/recovery.md): their history lives in Redis Streams under
   * `prefix` (`<prefix>:{<hub>:<group>}:…`, one slot per group), in either layout.
   */
  readonly recovery?: RecoveryOptions;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly labels?: MetricLabels;
  /**
   * Told of every effective join and leave of a connection of this node, whichever node asked
   * (a remote change is applied through the local index, so it is reported here once).
   */
  readonly onGroupChange?: GroupChangeListener;
}

interface Subscription {
  wanted: boolean;
  /** Subscribed on the current subscriber connection (the last subscribe done, no unsubscribe since). */
  active: boolean;
  readonly listener: (payload: Buffer) => void;
  /** Subscribe/unsubscribe commands of a channel run one after the other. */
  chain: Promise<void>;
}

const noop = () => undefined;

/**
 * A hub's lifetime manager over Redis pub/sub. Create it through {@link redisLifetimeManager}
 * unless you build a HubServer of your own parts.
 */
export class RedisLifetimeManager implements HubLifetimeManager {
  /** This process's id on the backplane (acknowledgements come back on its node channel). */
  readonly nodeId: string;
  /** The hub this manager serves. */
  readonly hubName: string;
  /** Presence over every node on the same Redis (docs/operations.md, "Running on Redis"). */
  readonly presence: Presence;
  /** Recoverable groups, when the context's `recovery` names at least one spec. */
  readonly recovery: GroupRecovery | undefined;
  readonly #presence: RedisPresence | undefined;
  readonly #recovery: RedisRecovery | undefined;
  readonly #local: MemoryLifetimeManager;
  readonly #redis: BackplaneConnections;
  readonly #channels: ChannelNames;
  readonly #layout: BackplaneLayout;
  readonly #protocols: readonly HubProtocol[];
  readonly #logger: Logger | undefined;
  readonly #metrics: Metrics | undefined;
  readonly #labels: MetricLabels | undefined;
  readonly #subscriptions = new Map<string, Subscription>();
  /** True from a failure until Redis is back: one warning per outage, not one per message. */
  #degraded = false;
  #closed = false;
  /** Unregisters the Redis connection gauge (at close). */
  #unobserve: (() => void) | undefined;

  constructor(context: RedisLifetimeManagerContext) {
    this.nodeId = context.nodeId ?? randomBytes(8).toString('hex');
    this.hubName = context.hubName;
    this.#protocols = context.protocols;
    this.#logger = context.logger;
    this.#metrics = context.metrics;
    this.#labels = context.labels;
    const aspnet = context.layout === 'aspnet';
    this.#channels = channelNames(aspnet ? (context.channelPrefix ?? ((hub: string) => hub))(context.hubName) : `${context.prefix ?? 'hubwire'}:${context.hubName}`);
    this.#local = new MemoryLifetimeManager({
      metrics: context.metrics,
      labels: context.labels,
      nodeId: this.nodeId,
      ...(context.onGroupChange === undefined ? {} : { onGroupChange: context.onGroupChange }),
      ...(context.logger === undefined ? {} : { logger: context.logger }),
    });
    const host = this.#layoutHost(context.groupTimeout ?? 5000);
    this.#layout = aspnet ? new AspNetLayout(host) : new HubwireLayout(host);
    this.#redis = openConnections(
      {
        url: context.client === undefined ? (context.url ?? 'redis://127.0.0.1:6379') : undefined,
        client: context.client,
        // .NET servers publish with plain PUBLISH (StackExchange.Redis' literal channels), never SPUBLISH.
        cluster: aspnet && context.cluster !== undefined ? { ...context.cluster, shardedPubSub: context.cluster.shardedPubSub ?? false } : context.cluster,
        maxReconnectDelay: context.maxReconnectDelay ?? 1000,
      },
      {
        onError: (which, error) => this.#degrade(`Redis ${which} connection failed`, error),
        onReady: (which) => {
          // Over only when both are back: the publisher may still be down when the subscriber
          // returns, and its failures would warn a second time for the same outage.
          if (!this.#redis.allReady) return;
          if (this.#degraded) this.#logger?.info({ hub: this.#channels.base, connection: which }, 'Redis backplane connection is back');
          this.#degraded = false;
        },
        onSubscriberReady: () => {
          const subscribed = this.#resubscribe();
          this.#recovery?.resync(subscribed);
        },
      },
    );
    for (const [channel, listener] of this.#layout.fixedChannels) void this.#want(channel, true, listener);
    const presence = context.presence ?? true;
    this.#presence =
      presence === false
        ? undefined
        : new RedisPresence({
            ...(presence === true ? {} : presence),
            redis: this.#redis,
            // Under the prefix (so an ACL of `~<prefix>:*` covers them), with one hash tag for
            // every presence key of the hub: its scripts run in one slot of a cluster.
            keyPrefix: `${context.prefix ?? 'hubwire'}:{${context.hubName}}`,
            nodeId: this.nodeId,
            connected: this.#redis.ready(),
            local: this.#local,
            // Logged apart from the backplane's own state: presence may fail alone (an ACL, a full shard).
            onFailure: (what, error) => {
              if (!this.#closed) this.#logger?.warn({ hub: this.#channels.base, operation: what, error: errorText(error) }, 'Redis presence could not be written; answers may miss this node until Redis takes its state again');
            },
            onRecovered: () => this.#logger?.info({ hub: this.#channels.base }, 'Redis presence is written again'),
            metrics: context.metrics,
            labels: context.labels,
          });
    this.#recovery =
      context.recovery === undefined || context.recovery.groups.length === 0
        ? undefined
        : new RedisRecovery({
            hubName: context.hubName,
            protocols: context.protocols,
            local: this.#local,
            redis: this.#redis,
            prefix: context.prefix ?? 'hubwire',
            // As openConnections decides: a cluster's pub/sub is sharded unless switched off (the aspnet layout's is off by default).
            sharded: context.cluster !== undefined && (context.cluster.shardedPubSub ?? !aspnet),
            options: context.recovery,
            want: (channel, wanted, onMessage) => this.#want(channel, wanted, onMessage),
            addLocal: (connectionId, group) => this.#addLocal(connectionId, group),
            removeLocal: (connectionId, group) => this.#removeLocal(connectionId, group),
            published: () => this.#metrics?.increment('backplanePublished', this.#labels),
            publishFailed: (error) => {
              this.#metrics?.increment('backplanePublishFailures', this.#labels);
              this.#degrade('Redis history append failed; a recoverable group send was refused', error);
            },
            logger: context.logger,
            metrics: context.metrics,
            labels: context.labels,
          });
    this.recovery = this.#recovery?.engine;
    this.presence = this.#presence ?? disabledPresence(`Presence is switched off for hub '${context.hubName}' (redisLifetimeManager({ presence: false })).`);
    this.#observeConnections(context.metrics, context.labels ?? {});
  }

  /** `redisConnected`: 1 or 0 per connection kind, read at collection time from the clients themselves. */
  #observeConnections(metrics: Metrics | undefined, labels: MetricLabels): void {
    if (metrics?.observe === undefined) return;
    const publisher = labelsWith(labels, 'kind', 'publisher');
    const subscriber = labelsWith(labels, 'kind', 'subscriber');
    this.#unobserve = metrics.observe.call(metrics, 'redisConnected', (report) => {
      report(this.#redis.publisherReady ? 1 : 0, publisher);
      report(this.#redis.subscriberReady ? 1 : 0, subscriber);
    });
  }

  get localConnectionCount(): number {
    return this.#local.localConnectionCount;
  }

  /** Resolves when both Redis connections are up and the hub's channels are subscribed. */
  async ready(): Promise<void> {
    await this.#redis.ready();
    await Promise.all([...[...this.#subscriptions.values()].map((subscription) => subscription.chain), this.#presence?.ready()]);
  }

  async onConnected(connection: LifetimeConnection): Promise<void> {
    await this.#local.onConnected(connection);
    const id = connection.connectionId;
    const subscribed = [this.#want(this.#channels.connection(id), true, (payload) => this.#layout.onConnection(id, payload))];
    if (this.#presence !== undefined) subscribed.push(this.#presence.connected(connection));
    const user = connection.userIdentifier;
    if (user !== undefined && this.#local.userConnectionCount(user) === 1) {
      subscribed.push(this.#want(this.#channels.user(user), true, (payload) => this.#layout.onUser(user, payload)));
    }
    await Promise.all(subscribed);
  }

  async onDisconnected(connection: LifetimeConnection): Promise<void> {
    const id = connection.connectionId;
    const groups = this.#local.groupsOf(id);
    await this.#local.onDisconnected(connection);
    const dropped = [this.#want(this.#channels.connection(id), false), this.#recovery?.disconnected(id)];
    if (this.#presence !== undefined) dropped.push(this.#presence.disconnected(id));
    for (const group of groups) if (!this.#local.hasGroup(group)) dropped.push(this.#want(this.#channels.group(group), false));
    const user = connection.userIdentifier;
    if (user !== undefined && this.#local.userConnectionCount(user) === 0) dropped.push(this.#want(this.#channels.user(user), false));
    await Promise.all(dropped);
  }

  async send(audience: Audience, message: InvocationMessage): Promise<void> {
    if (this.#recovery !== undefined && (await this.#recovery.send(audience, message))) return;
    const serialized = new SerializedMessage(message);
    // Serialized once per protocol here, before anyone gets it: a message that cannot be
    // serialized fails the send for every recipient alike.
    const bytes = new Map<string, Buffer>();
    for (const protocol of this.#protocols) bytes.set(protocol.name, serialized.get(protocol));
    await this.#layout.send(audience, serialized, bytes);
  }

  async invokeConnection(connectionId: string, target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown> {
    if (this.#local.connection(connectionId) !== undefined) return this.#local.invokeConnection(connectionId, target, args, options);
    return this.#layout.invokeRemote(connectionId, target, args, options);
  }

  async addToGroup(connectionId: string, group: string): Promise<void> {
    if (this.#local.connection(connectionId) === undefined) return this.#layout.changeRemoteGroup('add', connectionId, group);
    await this.#addLocal(connectionId, group);
    await this.#recovery?.joined(connectionId, group);
  }

  async removeFromGroup(connectionId: string, group: string): Promise<void> {
    if (this.#local.connection(connectionId) === undefined) return this.#layout.changeRemoteGroup('remove', connectionId, group);
    await this.#removeLocal(connectionId, group);
    await this.#recovery?.left(connectionId, group);
  }

  /** Closes the Redis connections it opened; pending group changes of other nodes fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unobserve?.();
    this.#layout.close();
    await this.#recovery?.close();
    // Before the connections close: a clean goodbye removes this node's presence at once.
    await this.#presence?.close();
    await this.#redis.close();
  }

  // ---- the layout's view of this manager ---------------------------------------------------

  #layoutHost(groupTimeout: number): LayoutHost {
    return {
      nodeId: this.nodeId,
      channels: this.#channels,
      protocols: this.#protocols,
      local: this.#local,
      logger: this.#logger,
      groupTimeout,
      hears: (channel) => this.#redis.subscriberReady && this.#subscriptions.get(channel)?.active === true,
      publish: (channel, payload) => this.#publish(channel, payload),
      publishOrThrow: async (channel, payload, exact) => {
        const receivers = await this.#redis.publish(channel, payload, exact);
        this.#metrics?.increment('backplanePublished', this.#labels);
        return receivers;
      },
      publishFailed: (text, error) => {
        this.#metrics?.increment('backplanePublishFailures', this.#labels);
        this.#degrade(text, error);
      },
      subscriberCount: (channel) => this.#redis.subscriberCount(channel),
      addToGroup: (connectionId, group) => this.addToGroup(connectionId, group),
      removeFromGroup: (connectionId, group) => this.removeFromGroup(connectionId, group),
      dropped: (channel, error) => this.#logger?.warn({ channel, error: errorText(error) }, `Dropped a Redis message that is not a${this.#layout.name === 'ASP.NET' ? 'n' : ''} ${this.#layout.name} backplane message`),
    };
  }

  // ---- local group membership ---------------------------------------------------------------

  /** A local connection joins: the local index, the group's channel and presence (no recovery engine). */
  async #addLocal(connectionId: string, group: string): Promise<void> {
    await this.#local.addToGroup(connectionId, group);
    await Promise.all([this.#local.hasGroup(group) ? this.#wantGroup(group) : undefined, this.#presence?.added(connectionId, group)]);
  }

  async #removeLocal(connectionId: string, group: string): Promise<void> {
    await this.#local.removeFromGroup(connectionId, group);
    await Promise.all([this.#local.hasGroup(group) ? undefined : this.#want(this.#channels.group(group), false), this.#presence?.removed(connectionId, group)]);
  }

  // ---- subscriptions -------------------------------------------------------------------------

  #wantGroup(group: string): Promise<void> {
    return this.#want(this.#channels.group(group), true, (payload) => this.#layout.onGroup(group, payload));
  }

  /**
   * Wants (or no longer wants) a channel. Subscriptions are counted by the local state itself:
   * a group channel is wanted while a local connection is in the group, a user channel while a
   * local connection has the user. While Redis is away nothing waits: the subscriber's next
   * 'ready' subscribes to what is wanted then.
   */
  #want(channel: string, wanted: boolean, onMessage?: (payload: Buffer) => void): Promise<void> {
    let subscription = this.#subscriptions.get(channel);
    if (subscription === undefined) {
      if (!wanted || onMessage === undefined) return Promise.resolve();
      subscription = { wanted, active: false, listener: (payload) => this.#receive(channel, payload, onMessage), chain: Promise.resolve() };
      this.#subscriptions.set(channel, subscription);
    }
    subscription.wanted = wanted;
    const entry = subscription;
    const step = entry.chain.then(() => this.#apply(channel, entry));
    entry.chain = step.catch(noop);
    return entry.chain;
  }

  async #apply(channel: string, subscription: Subscription): Promise<void> {
    if (this.#closed || !this.#redis.subscriberReady) return;
    try {
      if (subscription.wanted) {
        await this.#redis.subscribe(channel, subscription.listener);
        subscription.active = true;
      } else {
        subscription.active = false;
        await this.#redis.unsubscribe(channel, subscription.listener);
        if (!subscription.wanted && this.#subscriptions.get(channel) === subscription) this.#subscriptions.delete(channel);
      }
    } catch (error) {
      this.#degrade(`Redis ${subscription.wanted ? 'subscribe' : 'unsubscribe'} failed`, error);
    }
  }

  /** After a (re)connect: every wanted channel again, every unwanted one dropped. Resolves when that is done. */
  #resubscribe(): Promise<unknown> {
    const steps: Promise<void>[] = [];
    for (const [channel, subscription] of this.#subscriptions) {
      const step = subscription.chain.then(() => this.#apply(channel, subscription));
      subscription.chain = step.catch(noop);
      steps.push(subscription.chain);
    }
    return Promise.all(steps);
  }

  // ---- publishing ----------------------------------------------------------------------------

  /** Publishes; a failure is counted and logged, never thrown. Resolves with the receiver count, or undefined. */
  async #publish(channel: string, payload: Buffer): Promise<number | undefined> {
    try {
      const receivers = await this.#redis.publish(channel, payload);
      this.#metrics?.increment('backplanePublished', this.#labels);
      return receivers;
    } catch (error) {
      this.#metrics?.increment('backplanePublishFailures', this.#labels);
      this.#degrade('Redis publish failed; other nodes miss this message', error);
      return undefined;
    }
  }

  // ---- receiving -----------------------------------------------------------------------------

  #receive(channel: string, payload: Buffer, onMessage: (payload: Buffer) => void): void {
    this.#metrics?.increment('backplaneReceived', this.#labels);
    try {
      onMessage(payload);
    } catch (error) {
      this.#logger?.warn({ channel, error: errorText(error) }, 'A Redis backplane message could not be delivered');
    }
  }

  #degrade(text: string, error: unknown): void {
    if (this.#closed) return;
    if (!this.#degraded) this.#logger?.warn({ hub: this.#channels.base, error: errorText(error) }, text);
    this.#degraded = true;
  }
}
