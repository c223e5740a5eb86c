/**
 * The lifetime-manager conformance suite against the real Redis with ASP.NET Core's channel and
 * message layout (`layout: 'aspnet'`), several Hubwire nodes of one hub in this process.
 */
import { lifetimeManagerSuite } from '../conformance/lifetime-manager-suite.js';
import { redisSystem } from '../../../../../test/support/redis-manager.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

lifetimeManagerSuite({
  name: "RedisLifetimeManager, ASP.NET's layout",
  sharedBackplane: true,
  // One publication per group, as ASP.NET's Clients.Groups: a member of two groups gets two.
  oncePerGroup: true,
  system: () => redisSystem(({ hubType }) => ({ url, layout: 'aspnet', channelPrefix: () => hubType })),
});
