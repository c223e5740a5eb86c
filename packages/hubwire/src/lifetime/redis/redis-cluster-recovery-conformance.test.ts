/**
 * The recovery conformance suite against a Redis Cluster of this file's own (three shards on
 * loopback ports, started once for the file), two nodes sharing the history: with sharded
 * pub/sub (the append script SPUBLISHes each group's entries in the group's slot) and with plain
 * PUBLISH over the cluster bus.
 */
import { after, before } from 'node:test';
import { OwnRedisCluster } from '../../../../../test/support/redis-cluster.js';
import { redisRecoveryHarness } from '../../../../../test/support/redis-manager.js';
import { recoverySuite } from '../conformance/recovery-suite.js';

let cluster: OwnRedisCluster | undefined;
before(async () => {
  cluster = await OwnRedisCluster.start();
});
after(async () => {
  await cluster?.stop();
});

recoverySuite(redisRecoveryHarness('RedisLifetimeManager on a Redis Cluster, sharded pub/sub', 2, () => ({ cluster: { rootNodes: cluster!.rootNodes } })));
recoverySuite(redisRecoveryHarness('RedisLifetimeManager on a Redis Cluster, PUBLISH over the cluster bus', 2, () => ({ cluster: { rootNodes: cluster!.rootNodes, shardedPubSub: false } })));
