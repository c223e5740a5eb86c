/**
 * Two HubServers on a Redis Cluster (three shards of this file's own, sharded pub/sub), the
 * official client on each: broadcast, group and user sends and a hub-context group add cross
 * nodes for JSON and MessagePack clients, a hub method awaits a client result from the other
 * node, and a shard killed and restarted under them heals by itself.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { CounterMetrics } from 'hubwire';
import { checkCrossNodeSends, e2eScope, probeUntilDelivered, ScaleHub, startClient, startRedisNode } from '../support/redis-e2e.js';
import { OwnRedisCluster } from '../support/redis-cluster.js';
import type { TestServer } from '../support/test-server.js';
import { until } from '../support/wait.js';

let cluster: OwnRedisCluster;
before(async () => {
  cluster = await OwnRedisCluster.start();
});
after(async () => {
  await cluster?.stop();
});

const scope = e2eScope();

async function node(prefix: string): Promise<TestServer> {
  return (await startRedisNode(scope, ScaleHub, { cluster: { rootNodes: cluster.rootNodes }, prefix })).server;
}

const client = (server: TestServer, options: { user?: string; messagepack?: boolean } = {}) => startClient(scope, server, options);

describe('Redis Cluster backplane, end to end', () => {
  test('broadcast, group and user sends from one node reach clients on the other', async () => {
    const prefix = `e2e-${randomUUID()}`;
    const [one, two] = [await node(prefix), await node(prefix)];
    await checkCrossNodeSends(scope, one, two);
  });

  test('client results: a hub method on one node awaits the answer of a client on the other', async () => {
    const prefix = `e2e-${randomUUID()}`;
    const [one, two] = [await node(prefix), await node(prefix)];
    const a = await client(one);
    const b = await client(two, { messagepack: true });
    b.connection.on('Ask', (question: string) => `${question}? 42`);
    const bId = (await b.invoke('whoAmI')) as string;
    assert.equal(await a.invoke('ask', bId, 'answer'), 'answer? 42');
    await assert.rejects(a.invoke('ask', 'nowhere', 'anyone'), /An unexpected error occurred invoking 'ask' on the server/);
  });

  test('the shard of a group killed and restarted: local delivery goes on, the nodes recover by themselves', async () => {
    const prefix = `e2e-${randomUUID()}`;
    const [one, two] = [await node(prefix), await node(prefix)];
    const a = await client(one);
    const a2 = await client(one);
    const b = await client(two);
    await a.invoke('join', 'room');
    await a2.invoke('join', 'room');
    await b.invoke('join', 'room');
    await a.invoke('toGroup', 'room', 'before');
    await until(() => [a, a2, b].every((x) => x.inbox.has('before')), 5000, 'before the outage');

    const shard = await cluster.shardOf(`${prefix}:${ScaleHub.name}:group:room`);
    await cluster.kill(shard);
    try {
      await a.invoke('toGroup', 'room', 'during');
      await until(() => a.inbox.has('during') && a2.inbox.has('during'), 5000, 'local delivery during the outage');
      assert.ok(((one.hubwire.metrics as CounterMetrics).totals().backplanePublishFailures ?? 0) >= 1);
    } finally {
      await cluster.restart(shard);
    }
    await probeUntilDelivered(a, b, 'room');
    assert.deepEqual(b.inbox.messages, ['before']);
    assert.equal(a.connection.state, 'Connected');
    assert.equal(b.connection.state, 'Connected');
  });
});
