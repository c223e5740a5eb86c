/**
 * Admin figures of a cluster: GetPlatformStats, GetConnectionCount, platform-snapshot, status and
 * health on any node add up every live node, with the breakdown per node; a node that leaves is
 * gone from them.
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { PlatformStats } from '../../apps/server/src/modules/admin/stats.js';
import { within } from '../support/wait.js';
import { startTestApp, type TestApp } from '../server/support.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('admin figures across two nodes', () => {
  let a: TestApp;
  let b: TestApp;
  const prefix = `hubwire-test-${randomUUID()}`;
  const env = { REDIS_URL, REDIS_PREFIX: prefix, REDIS_HEARTBEAT_MS: '100' };

  before(async () => {
    a = await startTestApp(env);
    b = await startTestApp(env);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
  });

  test('GetPlatformStats and GetConnectionCount on one node count the connections of both, with a breakdown per node', async () => {
    const admin = await a.connect('/hubs/admin', { token: await a.token('admin') });
    await b.connect('/hubs/events');
    await b.connect('/hubs/events');
    const chat = await b.connect('/hubs/chat', { token: await b.token('jane.smith') });
    await within(chat.invoke('SendMessage', 'counted on b'), 5000, 'send');
    const live = () => a.app.hubwire.connectionCount() + b.app.hubwire.connectionCount();
    assert.equal(live(), 4);
    const stats = await eventually(
      () => within(admin.invoke('GetPlatformStats') as Promise<PlatformStats>, 5000, 'GetPlatformStats'),
      // b's entry must be one written after its chat invocation: every poll is an invocation on
      // a, so the total alone can be reached before b's next heartbeat.
      (value) => value.connections.total === 4 && value.nodes.length === 2 && (value.hubs.find((hub) => hub.path === '/hubs/chat')?.invocations ?? 0) >= 1,
      5000,
      'both nodes in the figures',
    );
    assert.equal(stats.partial, false);
    assert.equal(stats.nodeId, a.app.cluster!.nodeId, 'answered by the node asked');
    assert.deepEqual(stats.connections.byHub['/hubs/events'], 2);
    assert.deepEqual(stats.connections.byHub['/hubs/admin'], 1);
    assert.deepEqual(stats.connections.byHub['/hubs/chat'], 1);
    assert.deepEqual(stats.hubs.map((hub) => hub.path), a.app.hubPaths);
    const nodeA = stats.nodes.find((node) => node.nodeId === a.app.cluster!.nodeId)!;
    const nodeB = stats.nodes.find((node) => node.nodeId === b.app.cluster!.nodeId)!;
    assert.deepEqual([nodeA.url, nodeB.url], [a.app.url, b.app.url]);
    assert.deepEqual([nodeA.pid, nodeB.pid], [process.pid, process.pid]);
    assert.deepEqual([nodeA.connections.total, nodeB.connections.total], [1, 3]);
    assert.equal(nodeB.connections.byHub['/hubs/chat'], 1);
    const chatHub = stats.hubs.find((hub) => hub.path === '/hubs/chat')!;
    assert.equal(chatHub.invocations, nodeA.hubs.find((hub) => hub.path === '/hubs/chat')!.invocations + nodeB.hubs.find((hub) => hub.path === '/hubs/chat')!.invocations);
    assert.ok(chatHub.invocations >= 1);
    assert.equal(stats.messages.received, nodeA.messages.received + nodeB.messages.received);
    assert.equal(stats.memory.rssBytes, nodeA.memory.rssBytes + nodeB.memory.rssBytes);
    assert.equal(stats.startedAt, [nodeA.startedAt, nodeB.startedAt].sort()[0], 'the cluster is as old as its oldest node');
    assert.equal(await within(admin.invoke('GetConnectionCount'), 5000, 'GetConnectionCount'), 4);
  });

  test('platform-snapshot, status and health on either node report the cluster; a node that stops is gone from them at once', async () => {
    const adminToken = await b.token('admin');
    await a.connect('/hubs/admin', { token: await a.token('admin') });
    await b.connect('/hubs/events');
    const total = () => a.app.hubwire.connectionCount() + b.app.hubwire.connectionCount();
    const snapshot = await eventually(
      async () => (await b.request('GET', '/api/admin/realtime/platform-snapshot', { token: adminToken })).body as PlatformStats,
      (value) => value.connections.total === total() && value.nodes.length === 2,
      5000,
      'the snapshot of both nodes',
    );
    assert.equal(snapshot.nodeId, b.app.cluster!.nodeId);
    const status = await eventually(
      async () => (await a.request('GET', '/api/admin/realtime/status')).body,
      (value) => value.connections.total === total(),
      5000,
      'status of both nodes',
    );
    assert.deepEqual(status.nodes.map((node: { nodeId: string }) => node.nodeId).sort(), [a.app.cluster!.nodeId, b.app.cluster!.nodeId].sort());
    assert.equal(status.nodes.reduce((sum: number, node: { connections: { total: number } }) => sum + node.connections.total, 0), total());
    assert.equal('url' in status.nodes[0], false, 'the open endpoint names nodes, not their addresses');
    const health = await eventually(
      async () => (await b.request('GET', '/api/admin/realtime/health')).body,
      (value) => value.adminConnections === a.app.hubwire.connectionCount('/hubs/admin') + b.app.hubwire.connectionCount('/hubs/admin'),
      5000,
      'admins of both nodes',
    );
    assert.equal(health.nodes.length, 2);
    assert.ok(health.adminConnections >= 1);

    await b.stop();
    const alone = (await a.request('GET', '/api/admin/realtime/status')).body;
    assert.deepEqual(alone.nodes.map((node: { nodeId: string }) => node.nodeId), [a.app.cluster!.nodeId], 'the stopped node said goodbye');
    assert.equal(alone.connections.total, a.app.hubwire.connectionCount());
  });
});

describe('admin figures of one process', () => {
  test('the same shape with one node and nothing partial', async () => {
    const alone = await startTestApp();
    try {
      const snapshot = (await alone.request('GET', '/api/admin/realtime/platform-snapshot', { token: await alone.token('admin') })).body as PlatformStats;
      assert.equal(snapshot.nodes.length, 1);
      assert.equal(snapshot.partial, false);
      assert.equal(snapshot.nodes[0]!.nodeId, snapshot.nodeId);
      assert.equal(snapshot.nodes[0]!.url, alone.app.url);
      assert.deepEqual(snapshot.nodes[0]!.connections, snapshot.connections);
    } finally {
      await alone.stop();
    }
  });
});
