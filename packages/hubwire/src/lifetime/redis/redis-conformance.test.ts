/**
 * The lifetime-manager conformance suite against the real Redis, several Hubwire nodes of one
 * hub in this process.
 */
import { lifetimeManagerSuite } from '../conformance/lifetime-manager-suite.js';
import { redisSystem } from '../../../../../test/support/redis-manager.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

lifetimeManagerSuite({
  name: 'RedisLifetimeManager',
  sharedBackplane: true,
  system: () => redisSystem(() => ({ url })),
});
