/**
 * The lifetime-manager conformance suite against a Redis Cluster of this file's own (three
 * shards on loopback ports, started once for the file): with sharded pub/sub, the default, and
 * with plain PUBLISH over the cluster bus.
 */
import { after, before } from 'node:test';
import { OwnRedisCluster } from '../../../../../test/support/redis-cluster.js';
import { lifetimeManagerSuite, type LifetimeManagerHarness } from '../conformance/lifetime-manager-suite.js';
import { redisSystem } from '../../../../../test/support/redis-manager.js';

let cluster: OwnRedisCluster | undefined;
before(async () => {
  cluster = await OwnRedisCluster.start();
});
after(async () => {
  await cluster?.stop();
});

function harness(name: string, shardedPubSub: boolean): LifetimeManagerHarness {
  return { name, sharedBackplane: true, system: () => redisSystem(() => ({ cluster: { rootNodes: cluster!.rootNodes, shardedPubSub } })) };
}

lifetimeManagerSuite(harness('RedisLifetimeManager on a Redis Cluster, sharded pub/sub', true));
lifetimeManagerSuite(harness('RedisLifetimeManager on a Redis Cluster, PUBLISH over the cluster bus', false));
