import { randomUUID } from 'node:crypto';
import { lifetimeManagerSuite } from '../conformance/lifetime-manager-suite.js';
import { RedisLifetimeManager } from './redis-lifetime-manager.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

lifetimeManagerSuite({
  name: 'RedisLifetimeManager',
  sharedBackplane: true,
  system() {
    // A prefix of its own per system: parallel test files and cases never see each other.
    const prefix = `hubwire-test-${randomUUID()}`;
    const managers: RedisLifetimeManager[] = [];
    return {
      async node({ metrics, protocol }) {
        const manager = new RedisLifetimeManager({ url, prefix, hubName: 'TestHub', protocols: [protocol], metrics });
        managers.push(manager);
        await manager.ready();
        return manager;
      },
      close: async () => {
        await Promise.all(managers.map((manager) => manager.close()));
      },
    };
  },
});
