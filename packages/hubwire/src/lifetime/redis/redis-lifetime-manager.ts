/**
 * The Redis backplane: a {@link HubLifetimeManager} that spreads one hub over many processes.
 * Every node keeps its own connections in a {@link MemoryLifetimeManager} and serves them
 * directly; what must reach other nodes goes through Redis pub/sub, on channels named
 * `<prefix>:<hub>:all`, `…:group:<name>`, `…:user:<id>`, `…:connection:<id>` and `…:node:<id>`.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { HubwireError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { MetricLabels, Metrics } from '../../core/metrics.js';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import type { InvocationMessage } from '../../protocol/messages.js';
import { SerializedMessage } from '../../protocol/serialized-message.js';
import type { Audience, ClientResultOptions, HubLifetimeManager, LifetimeConnection } from '../hub-lifetime-manager.js';
import { MemoryLifetimeManager } from '../memory/memory-lifetime-manager.js';
import { openConnections, type AnyRedisClient, type BackplaneConnections } from './redis-clients.js';
import type { RedisClusterBackplaneOptions } from './redis-cluster-clients.js';
import { errorText, RemoteCalls } from './remote-calls.js';
import { decode, encode, type BackplaneMessage } from './wire.js';
import { disabledPresence, type Presence } from '../presence.js';
import { RedisPresence, type RedisPresenceOptions } from './redis-presence.js';

/** Options of {@link RedisLifetimeManager} and {@link redisLifetimeManager}. */
export interface RedisLifetimeManagerOptions {
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
  /** The first part of every channel name, so several systems can share one Redis. Default `hubwire`. */
  readonly prefix?: string;
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
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly labels?: MetricLabels;
}

interface Subscription {
  wanted: boolean;
  readonly listener: (payload: Buffer) => void;
  /** Subscribe/unsubscribe commands of a channel run one after the other. */
  chain: Promise<void>;
}

interface PendingAck {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
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
  readonly #presence: RedisPresence | undefined;
  readonly #local: MemoryLifetimeManager;
  readonly #redis: BackplaneConnections;
  readonly #channel: string;
  readonly #protocols: readonly HubProtocol[];
  readonly #logger: Logger | undefined;
  readonly #metrics: Metrics | undefined;
  readonly #labels: MetricLabels | undefined;
  readonly #groupTimeout: number;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #acks = new Map<number, PendingAck>();
  #nextAck = 1;
  readonly #calls: RemoteCalls;
  /** True from a failure until Redis is back: one warning per outage, not one per message. */
  #degraded = false;
  #closed = false;

