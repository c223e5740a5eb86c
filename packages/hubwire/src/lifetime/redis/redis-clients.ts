/**
 * The Redis connections of one backplane: a command connection that publishes and a subscriber
 * connection, or a Redis Cluster's (redis-cluster-clients.ts). The only place (with the types of
 * redis-lifetime-manager.ts) that touches the Redis client library, so another client could
 * replace it here alone.
 * @module
 */
import { createClient, type RedisClientType } from '@redis/client';
import { BUFFER_REPLIES, openClusterConnections, type RedisClusterBackplaneOptions } from './redis-cluster-clients.js';

/** Any node-redis client (`createClient()` from `redis` or `@redis/client`), modules or not. */
export type AnyRedisClient = RedisClientType<any, any, any, any, any>;

/** What the backplane needs of its two connections. */
export interface BackplaneConnections {
  /**
   * Publishes and resolves with the number of subscribers that got the message. Without
   * `exact` the count may be low (in a Redis Cluster without sharded pub/sub, PUBLISH counts the
   * subscribers of one node); with it, 0 means nobody subscribes to the channel anywhere, at
   * the price of a look at every node when the first count is 0.
   */
  publish(channel: string, payload: Buffer, exact?: boolean): Promise<number>;
  /**
   * Runs one command on the command connection, e.g. `['HSET', key, field, value]`. Replies come
   * as node-redis gives them for `sendCommand` (strings, numbers, arrays, null), or with
   * `buffers` every bulk string as a Buffer (for binary values). In a Redis Cluster the command
   * goes to the shard of `args[1]` (its first key; a script's first key).
   */
  command(args: readonly (string | Buffer)[], options?: CommandOptions): Promise<unknown>;
  /**
   * Runs commands as one MULTI/EXEC transaction and resolves with their replies. Every key of
   * the commands must live in one hash slot in a Redis Cluster (use one `{hash tag}`).
   */
  transaction(commands: readonly (readonly (string | Buffer)[])[]): Promise<unknown[]>;
  /** Subscribers of `channel` over the whole Redis (PUBSUB NUMSUB; SHARDNUMSUB on its shard when sharded). */
  subscriberCount(channel: string): Promise<number>;
  subscribe(channel: string, listener: (payload: Buffer) => void): Promise<void>;
  unsubscribe(channel: string, listener: (payload: Buffer) => void): Promise<void>;
  /** The publishing (command) connection is connected (in a cluster: its layout is known). */
  readonly publisherReady: boolean;
  /** The subscriber is connected (in a cluster: its layout is known; a shard may still be down). */
  readonly subscriberReady: boolean;
  /** Both connections are up now: an outage is over only then. */
  readonly allReady: boolean;
  /** Both connections are up (in a cluster: the layout is known and every master connected once). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link BackplaneConnections.command}. */
export interface CommandOptions {
  /** Bulk strings come back as Buffers, not as (UTF-8 decoded) strings. */
  readonly buffers?: boolean;
}

/** Which connection an event is about: a cluster the backplane owns serves as both. */
export type ConnectionName = 'publisher' | 'subscriber' | 'cluster';

/** What the connections report, for the manager to log, count and resubscribe. */
export interface ConnectionEvents {
  /** The subscriber connection (in a cluster: one of its nodes) is (again) ready: subscribe to everything wanted. */
  onSubscriberReady(): void;
  onReady(which: ConnectionName): void;
  onError(which: ConnectionName, error: Error): void;
}

/** Options of {@link openConnections}. */
export interface OpenOptions {
  /** A Redis URL such as `redis://127.0.0.1:6379`; ignored when `client` is given. */
  readonly url?: string | undefined;
  /** A client of the application's; the backplane publishes with it and never closes it. */
  readonly client?: AnyRedisClient | undefined;
  /** A Redis Cluster instead of one Redis: `url` and `client` are then ignored. */
  readonly cluster?: RedisClusterBackplaneOptions | undefined;
  /** Longest pause between reconnect attempts (ms) of the clients the backplane creates. */
  readonly maxReconnectDelay: number;
}

/**
 * Opens the connections. The clients it creates disable node-redis' offline queue: during an
 * outage a publish fails at once (and is counted) instead of piling up in memory. The
 * subscriber is always the backplane's own (a subscribed connection runs no other command).
 */
export function openConnections(options: OpenOptions, events: ConnectionEvents): BackplaneConnections {
  if (options.cluster !== undefined) return openClusterConnections({ ...options.cluster, maxReconnectDelay: options.maxReconnectDelay }, events);
  const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), options.maxReconnectDelay);
  const owned = options.client === undefined;
  const publisher: AnyRedisClient =
    options.client ?? (createClient({ url: options.url, disableOfflineQueue: true, socket: { reconnectStrategy } }) as AnyRedisClient);
  const subscriber: AnyRedisClient = publisher.duplicate({ disableOfflineQueue: true, socket: { ...publisher.options?.socket, reconnectStrategy } as never });
  const watch = (client: AnyRedisClient, which: 'publisher' | 'subscriber') => {
    client.on('error', (error: Error) => events.onError(which, error));
    client.on('ready', () => {
      events.onReady(which);
      if (which === 'subscriber') events.onSubscriberReady();
    });
  };
  if (owned) watch(publisher, 'publisher');
  // The application's client reports its errors to the application; its return still ends an outage.
  else publisher.on('ready', () => events.onReady('publisher'));
  watch(subscriber, 'subscriber');
  let closed = false;
  // destroy() while a socket is still opening leaves the socket that then opens alive (and the
  // process with it): a client that finishes connecting after close() is destroyed once more.
  const open = (client: AnyRedisClient, ours: boolean) =>
    client.connect().then(() => {
      if (closed && ours) client.destroy();
    });
  const connecting = [owned || !publisher.isOpen ? open(publisher, owned) : Promise.resolve(), open(subscriber, true)];
  // Failures are reported through 'error' and retried by the reconnect strategy.
  for (const promise of connecting) promise.catch(() => undefined);
  return {
    publish: (channel, payload) => publisher.publish(channel, payload) as Promise<number>,
    command: (args, options) => publisher.sendCommand([...args], options?.buffers === true ? BUFFER_REPLIES : undefined) as Promise<unknown>,
    async transaction(commands) {
      const multi = publisher.multi();
      for (const args of commands) multi.addCommand([...args]);
      return (await multi.exec()) as unknown[];
    },
    async subscriberCount(channel) {
      const reply = (await publisher.sendCommand(['PUBSUB', 'NUMSUB', channel])) as unknown[];
      return Number(reply[1] ?? 0);
    },
    subscribe: (channel, listener) => subscriber.subscribe(channel, listener, true),
    unsubscribe: (channel, listener) => subscriber.unsubscribe(channel, listener, true),
    get publisherReady() {
      return publisher.isReady;
    },
    get subscriberReady() {
      return subscriber.isReady;
    },
    get allReady() {
      return publisher.isReady && subscriber.isReady;
    },
    async ready() {
      await Promise.all(connecting);
      if (!publisher.isReady || !subscriber.isReady) {
        await Promise.all(
          [publisher, subscriber].filter((client) => !client.isReady).map((client) => new Promise<void>((resolve) => client.once('ready', () => resolve()))),
        );
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      subscriber.destroy();
      if (owned) publisher.destroy();
    },
  };
}
