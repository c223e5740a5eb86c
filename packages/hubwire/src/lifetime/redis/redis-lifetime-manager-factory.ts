/**
 * `redisLifetimeManager()`: the backplane as a `createHubServer({ lifetimeManager })` factory.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { HubLifetimeManager } from '../hub-lifetime-manager.js';
import type { LifetimeManagerContext } from '../../server.js';
import { RedisLifetimeManager, type RedisLifetimeManagerOptions } from './redis-lifetime-manager.js';

/** A lifetime-manager factory for Redis, with a way to wait until its hubs are connected. */
export interface RedisLifetimeManagerFactory {
  (context: LifetimeManagerContext): HubLifetimeManager;
  /** The managers made so far, one per hub class. */
  readonly managers: readonly RedisLifetimeManager[];
  /** Resolves when every hub made so far is connected to Redis and subscribed. */
  ready(): Promise<void>;
}

/**
 * Scales hubs out over Redis pub/sub: run several processes (on one machine or many) against
 * one Redis (or one Redis Cluster) and sends, groups and users reach connections on every node.
 * Each hub class gets its own two Redis connections (publish and subscribe), or on a cluster its
 * own cluster client (a command connection per master, a subscriber connection per shard it has
 * channels on); `HubServer.close()` closes them.
 *
 * With `layout: 'aspnet'` the channels and messages are ASP.NET Core's
 * (`Microsoft.AspNetCore.SignalR.StackExchangeRedis`), so .NET servers of the same hub share the
 * Redis: `channelPrefix` maps a Hubwire hub name to the .NET hub type's full name.
 *
 * @example
 * ```ts
 * import { createHubServer, redisLifetimeManager } from 'hubwire';
 *
 * const backplane = redisLifetimeManager({ url: process.env.REDIS_URL, prefix: 'my-app' });
 * const hubwire = createHubServer({ lifetimeManager: backplane });
 * hubwire.mapHub('/hubs/chat', ChatHub);
 * await backplane.ready(); // optional: sends before this only reach this node
 * await hubwire.listen({ port: 5000 });
 *
 * // On a Redis Cluster, with sharded pub/sub (SSUBSCRIBE/SPUBLISH):
 * redisLifetimeManager({ cluster: { rootNodes: [{ url: 'redis://10.0.0.1:6379' }, { url: 'redis://10.0.0.2:6379' }] } });
 *
 * // Beside ASP.NET Core servers whose hub is MyApp.Hubs.ChatHub:
 * redisLifetimeManager({ url: process.env.REDIS_URL, layout: 'aspnet', channelPrefix: (hub) => `MyApp.Hubs.${hub}` });
 * ```
 */
export function redisLifetimeManager(options: RedisLifetimeManagerOptions = {}): RedisLifetimeManagerFactory {
  const managers: RedisLifetimeManager[] = [];
  const nodeId = options.nodeId ?? randomBytes(8).toString('hex');
  const factory = (context: LifetimeManagerContext): HubLifetimeManager => {
    // One factory shared by two HubServers of one process makes two nodes of the same hub: they
    // need ids of their own, or each would take the other's messages for its own and skip them.
    const twins = managers.filter((manager) => manager.hubName === context.hubName).length;
    const manager = new RedisLifetimeManager({
      ...options,
      nodeId: twins === 0 ? nodeId : `${nodeId}-${twins}`,
      hubName: context.hubName,
      protocols: context.protocols,
      recovery: context.recovery,
      logger: context.logger,
      metrics: context.metrics,
      labels: { hub: context.hubPath },
      ...(context.onGroupChange === undefined ? {} : { onGroupChange: context.onGroupChange }),
    });
    managers.push(manager);
    return manager;
  };
  return Object.assign(factory, {
    managers,
    ready: async () => {
      await Promise.all(managers.map((manager) => manager.ready()));
    },
  });
}
