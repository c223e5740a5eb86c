/**
 * The backplane's connections to a Redis Cluster (node-redis `createCluster`). With sharded
 * pub/sub (`SSUBSCRIBE`/`SPUBLISH`, Redis 7) every channel lives on the shard of its hash slot:
 * a publish goes to that shard alone and a node subscribes on each shard it has channels on,
 * so fan-out traffic spreads over the shards. Without it, `PUBLISH` reaches every node of the
 * cluster over the cluster bus, as one Redis would.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createCluster, RESP_TYPES, type RedisCluster, type RedisClusterOptions, type RedisClusterType } from '@redis/client';
import type { BackplaneConnections, ConnectionEvents } from './redis-clients.js';

/**
 * Any node-redis cluster client (`createCluster()` from `redis` or `@redis/client`), modules or
 * not. The class type: node-redis' `RedisClusterType` of one set of modules and RESP version is
 * not assignable to that of another, the class is.
 */
export type AnyRedisCluster = RedisCluster<any, any, any, any, any>;
/** The same client with its commands, as the backplane uses it. */
type ClusterClient = RedisClusterType<any, any, any, any, any>;

/**
 * How the backplane reaches a Redis Cluster: the `cluster` option of `redisLifetimeManager()`.
 *
 * @example
 * ```ts
 * redisLifetimeManager({
 *   cluster: { rootNodes: [{ url: 'redis://10.0.0.1:6379' }, { url: 'redis://10.0.0.2:6379' }] },
 *   prefix: 'my-app',
 * });
 * ```
 */
export interface RedisClusterBackplaneOptions {
  /**
   * Some nodes of the cluster to learn its layout from (more than one, so that one being down
   * does not stop a start). Ignored when `client` is given.
   */
  readonly rootNodes?: readonly { readonly url: string }[];
  /**
   * Options of every connection to a node (credentials, TLS), node-redis' cluster `defaults`:
   * the credentials of a root node's URL are not used for the nodes it names.
   */
  readonly defaults?: RedisClusterOptions['defaults'];
  /**
   * A cluster client of your own (`createCluster()`) to publish and run commands with; the
   * backplane subscribes on a duplicate of it and never closes it. Give its nodes
   * `disableOfflineQueue: true` (in `defaults`), or publishes to a shard that is down queue up.
   */
  readonly client?: AnyRedisCluster;
  /**
   * Sharded pub/sub (`SSUBSCRIBE`/`SPUBLISH`, Redis 7.0+): each channel is carried by the shard
   * of its slot only. Off, every message crosses the cluster bus to every node. Default true.
   */
  readonly shardedPubSub?: boolean;
}

/** Options of {@link openClusterConnections}. */
export interface ClusterOpenOptions extends RedisClusterBackplaneOptions {
  /** Longest pause between reconnect attempts (ms) of the connections the backplane creates. */
  readonly maxReconnectDelay: number;
}

/** node-redis' reply mapping of a command run with `buffers` (bulk strings as Buffers). */
export const BUFFER_REPLIES = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } as const;

