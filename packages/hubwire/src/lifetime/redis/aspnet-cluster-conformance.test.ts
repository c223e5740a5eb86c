/**
 * The lifetime-manager conformance suite in ASP.NET's layout on a Redis Cluster of this file's
 * own (three shards on loopback ports): plain PUBLISH over the cluster bus, the layout's default
 * there, since .NET servers never use sharded pub/sub.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { OwnRedisCluster } from '../../../../../test/support/redis-cluster.js';
import { lifetimeManagerSuite } from '../conformance/lifetime-manager-suite.js';
import { redisSystem } from '../../../../../test/support/redis-manager.js';
import { RedisLifetimeManager } from './redis-lifetime-manager.js';

let cluster: OwnRedisCluster | undefined;
before(async () => {
  cluster = await OwnRedisCluster.start();
});
after(async () => {
  await cluster?.stop();
});

lifetimeManagerSuite({
  name: "RedisLifetimeManager, ASP.NET's layout on a Redis Cluster",
  sharedBackplane: true,
  oncePerGroup: true,
  // No shardedPubSub given: the layout's default (false) is what is under test.
  system: () => redisSystem(({ hubType }) => ({ cluster: { rootNodes: cluster!.rootNodes }, layout: 'aspnet', channelPrefix: () => hubType })),
});

test("ASP.NET's layout on a Redis Cluster subscribes with SUBSCRIBE, not SSUBSCRIBE, unless told otherwise", async () => {
  const hubType = `Tests.${randomUUID()}.TestHub`;
  const manager = new RedisLifetimeManager({ cluster: { rootNodes: cluster!.rootNodes }, presence: false, layout: 'aspnet', channelPrefix: () => hubType, hubName: 'TestHub', protocols: [] });
  try {
    await manager.ready();
    const shards = cluster!.shards.map((_, i) => i);
    const plain = await Promise.all(shards.map((i) => cluster!.command(i, 'PUBSUB', 'CHANNELS', `${hubType}:*`)));
    const sharded = await Promise.all(shards.map((i) => cluster!.command(i, 'PUBSUB', 'SHARDCHANNELS', `${hubType}:*`)));
    assert.ok(plain.flat().includes(`${hubType}:all`), `plain channels: ${JSON.stringify(plain)}`);
    assert.deepEqual(sharded.flat(), []);
  } finally {
    await manager.close();
  }
});
