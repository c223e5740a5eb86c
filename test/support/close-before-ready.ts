/**
 * A process that makes a Redis backplane and closes it at once, before its connections are up.
 * It must exit by itself: run by redis-clients.test.ts, which fails if it does not.
 * Arguments: the Redis URL, `single` or `cluster` (then the URL is a root node).
 * @module
 */
import { RedisLifetimeManager } from '../../packages/hubwire/src/lifetime/redis/redis-lifetime-manager.js';

const [url = 'redis://127.0.0.1:6379', mode = 'single'] = process.argv.slice(2);
const manager = new RedisLifetimeManager({
  ...(mode === 'cluster' ? { cluster: { rootNodes: [{ url }] } } : { url }),
  prefix: `hubwire-test-close-${process.pid}`,
  hubName: 'TestHub',
  protocols: [],
  presence: false,
});
await manager.close();
console.log('closed');
