/**
 * The lifetime-manager conformance suite against the real Redis with ASP.NET Core's channel and
 * message layout (`layout: 'aspnet'`), several Hubwire nodes of one hub in this process.
 */
import { randomUUID } from 'node:crypto';
import { lifetimeManagerSuite } from '../conformance/lifetime-manager-suite.js';
import { RedisLifetimeManager } from './redis-lifetime-manager.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

lifetimeManagerSuite({
  name: "RedisLifetimeManager, ASP.NET's layout",
  sharedBackplane: true,
  // One publication per group, as ASP.NET's Clients.Groups: a member of two groups gets two.
  oncePerGroup: true,
  system() {
    // A channel prefix of its own per system: parallel test files and cases never see each other.
    const hubType = `Tests.${randomUUID()}.TestHub`;
    const prefix = `hubwire-test-${randomUUID()}`;
    const managers: RedisLifetimeManager[] = [];
    return {
      async node({ metrics, protocol }) {
        const manager = new RedisLifetimeManager({ url, prefix, layout: 'aspnet', channelPrefix: () => hubType, hubName: 'TestHub', protocols: [protocol], metrics });
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