/** Scripts and functions name their keys after the key count; every other command starts with one. */
const KEYS_AFTER_COUNT = new Set(['EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'FCALL', 'FCALL_RO']);

/** The key that decides a command's shard: `args[1]`, or the first key of a script or function call. */
export function firstKeyOf(args: readonly (string | Buffer)[]): string | Buffer | undefined {
  if (KEYS_AFTER_COUNT.has(String(args[0]).toUpperCase())) return Number(String(args[2])) > 0 ? args[3] : undefined;
  return args[1];
}

/**
 * Opens the connections. A cluster the backplane creates serves it whole: the command
 * connection of each master publishes and runs commands, and node-redis adds a subscriber
 * connection per shard (sharded) or one for the cluster (not sharded). The nodes' offline
 * queue is off: a publish to a shard that is down fails at once and is counted.
 */
export function openClusterConnections(options: ClusterOpenOptions, events: ConnectionEvents): BackplaneConnections {
  const sharded = options.shardedPubSub ?? true;
  const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), options.maxReconnectDelay);
  const owned = options.client === undefined;
  const publisher: ClusterClient =
    (options.client as ClusterClient | undefined) ??
    (createCluster({
      rootNodes: (options.rootNodes ?? []).map((node) => ({ url: node.url })),
      defaults: { ...options.defaults, disableOfflineQueue: true, socket: { ...options.defaults?.socket, reconnectStrategy } as never },
    }) as ClusterClient);
  // The application's cluster keeps its own subscriptions: the backplane's are on a duplicate
  // it owns, which opens only subscriber connections.
  const subscriber: ClusterClient = owned ? publisher : (publisher.duplicate({ minimizeConnections: true }) as ClusterClient);
  const which = owned ? 'cluster' : 'subscriber';
  let closed = false;
  let wake: (() => void) | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  subscriber.on('error', (error: Error) => events.onError(which, error));
  subscriber.on('node-error', (error: Error) => events.onError(which, error));
  subscriber.on('sharded-channel-moved-error', (error: Error) => events.onError(which, error));
  // A node (re)connected, its subscriber connection among them: node-redis has subscribed that
  // connection's channels again itself; what failed while the shard was down is retried now.
  const onNodeReady = () => {
    if (!subscriber.isReady) return;
    events.onReady(which);
    events.onSubscriberReady();
  };
  subscriber.on('connect', onNodeReady);
  subscriber.on('node-ready', onNodeReady);

  /** node-redis gives up on the first discovery that finds no root node up; the backplane keeps trying. */
  const keepConnecting = async (cluster: ClusterClient): Promise<void> => {
    for (let retries = 0; !closed && !cluster.isOpen; retries++) {
      try {
        await cluster.connect();
        // destroy() while a connection is still opening leaves what then opens alive.
        if (closed && cluster === subscriber) cluster.destroy();
        return;
      } catch (error) {
        if (closed) return;
        if (cluster === subscriber) events.onError(which, error as Error);
        await new Promise<void>((resolve) => {
          wake = resolve;
          retryTimer = setTimeout(resolve, reconnectStrategy(retries));
        });
      }
    }
  };
  const connecting = owned ? [keepConnecting(publisher)] : [publisher.isOpen ? Promise.resolve() : keepConnecting(publisher), keepConnecting(subscriber)];

  /**
   * Fails at once while the shard of a channel is down, as the single-node subscriber does
   * during an outage (node-redis would hold the command until the shard is back); the node's
   * next 'ready' subscribes again to what is wanted then.
   */
  const assertShardUp = (channel: string) => {
    if (!sharded || !subscriber.isReady) return;
    const pubSub = subscriber.slots[slotOf(channel)]?.master.pubSub;
    if (pubSub !== undefined && pubSub.connectPromise === undefined && !pubSub.client.isReady) {
      throw new Error(`The Redis Cluster shard of channel '${channel}' is unreachable.`);
    }
  };

  /**
   * Non-sharded PUBLISH goes through one master per process, not a random node per message
   * (node-redis' choice for keyless commands): one node's messages then cross the same
   * connection and the same cluster-bus links, and keep their order as on one Redis. While that
   * master is down another one that is up serves.
   */
  const publishKey = randomBytes(8).toString('hex');
  const publishingNode = async () => {
    const pinned = await publisher.getNodeClientForKey(publishKey);
    if (pinned.isReady) return pinned;
    return publisher.masters.find((master) => master.client?.isReady)?.client ?? pinned;
  };

  /** Subscribers of a channel on every node (non-sharded pub/sub: each node counts its own). */
  const countOnEveryNode = async (channel: string): Promise<number> => {
    const counts = await Promise.all(
      [...publisher.masters, ...publisher.replicas].map(async (node) => {
        const reply = (await (await publisher.nodeClient(node)).sendCommand(['PUBSUB', 'NUMSUB', channel])) as unknown[];
        return Number(reply[1] ?? 0);
      }),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  };

  return {
    publish: sharded
      ? (channel, payload) => publisher.sPublish(channel, payload) as Promise<number>
      : async (channel, payload, exact) => {
          // PUBLISH counts the subscribers of the node it ran on; the others get it over the bus.
          const receivers = (await (await publishingNode()).publish(channel, payload)) as number;
          return receivers > 0 || exact !== true ? receivers : countOnEveryNode(channel);
        },
    command: (args, options) => publisher.sendCommand(firstKeyOf(args), false, [...args], options?.buffers === true ? BUFFER_REPLIES : undefined) as Promise<unknown>,
    async transaction(commands) {
      const multi = publisher.multi(commands[0] === undefined ? undefined : firstKeyOf(commands[0]));
      for (const args of commands) multi.addCommand(firstKeyOf(args), false, [...args]);
      return (await multi.exec()) as unknown[];
    },
    async subscriberCount(channel) {
      if (!sharded) return countOnEveryNode(channel);
      const reply = (await (await publisher.getNodeClientForKey(channel)).sendCommand(['PUBSUB', 'SHARDNUMSUB', channel])) as unknown[];
      return Number(reply[1] ?? 0);
    },
    async subscribe(channel, listener) {
      assertShardUp(channel);
      await (sharded ? subscriber.sSubscribe(channel, listener, true) : subscriber.subscribe(channel, listener, true));
    },
    async unsubscribe(channel, listener) {
      assertShardUp(channel);
      if (sharded) await subscriber.SUNSUBSCRIBE<true>(channel, listener, true);
      // node-redis types the cluster's UNSUBSCRIBE listener as string-or-Buffer; it is the Buffer one subscribed.
      else await subscriber.UNSUBSCRIBE<true>(channel, listener as never, true);
    },
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
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(retryTimer);
      wake?.();
      subscriber.destroy();
    },
  };
}

/** The hash slot of a key or sharded channel (CRC16 of the `{hash tag}` or the whole name, mod 16384). */
export function slotOf(key: string | Buffer): number {
  const bytes = typeof key === 'string' ? Buffer.from(key) : key;
  const open = bytes.indexOf(0x7b);
  let hashed = bytes;
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) hashed = bytes.subarray(open + 1, close);
  }
  return crc16(hashed) % 16384;
}

/** CRC16/XMODEM, as Redis Cluster hashes keys. */
function crc16(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