  constructor(context: RedisLifetimeManagerContext) {
    this.nodeId = context.nodeId ?? randomBytes(8).toString('hex');
    this.hubName = context.hubName;
    this.#protocols = context.protocols;
    this.#logger = context.logger;
    this.#metrics = context.metrics;
    this.#labels = context.labels;
    this.#groupTimeout = context.groupTimeout ?? 5000;
    this.#channel = `${context.prefix ?? 'hubwire'}:${context.hubName}`;
    this.#local = new MemoryLifetimeManager({ metrics: context.metrics, labels: context.labels, nodeId: this.nodeId });
    this.#calls = new RemoteCalls({
      nodeId: this.nodeId,
      connectionChannel: (id) => this.#connectionChannel(id),
      nodeChannel: (id) => this.#nodeChannel(id),
      publishOrThrow: (channel, payload) => this.#redis.publish(channel, payload, true),
      publish: (channel, payload) => this.#publish(channel, payload),
      publishFailed: (text, error) => {
        this.#metrics?.increment('backplanePublishFailures', this.#labels);
        this.#degrade(text, error);
      },
      invokeLocal: (id, target, args, options) => this.#local.invokeConnection(id, target, args, options),
    });
    this.#redis = openConnections(
      {
        url: context.client === undefined ? (context.url ?? 'redis://127.0.0.1:6379') : undefined,
        client: context.client,
        cluster: context.cluster,
        maxReconnectDelay: context.maxReconnectDelay ?? 1000,
      },
      {
        onError: (which, error) => this.#degrade(`Redis ${which} connection failed`, error),
        onReady: (which) => {
          if (this.#degraded) this.#logger?.info({ hub: this.#channel, connection: which }, 'Redis backplane connection is back');
          this.#degraded = false;
        },
        onSubscriberReady: () => this.#resubscribe(),
      },
    );
    void this.#want(`${this.#channel}:all`, true, (message) => {
      if (message.kind === 'invocation') this.#receiveBroadcast(message, { kind: 'all', except: message.except });
    });
    void this.#want(this.#nodeChannel(this.nodeId), true, (message) => this.#receiveForNode(message));
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
              if (!this.#closed) this.#logger?.warn({ hub: this.#channel, operation: what, error: errorText(error) }, 'Redis presence could not be written; answers may miss this node until Redis takes its state again');
            },
            onRecovered: () => this.#logger?.info({ hub: this.#channel }, 'Redis presence is written again'),
            metrics: context.metrics,
            labels: context.labels,
          });
    this.presence = this.#presence ?? disabledPresence(`Presence is switched off for hub '${context.hubName}' (redisLifetimeManager({ presence: false })).`);
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
    const subscribed = [this.#want(this.#connectionChannel(id), true, (message) => this.#receiveForConnection(id, message))];
    if (this.#presence !== undefined) subscribed.push(this.#presence.connected(connection));
    const user = connection.userIdentifier;
    if (user !== undefined && this.#local.userConnectionCount(user) === 1) {
      subscribed.push(this.#want(this.#userChannel(user), true, (message) => this.#receiveBroadcast(message, { kind: 'users', ids: [user] })));
    }
    await Promise.all(subscribed);
  }

  async onDisconnected(connection: LifetimeConnection): Promise<void> {
    const id = connection.connectionId;
    const groups = this.#local.groupsOf(id);
    await this.#local.onDisconnected(connection);
    const dropped = [this.#want(this.#connectionChannel(id), false)];
    if (this.#presence !== undefined) dropped.push(this.#presence.disconnected(id));
    for (const group of groups) if (!this.#local.hasGroup(group)) dropped.push(this.#want(this.#groupChannel(group), false));
    const user = connection.userIdentifier;
    if (user !== undefined && this.#local.userConnectionCount(user) === 0) dropped.push(this.#want(this.#userChannel(user), false));
    await Promise.all(dropped);
  }

  async send(audience: Audience, message: InvocationMessage): Promise<void> {
    const serialized = new SerializedMessage(message);
    // Serialized once per protocol here, before anyone gets it: a message that cannot be
    // serialized fails the send for every recipient alike.
    const bytes = new Map<string, Buffer>();
    for (const protocol of this.#protocols) bytes.set(protocol.name, serialized.get(protocol));
    // Local recipients first, without waiting for Redis.
    this.#local.deliver(audience, serialized);
    const payload = (groups: readonly string[], except: readonly string[] | undefined) =>
      encode({ kind: 'invocation', sender: this.nodeId, groups, except: except ?? [], bytes });
    switch (audience.kind) {
      case 'all':
        await this.#publish(`${this.#channel}:all`, payload([], audience.except));
        break;
      case 'connections': {
        const remote = [...new Set(audience.ids)].filter((id) => this.#local.connection(id) === undefined);
        if (remote.length === 0) break;
        const encoded = payload([], undefined);
        await Promise.all(remote.map((id) => this.#publish(this.#connectionChannel(id), encoded)));
        break;
      }
      case 'groups': {
        const names = [...new Set(audience.names)];
        const encoded = payload(names, audience.except);
        await Promise.all(names.map((name) => this.#publish(this.#groupChannel(name), encoded)));
        break;
      }
      case 'users': {
        const encoded = payload([], undefined);
        await Promise.all([...new Set(audience.ids)].map((id) => this.#publish(this.#userChannel(id), encoded)));
        break;
      }
    }
  }

  async invokeConnection(connectionId: string, target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown> {
    if (this.#local.connection(connectionId) !== undefined) return this.#local.invokeConnection(connectionId, target, args, options);
    return this.#calls.invoke(connectionId, target, args, options);
  }

  async addToGroup(connectionId: string, group: string): Promise<void> {
    if (this.#local.connection(connectionId) === undefined) return this.#remoteGroupChange('group-add', connectionId, group);
    await this.#local.addToGroup(connectionId, group);
    await Promise.all([this.#local.hasGroup(group) ? this.#wantGroup(group) : undefined, this.#presence?.added(connectionId, group)]);
  }

  async removeFromGroup(connectionId: string, group: string): Promise<void> {
    if (this.#local.connection(connectionId) === undefined) return this.#remoteGroupChange('group-remove', connectionId, group);
    await this.#local.removeFromGroup(connectionId, group);
    await Promise.all([this.#local.hasGroup(group) ? undefined : this.#want(this.#groupChannel(group), false), this.#presence?.removed(connectionId, group)]);
  }

  /** Closes the Redis connections it opened; pending group changes of other nodes fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#calls.close();
    for (const [id, pending] of this.#acks) {
      clearTimeout(pending.timer);
      pending.reject(new HubwireError('HUB_ERR_SERVER_CLOSED', 'The Redis backplane was closed.'));
      this.#acks.delete(id);
    }
    // Before the connections close: a clean goodbye removes this node's presence at once.
    await this.#presence?.close();
    await this.#redis.close();
  }

  // ---- channels ------------------------------------------------------------------------------

  #connectionChannel(id: string): string {
    return `${this.#channel}:connection:${id}`;
  }

  #nodeChannel(id: string): string {
    return `${this.#channel}:node:${id}`;
  }

  #groupChannel(name: string): string {
    return `${this.#channel}:group:${name}`;
  }

  #userChannel(id: string): string {
    return `${this.#channel}:user:${id}`;
  }

  #wantGroup(group: string): Promise<void> {
    return this.#want(this.#groupChannel(group), true, (message) => {
      if (message.kind !== 'invocation') return;
      // A send to several groups arrives once per group channel: the first of its groups with a
      // member here delivers to all of them (each connection once); the other copies are dropped.
      if (message.groups.find((name) => this.#local.hasGroup(name)) !== group) return;
      this.#receiveBroadcast(message, { kind: 'groups', names: message.groups, except: message.except });
    });
  }

  /**
   * Wants (or no longer wants) a channel. Subscriptions are counted by the local state itself:
   * a group channel is wanted while a local connection is in the group, a user channel while a
   * local connection has the user. While Redis is away nothing waits: the subscriber's next
   * 'ready' subscribes to what is wanted then.
   */
  #want(channel: string, wanted: boolean, onMessage?: (message: BackplaneMessage) => void): Promise<void> {
    let subscription = this.#subscriptions.get(channel);
    if (subscription === undefined) {
      if (!wanted || onMessage === undefined) return Promise.resolve();
      subscription = { wanted, listener: (payload) => this.#receive(channel, payload, onMessage), chain: Promise.resolve() };
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
      } else {
        await this.#redis.unsubscribe(channel, subscription.listener);
        if (!subscription.wanted && this.#subscriptions.get(channel) === subscription) this.#subscriptions.delete(channel);
      }
    } catch (error) {
      this.#degrade(`Redis ${subscription.wanted ? 'subscribe' : 'unsubscribe'} failed`, error);
    }
  }

  /** After a (re)connect: every wanted channel again, every unwanted one dropped. */
  #resubscribe(): void {
    for (const [channel, subscription] of this.#subscriptions) {
      const step = subscription.chain.then(() => this.#apply(channel, subscription));
      subscription.chain = step.catch(noop);
    }
  }

  // ---- publishing ----------------------------------------------------------------------------

  /** Publishes; a failure is counted and logged, never thrown. Resolves with the receiver count, or undefined. */
  async #publish(channel: string, payload: Buffer): Promise<number | undefined> {
    try {
      return await this.#redis.publish(channel, payload);
    } catch (error) {
      this.#metrics?.increment('backplanePublishFailures', this.#labels);
      this.#degrade('Redis publish failed; other nodes miss this message', error);
      return undefined;
    }
  }

  async #remoteGroupChange(kind: 'group-add' | 'group-remove', connectionId: string, group: string): Promise<void> {
    const ackId = this.#nextAck;
    this.#nextAck = (this.#nextAck % 0xffff_ffff) + 1;
    const verb = kind === 'group-add' ? 'add it to' : 'remove it from';
    let settle!: PendingAck;
    const acked = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#acks.delete(ackId);
        reject(new HubwireError('HUB_ERR_BACKPLANE', `The node of connection '${connectionId}' did not ${verb} group '${group}' within ${this.#groupTimeout} ms.`));
      }, this.#groupTimeout);
      settle = { resolve, reject, timer };
    });
    acked.catch(noop);
    this.#acks.set(ackId, settle);
    const payload = encode({ kind, sender: this.nodeId, ackId, connectionId, group });
    let receivers: number | undefined;
    try {
      // An exact count: 0 must mean that no node has the connection.
      receivers = await this.#redis.publish(this.#connectionChannel(connectionId), payload, true);
    } catch (error) {
      this.#forget(ackId);
      this.#metrics?.increment('backplanePublishFailures', this.#labels);
      this.#degrade('Redis publish of a group change failed', error);
      throw new HubwireError('HUB_ERR_BACKPLANE', `Connection '${connectionId}' is not on this node, and Redis is unreachable to ${verb} group '${group}': ${errorText(error)}`, { cause: error });
    }
    // Nobody listens for the connection: it exists on no node, and there is nothing to change.
    if (receivers === 0) {
      this.#forget(ackId);
      return;
    }
    await acked;
  }

  #forget(ackId: number): void {
    const pending = this.#acks.get(ackId);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.#acks.delete(ackId);
  }

  // ---- receiving -----------------------------------------------------------------------------

  #receive(channel: string, payload: Buffer, onMessage: (message: BackplaneMessage) => void): void {
    let message: BackplaneMessage;
    try {
      message = decode(payload);
    } catch (error) {
      this.#logger?.warn({ channel, error: errorText(error) }, 'Dropped a Redis message that is not a Hubwire backplane message');
      return;
    }
    try {
      onMessage(message);
    } catch (error) {
      this.#logger?.warn({ channel, error: errorText(error) }, 'A Redis backplane message could not be delivered');
    }
  }

  #receiveBroadcast(message: BackplaneMessage, audience: Audience): void {
    // The sending node served its own recipients before publishing.
    if (message.kind !== 'invocation' || message.sender === this.nodeId) return;
    this.#local.deliver(audience, SerializedMessage.fromBytes(message.bytes));
  }

  #receiveForConnection(connectionId: string, message: BackplaneMessage): void {
    if (message.kind === 'invocation') {
      this.#receiveBroadcast(message, { kind: 'connections', ids: [connectionId] });
      return;
    }
    if (this.#calls.receiveForConnection(connectionId, message)) return;
    if (message.kind !== 'group-add' && message.kind !== 'group-remove') return;
    const change = message.kind === 'group-add' ? this.addToGroup(connectionId, message.group) : this.removeFromGroup(connectionId, message.group);
    const { sender, ackId } = message;
    void change.then(
      () => this.#publish(this.#nodeChannel(sender), encode({ kind: 'ack', ackId })),
      (error) => this.#logger?.warn({ connectionId, group: message.group, error: errorText(error) }, 'A group change from another node failed'),
    );
  }

  #receiveForNode(message: BackplaneMessage): void {
    if (this.#calls.receiveForNode(message)) return;
    if (message.kind !== 'ack') return;
    const pending = this.#acks.get(message.ackId);
    if (pending === undefined) return;
    this.#forget(message.ackId);
    pending.resolve();
  }

  #degrade(text: string, error: unknown): void {
    if (this.#closed) return;
    if (!this.#degraded) this.#logger?.warn({ hub: this.#channel, error: errorText(error) }, text);
    this.#degraded = true;
  }
}
