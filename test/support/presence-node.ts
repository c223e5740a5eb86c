/**
 * A node of a test's system in a process of its own, so the test can SIGKILL it: a
 * RedisLifetimeManager with connections (no sockets) in a group. It prints one JSON line
 * `{ "nodeId": … }` when its state is in Redis, then runs until it is killed.
 *
 * Usage: presence-node.ts <redis url> <prefix> <hub> <heartbeat ms> <node ttl ms> <connections> <group>
 * @module
 */
import { jsonHubProtocol, RedisLifetimeManager, type LifetimeConnection } from 'hubwire';

const args = process.argv.slice(2);
if (args.length !== 7) throw new Error('usage: presence-node.ts <url> <prefix> <hub> <heartbeat> <ttl> <connections> <group>');
const [url, prefix, hubName, heartbeat, ttl, count, group] = args as [string, string, string, string, string, string, string];

const manager = new RedisLifetimeManager({
  url,
  prefix,
  hubName,
  protocols: [jsonHubProtocol],
  presence: { heartbeatInterval: Number(heartbeat), nodeTtl: Number(ttl) },
});
await manager.ready();
for (let i = 0; i < Number(count); i++) {
  const connection: LifetimeConnection = {
    connectionId: `killed-${i}`,
    userIdentifier: `killed-user-${i % 5}`,
    writeSerialized: () => undefined,
    invokeClient: async () => undefined,
  };
  await manager.onConnected(connection);
  await manager.addToGroup(connection.connectionId, group);
}
process.stdout.write(`${JSON.stringify({ nodeId: manager.nodeId })}\n`);
// Alive until killed: the Redis connections and this timer hold the process.
setInterval(() => undefined, 60_000);
