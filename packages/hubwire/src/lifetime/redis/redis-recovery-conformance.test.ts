/**
 * The recovery conformance suite against the real Redis: two Hubwire nodes of one hub in this
 * process sharing one history (each system under a prefix of its own).
 */
import { recoverySuite } from '../conformance/recovery-suite.js';
import { redisRecoveryHarness } from '../../../../../test/support/redis-manager.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

recoverySuite(redisRecoveryHarness('RedisLifetimeManager', 2, () => ({ url }), url));
