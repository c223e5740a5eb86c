/**
 * What only a Redis Cluster does to the backplane (the shared behaviour is in
 * redis-cluster-conformance.test.ts): sharded channels spread over the shards and reach only the
 * shard of their slot, commands and transactions go to the shard of their first key, and a shard
 * killed and restarted, a slot moved to another shard, or a cluster that is down at start all
 * heal without help. One 3-shard cluster of this file's own, started once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createCluster } from '@redis/client';
import { CLOSE_BEFORE_READY, exitOf } from '../../../../../test/support/child-exit.js';
import { OwnRedisCluster } from '../../../../../test/support/redis-cluster.js';
import { cleanupsAfterEach, hello, managerNode, untilAsync, type ManagerNode } from '../../../../../test/support/redis-manager.js';
import { FakeConnection } from '../conformance/fake-connection.js';
import type { ConnectionEvents } from './redis-clients.js';
import { firstKeyOf, openClusterConnections, slotOf } from './redis-cluster-clients.js';
import type { RedisLifetimeManagerOptions } from './redis-lifetime-manager.js';


let cluster: OwnRedisCluster;
before(async () => {
  cluster = await OwnRedisCluster.start();
});
after(async () => {
  await cluster?.stop();
});

const defer = cleanupsAfterEach();

const node = (prefix: string, options: RedisLifetimeManagerOptions = {}): ManagerNode =>
  managerNode(defer, { cluster: { rootNodes: cluster.rootNodes }, maxReconnectDelay: 100, ...options, prefix });

async function readyNode(prefix: string, options: RedisLifetimeManagerOptions = {}): Promise<ManagerNode> {
  const made = node(prefix, options);
  await made.manager.ready();
  return made;
}

/** A group name of `prefix` whose channel lives on `shard`. */
async function groupOnShard(prefix: string, shard: number, not: readonly string[] = []): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const name = `g${i}`;
    if (!not.includes(name) && (await cluster.shardOf(`${prefix}:TestHub:group:${name}`)) === shard) return name;
  }
  throw new Error(`no group name on shard ${shard}`);
}

async function shardSubscribers(shard: number, channel: string): Promise<number> {
  const reply = (await cluster.command(shard, 'PUBSUB', 'SHARDNUMSUB', channel)) as unknown[];
  return Number(reply[1]);
}

/** A counter of `INFO commandstats` (`calls` of `cmdstat_<command>`) or of `CLUSTER INFO`, 0 when Redis leaves it out. */
async function stat(shard: number, section: 'commandstats' | 'cluster' | 'errorstats', name: string): Promise<number> {
  const text = String(section === 'cluster' ? await cluster.command(shard, 'CLUSTER', 'INFO') : await cluster.command(shard, 'INFO', section));
  const line = text.split('\r\n').find((entry) => entry.startsWith(`${name}:`));
  if (line === undefined) return 0;
  const value = line.slice(name.length + 1);
  return Number(/^calls=(\d+)/.exec(value)?.[1] ?? /^count=(\d+)/.exec(value)?.[1] ?? value);
}

const shards = () => cluster.shards.map((_, i) => i);

async function keyOnShard(shard: number): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const key = `t-${randomUUID()}`;
    if ((await cluster.shardOf(key)) === shard) return key;
  }
  throw new Error(`no key on shard ${shard}`);
}

function silentEvents(): ConnectionEvents & { errors: Error[] } {
  const errors: Error[] = [];
  return { errors, onError: (_which, error) => void errors.push(error), onReady: () => undefined, onSubscriberReady: () => undefined };
}

