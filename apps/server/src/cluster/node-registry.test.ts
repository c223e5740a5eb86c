import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createClient } from '@redis/client';
import { OwnRedisServer } from '../../../../test/support/redis-server.js';
import type { AppRedisClient, ClusterContext } from './cluster-context.js';
import { openNodeRegistry, type NodeRegistry } from './node-registry.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const HEARTBEAT = 100;

async function cluster(prefix: string, nodeId: string, url = REDIS_URL): Promise<ClusterContext> {
  const redis = createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: () => 50 } }) as AppRedisClient;
  redis.on('error', () => undefined);
  await redis.connect();
  return { redis, prefix, nodeId, key: (...parts) => [prefix, 'app', ...parts].join(':') };
}

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, ms: number, what: string): Promise<{ value: T; waited: number }> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (accept(value)) return { value, waited: Date.now() - started };
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('node registry', () => {
  const contexts: ClusterContext[] = [];
  const registries: NodeRegistry<{ load: number }>[] = [];
  after(async () => {
    await Promise.all(registries.map((registry) => registry.stop()));
    for (const context of contexts) context.redis.destroy();
  });

  async function node(prefix: string, nodeId: string, load: () => number, startedAt: string) {
    const context = await cluster(prefix, nodeId);
    contexts.push(context);
    const registry = openNodeRegistry(context, { nodeId, url: () => `http://127.0.0.1/${nodeId}`, startedAt, figures: () => ({ load: load() }), intervalMs: HEARTBEAT });
    registries.push(registry);
    registry.start();
    return { context, registry };
  }

  test('every node reads every live node, itself fresh, oldest first; a stopped node is gone at once', async () => {
    const prefix = `hubwire-test-${randomUUID()}`;
    let loadA = 1;
    const a = await node(prefix, 'node-a', () => loadA, '2025-01-01T00:00:02.000Z');
    const b = await node(prefix, 'node-b', () => 7, '2025-01-01T00:00:01.000Z');
    const { value } = await eventually(() => a.registry.read(), (read) => read.nodes.length === 2, 2000, 'both nodes');
    assert.equal(value.partial, false);
    assert.deepEqual(value.nodes.map((entry) => entry.nodeId), ['node-b', 'node-a'], 'oldest first');
    const other = value.nodes[0]!;
    assert.deepEqual([other.url, other.pid, other.startedAt, other.load], ['http://127.0.0.1/node-b', process.pid, '2025-01-01T00:00:01.000Z', 7]);
    loadA = 5;
    const own = (await a.registry.read()).nodes.find((entry) => entry.nodeId === 'node-a');
    assert.equal(own?.load, 5, 'the reading node answers with its figures of now');
    await eventually(() => b.registry.read(), (read) => read.nodes.find((entry) => entry.nodeId === 'node-a')?.load === 5, 2000, 'the new figure at the other node');
    await b.registry.stop();
    const after = await a.registry.read();
    assert.deepEqual(after.nodes.map((entry) => entry.nodeId), ['node-a'], 'a goodbye removes the entry at once');
  });

  test('a node that dies without a goodbye drops out within its TTL (3 heartbeats)', async () => {
    const prefix = `hubwire-test-${randomUUID()}`;
    const a = await node(prefix, 'node-a', () => 1, '2025-01-01T00:00:00.000Z');
    const b = await node(prefix, 'node-b', () => 2, '2025-01-01T00:00:00.000Z');
    await eventually(() => a.registry.read(), (read) => read.nodes.length === 2, 2000, 'both nodes');
    assert.equal(b.registry.ttlMs, HEARTBEAT * 3);
    const diedAt = Date.now();
    b.context.redis.destroy(); // as SIGKILL: no more heartbeats, no goodbye
    await eventually(() => a.registry.read(), (read) => read.nodes.length === 1, HEARTBEAT * 3 + 1000, 'the dead node gone');
    const gone = Date.now() - diedAt;
    // The TTL, plus slack for polling on a busy machine (a write sent just before the death counts).
    assert.ok(gone <= HEARTBEAT * 3 + 300, `dropped out after ${gone} ms`);
    assert.deepEqual(await a.context.redis.sMembers(a.context.key('nodes')), ['node-a'], 'the index is pruned');
  });

  test('without a cluster the registry holds this process alone', async () => {
    const registry = openNodeRegistry(undefined, { nodeId: 'alone', url: () => undefined, startedAt: '2025-01-01T00:00:00.000Z', figures: () => ({ load: 3 }), intervalMs: HEARTBEAT });
    registry.start();
    assert.deepEqual(await registry.read(), { nodes: [{ load: 3, nodeId: 'alone', url: null, pid: process.pid, startedAt: '2025-01-01T00:00:00.000Z' }], partial: false });
    await registry.stop();
  });
});

describe('node registry during a Redis outage', () => {
  let server: OwnRedisServer | undefined;
  let context: ClusterContext | undefined;
  let registry: NodeRegistry<{ load: number }> | undefined;
  after(async () => {
    await registry?.stop();
    context?.redis.destroy();
    await server?.stop();
  });

  test('a read answers with this node alone, marked partial, and the entry is back after Redis returns', async () => {
    server = await OwnRedisServer.start();
    context = await cluster('outage', 'node-a', server.url);
    registry = openNodeRegistry(context, { nodeId: 'node-a', url: () => undefined, startedAt: '2025-01-01T00:00:00.000Z', figures: () => ({ load: 1 }), intervalMs: HEARTBEAT });
    registry.start();
    await eventually(async () => context!.redis.sMembers(context!.key('nodes')), (ids) => ids.length === 1, 2000, 'the entry');
    await server.stop();
    const read = await registry.read();
    assert.equal(read.partial, true);
    assert.deepEqual(read.nodes.map((entry) => entry.nodeId), ['node-a']);
    await server.restart(); // empty: as after a crash without persistence
    await eventually(async () => (context!.redis.isReady ? context!.redis.sMembers(context!.key('nodes')) : ([] as string[])), (ids) => ids.includes('node-a'), 5000, 'the entry written again');
    assert.equal((await registry.read()).partial, false);
  });
});
