/**
 * What makes several server processes one system: the Redis they share, under one key prefix,
 * and this process's node id. Created by app.ts when `REDIS_URL` is set; modules keep their
 * shared state and background-work leases through it. Without Redis there is no cluster context
 * and every module keeps its state in memory, exactly as a single process always did.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createClient, type RedisClientType } from '@redis/client';
import type { Logger } from 'pino';

/** The app's Redis client: node-redis with its default modules. */
export type AppRedisClient = RedisClientType;

/** The cluster this process is a node of. */
export interface ClusterContext {
  /**
   * The app's command connection, shared by the modules (and used by the hub backplane to
   * publish). Its offline queue is off: during a Redis outage a command fails at once instead of
   * piling up, so callers must expect rejections and degrade.
   */
  readonly redis: AppRedisClient;
  /** `REDIS_PREFIX`: the first part of every key and channel. */
  readonly prefix: string;
  /** This process's id in the cluster: the same one its hubs' backplane uses. */
  readonly nodeId: string;
  /** A key of the app's own state: `<prefix>:app:<parts…>` (hub backplane keys are apart). */
  key(...parts: string[]): string;
}

/** Where a Redis URL points, without its user and password: what a log may show. */
export function redisEndpoint(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(unparsable)';
  }
}

/** A node id that says where the process runs and stays unique across restarts. */
export function newNodeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * Opens the app's Redis connection. It retries forever (at most `maxReconnectDelay` apart); an
 * outage is logged once when it starts and once when it ends, never with the URL (it may hold a
 * password).
 */
export function openCluster(options: { url: string; prefix: string; logger: Logger; nodeId?: string; maxReconnectDelay?: number }): ClusterContext & { close(): Promise<void> } {
  const maxDelay = options.maxReconnectDelay ?? 1000;
  const redis = createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), maxDelay) },
  }) as AppRedisClient;
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) options.logger.warn({ err: { message: error.message } }, 'Redis connection failed; the cluster state is unavailable until it is back');
    down = true;
  });
  redis.on('ready', () => {
    if (down) options.logger.info('Redis connection is back');
    down = false;
  });
  // Failures are reported through 'error' and retried by the reconnect strategy.
  redis.connect().catch(() => undefined);
  const prefix = options.prefix;
  return {
    redis,
    prefix,
    nodeId: options.nodeId ?? newNodeId(),
    key: (...parts) => [prefix, 'app', ...parts].join(':'),
    async close() {
      redis.destroy();
    },
  };
}