describe('RedisLifetimeManager on a Redis Cluster', () => {
  test('slotOf hashes as Redis does, {hash tags} included', async () => {
    for (const key of ['hubwire:Chat:all', 'a', '{user1000}.following', 'foo{}{bar}', 'foo{{bar}}zap', '{}x', 'x{', 'ünïcødé']) {
      assert.equal(slotOf(key), Number(await cluster.command(0, 'CLUSTER', 'KEYSLOT', key)), key);
    }
    assert.equal(firstKeyOf(['HSET', 'k', 'f', 'v']), 'k');
    assert.equal(firstKeyOf(['eval', 'return 1', '2', 'k1', 'k2']), 'k1');
    assert.equal(firstKeyOf(['FCALL', 'f', '0']), undefined);
  });

  test('sharded: each group channel is carried by its own shard, and no other shard sees its messages', async () => {
    const prefix = `t-${randomUUID()}`;
    const [n1, n2, n3] = [await readyNode(prefix), await readyNode(prefix), await readyNode(prefix)];
    const groups = await Promise.all(shards().map((shard) => groupOnShard(prefix, shard)));
    const [a, b, c] = [new FakeConnection('a'), new FakeConnection('b'), new FakeConnection('c')];
    await n1.manager.onConnected(a);
    await n2.manager.onConnected(b);
    await n3.manager.onConnected(c);
    // b is in the group of shard 1, c in the group of shard 2: each node subscribes on that shard.
    await n2.manager.addToGroup('b', groups[1]!);
    await n3.manager.addToGroup('c', groups[2]!);
    for (const shard of shards()) {
      assert.deepEqual(
        await Promise.all(groups.map((group) => shardSubscribers(shard, `${prefix}:TestHub:group:${group}`))),
        groups.map((_, i) => (i === shard && shard !== 0 ? 1 : 0)),
        `subscriptions on shard ${shard}`,
      );
    }
    const published = await Promise.all(shards().map((shard) => stat(shard, 'commandstats', 'cmdstat_spublish')));
    const bus = await Promise.all(shards().map((shard) => stat(shard, 'cluster', 'cluster_stats_messages_publishshard_received')));
    const sends = 20;
    for (let i = 0; i < sends; i++) await n1.manager.send({ kind: 'groups', names: [groups[1]!] }, hello('m'));
    await b.received('m', sends);
    const grown = await Promise.all(shards().map(async (shard) => (await stat(shard, 'commandstats', 'cmdstat_spublish')) - published[shard]!));
    assert.deepEqual(grown, shards().map((shard) => (shard === 1 ? sends : 0)), 'every publish went to the shard of the channel only');
    assert.deepEqual(await Promise.all(shards().map((shard) => stat(shard, 'cluster', 'cluster_stats_messages_publishshard_received'))), bus, 'nothing crossed the cluster bus');
    await n1.manager.send({ kind: 'all' }, hello('barrier'));
    await c.received('barrier');
    assert.equal(c.count('m'), 0);
    assert.equal(a.count('m'), 0);
  });

  test('not sharded (shardedPubSub: false): every message crosses the cluster bus to every shard', async () => {
    const prefix = `t-${randomUUID()}`;
    const options = { cluster: { rootNodes: cluster.rootNodes, shardedPubSub: false } };
    const [n1, n2] = [await readyNode(prefix, options), await readyNode(prefix, options)];
    const b = new FakeConnection('b');
    await n2.manager.onConnected(b);
    await n2.manager.addToGroup('b', 'room');
    const received = await Promise.all(shards().map((shard) => stat(shard, 'cluster', 'cluster_stats_messages_publish_received')));
    const sends = 20;
    for (let i = 0; i < sends; i++) await n1.manager.send({ kind: 'groups', names: ['room'] }, hello('m'));
    await b.received('m', sends);
    const grown = await Promise.all(shards().map(async (shard) => (await stat(shard, 'cluster', 'cluster_stats_messages_publish_received')) - received[shard]!));
    // The node PUBLISH ran on sends it to the two others: 2 × 20 bus messages in all, at least.
    assert.ok(grown.reduce((sum, count) => sum + count, 0) >= 2 * sends, `bus messages received per shard: ${grown.join(', ')}`);
    assert.ok(grown.filter((count) => count > 0).length >= 2, `bus messages received per shard: ${grown.join(', ')}`);
  });

  test('order: one node\'s messages arrive in the order sent, on every channel without sharding, per channel with it', async () => {
    for (const shardedPubSub of [false, true]) {
      const prefix = `t-${randomUUID()}`;
      const options = { cluster: { rootNodes: cluster.rootNodes, shardedPubSub } };
      const [n1, n2] = [await readyNode(prefix, options), await readyNode(prefix, options)];
      const b = new FakeConnection('b', 'bob');
      await n2.manager.onConnected(b);
      await n2.manager.addToGroup('b', 'room');
      const sent: string[] = [];
      // Sent without waiting for each other, as concurrent hub calls do: alternately to the
      // group and to the user without sharding (two channels), to the group alone with it.
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => {
          sent.push(`m${i}`);
          const audience = !shardedPubSub && i % 2 === 1 ? ({ kind: 'users', ids: ['bob'] } as const) : ({ kind: 'groups', names: ['room'] } as const);
          return n1.manager.send(audience, hello(`m${i}`));
        }),
      );
      await b.received('m59');
      assert.deepEqual(b.targets, sent, `sharded=${shardedPubSub}`);
    }
  });

  test('commands and transactions run on the shard of their first key, with no redirection', async () => {
    const events = silentEvents();
    const redis = openClusterConnections({ rootNodes: cluster.rootNodes, maxReconnectDelay: 100 }, events);
    defer(() => redis.close());
    await redis.ready();
    const moved = await Promise.all(shards().map((shard) => stat(shard, 'errorstats', 'errorstat_MOVED')));
    for (const shard of shards()) {
      // A key of every shard, so that commands sent to any one node would be redirected.
      const key = await keyOnShard(shard);
      assert.equal(await redis.command(['SET', key, 'v', 'PX', '60000']), 'OK');
      assert.equal(await redis.command(['EVAL', "return redis.call('GET', KEYS[1])", '1', key]), 'v');
      const [hash, list] = [`{${key}}:h`, `{${key}}:l`];
      assert.deepEqual(await redis.transaction([['HSET', hash, 'f', '1'], ['PEXPIRE', hash, '60000'], ['RPUSH', list, 'x'], ['PEXPIRE', list, '60000'], ['HGET', hash, 'f']]), [1, 1, 1, 1, '1']);
    }
    assert.deepEqual(await Promise.all(shards().map((shard) => stat(shard, 'errorstats', 'errorstat_MOVED'))), moved, 'no MOVED replies');
    assert.deepEqual(events.errors, []);
  });

  test('receiver counts: a sharded channel counts its shard, PUBLISH is counted on every node when it must be exact', async () => {
    for (const shardedPubSub of [true, false]) {
      const subscriber = openClusterConnections({ rootNodes: cluster.rootNodes, shardedPubSub, maxReconnectDelay: 100 }, silentEvents());
      const publisher = openClusterConnections({ rootNodes: cluster.rootNodes, shardedPubSub, maxReconnectDelay: 100 }, silentEvents());
      defer(() => subscriber.close());
      defer(() => publisher.close());
      await Promise.all([subscriber.ready(), publisher.ready()]);
      const got: string[] = [];
      // Channels on every shard, so PUBLISH runs on nodes the subscriber is not connected to.
      const channels = Array.from({ length: 6 }, (_, i) => `t-${randomUUID()}:${i}`);
      for (const channel of channels) await subscriber.subscribe(channel, (payload) => void got.push(payload.toString()));
      for (const channel of channels) {
        assert.equal(await publisher.subscriberCount(channel), 1, `${channel} sharded=${shardedPubSub}`);
        assert.equal(await publisher.publish(channel, Buffer.from(channel), true), 1, `${channel} sharded=${shardedPubSub}`);
      }
      assert.equal(await publisher.publish(`t-${randomUUID()}:nobody`, Buffer.from('x'), true), 0);
      await untilAsync(() => got.length === channels.length, 5000, 'every message');
      assert.deepEqual(got.sort(), [...channels].sort());
    }
  });

  test('an application\'s own cluster client publishes; the backplane subscribes on a duplicate and leaves the client open', async () => {
    const prefix = `t-${randomUUID()}`;
    const own = createCluster({ rootNodes: cluster.rootNodes, defaults: { disableOfflineQueue: true } });
    own.on('error', () => undefined);
    await own.connect();
    defer(async () => own.destroy());
    const n1 = await readyNode(prefix, { cluster: { client: own } });
    const n2 = await readyNode(prefix);
    const b = new FakeConnection('b');
    await n2.manager.onConnected(b);
    const a = new FakeConnection('a');
    await n1.manager.onConnected(a);
    await n1.manager.send({ kind: 'connections', ids: ['b'] }, hello('to-b'));
    await b.received('to-b');
    await n2.manager.send({ kind: 'connections', ids: ['a'] }, hello('to-a'));
    await a.received('to-a');
    await n1.manager.close();
    assert.equal(own.isReady, true);
    assert.equal(await own.sendCommand(undefined, true, ['PING']), 'PONG');
  });

  test('a slot moved to another shard: node-redis follows its sharded channels there, delivery goes on', async () => {
    const prefix = `t-${randomUUID()}`;
    const [n1, n2] = [await readyNode(prefix), await readyNode(prefix)];
    const group = await groupOnShard(prefix, 0);
    const channel = `${prefix}:TestHub:group:${group}`;
    const b = new FakeConnection('b');
    await n2.manager.onConnected(b);
    await n2.manager.addToGroup('b', group);
    const slot = slotOf(channel);
    const [sourceId, targetId] = [String(await cluster.command(0, 'CLUSTER', 'MYID')), String(await cluster.command(1, 'CLUSTER', 'MYID'))];
    const moveTo = async (from: number, to: number, toId: string, fromId: string) => {
      await cluster.command(to, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', fromId);
      await cluster.command(from, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', toId);
      for (const shard of [to, from, 3 - from - to]) await cluster.command(shard, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', toId);
    };
    await moveTo(0, 1, targetId, sourceId);
    defer(() => moveTo(1, 0, sourceId, targetId));
    await untilAsync(async () => (await shardSubscribers(1, channel)) === 1, 5000, 'the subscription to follow the slot');
    assert.equal(await shardSubscribers(0, channel), 0);
    await untilAsync(
      async () => {
        await n1.manager.send({ kind: 'groups', names: [group] }, hello('after-move'));
        return b.count('after-move') > 0;
      },
      5000,
      'delivery after the move',
    );
  });

  test('a shard killed and restarted: other shards carry on, local delivery goes on, its channels come back by themselves', async () => {
    const prefix = `t-${randomUUID()}`;
    const [n1, n2] = [await readyNode(prefix), await readyNode(prefix)];
    const dead = (await cluster.shardOf(`${prefix}:TestHub:all`)) === 2 ? 1 : 2;
    const [gone, alive] = [await groupOnShard(prefix, dead), await groupOnShard(prefix, 3 - dead)];
    const late = await groupOnShard(prefix, dead, [gone]);
    const [a, b, c] = [new FakeConnection('a'), new FakeConnection('b'), new FakeConnection('c')];
    await n1.manager.onConnected(a);
    await n2.manager.onConnected(b);
    await n2.manager.onConnected(c);
    for (const group of [gone, alive]) {
      await n1.manager.addToGroup('a', group);
      await n2.manager.addToGroup('b', group);
    }
    await n1.manager.send({ kind: 'groups', names: [gone] }, hello('before'));
    await b.received('before');

    await cluster.kill(dead);
    try {
      await n1.manager.send({ kind: 'groups', names: [gone] }, hello('during'));
      assert.equal(a.count('during'), 1, 'local recipients are served while their channel\'s shard is down');
      await untilAsync(() => n1.metrics.totals().backplanePublishFailures >= 1, 5000, 'the failed publish to be counted');
      await n1.manager.send({ kind: 'groups', names: [alive] }, hello('alive'));
      await b.received('alive');
      // A channel of the dead shard wanted during the outage: its subscription fails now and is
      // made when the shard is back.
      await n2.manager.addToGroup('c', late);
    } finally {
      await cluster.restart(dead);
    }
    await untilAsync(async () => (await shardSubscribers(dead, `${prefix}:TestHub:group:${gone}`)) === 2, 10_000, 'both nodes to subscribe again on the restarted shard');
    await untilAsync(async () => (await shardSubscribers(dead, `${prefix}:TestHub:group:${late}`)) === 1, 10_000, 'the group joined during the outage');
    await n1.manager.send({ kind: 'groups', names: [gone, late] }, hello('after'));
    await b.received('after');
    await c.received('after');
    assert.equal(b.count('during'), 0);
    assert.ok(n1.warnings.length >= 1, 'the outage is logged');
    await n1.manager.addToGroup('b', alive);
    await n1.manager.removeFromGroup('c', late);
    await n1.manager.send({ kind: 'groups', names: [late] }, hello('out'));
    await n1.manager.send({ kind: 'all' }, hello('barrier'));
    await c.received('barrier');
    assert.equal(c.count('out'), 0);
  });

  test('a backplane closed before its cluster connections are up leaves nothing open: the process exits by itself', async () => {
    assert.equal(await exitOf(CLOSE_BEFORE_READY, [cluster.rootNodes[0]!.url, 'cluster'], 20_000), 0);
  });

  test('a cluster that is down at start: the backplane keeps trying and is ready once the cluster is back', async () => {
    const prefix = `t-${randomUUID()}`;
    await Promise.all(shards().map((shard) => cluster.kill(shard)));
    const n1 = node(prefix);
    let started = false;
    void n1.manager.ready().then(() => (started = true));
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(started, false);
    } finally {
      await Promise.all(shards().map((shard) => cluster.restart(shard)));
    }
    await untilAsync(() => started, 10_000, 'the backplane to connect');
    const n2 = await readyNode(prefix);
    const b = new FakeConnection('b');
    await n2.manager.onConnected(b);
    await n1.manager.send({ kind: 'all' }, hello('hi'));
    await b.received('hi');
  });
});
