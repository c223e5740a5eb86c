import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRecordingMetrics } from '../../core/recording-metrics.js';
import { jsonHubProtocol } from '../../protocol/json/json-hub-protocol.js';
import { MessageType } from '../../protocol/messages.js';
import type { SerializedMessage } from '../../protocol/serialized-message.js';
import type { LifetimeConnection } from '../hub-lifetime-manager.js';
import { MemoryLifetimeManager } from './memory-lifetime-manager.js';

class FakeConnection implements LifetimeConnection {
  readonly received: string[] = [];
  readonly seen: SerializedMessage[] = [];
  constructor(
    readonly connectionId: string,
    readonly userIdentifier: string | undefined = undefined,
    readonly fail = false,
  ) {}
  async invokeClient(target: string): Promise<unknown> {
    return `${this.connectionId}:${target}`;
  }
  writeSerialized(message: SerializedMessage): void {
    if (this.fail) throw new Error('broken socket');
    this.seen.push(message);
    this.received.push(message.get(jsonHubProtocol).toString());
  }
}

const hello = { type: MessageType.Invocation, target: 'hello', arguments: [] } as const;

async function setup() {
  const metrics = createRecordingMetrics();
  const manager = new MemoryLifetimeManager({ metrics, labels: { hub: '/h' } });
  const a = new FakeConnection('a', 'alice');
  const b = new FakeConnection('b', 'bob');
  const c = new FakeConnection('c', 'alice');
  for (const connection of [a, b, c]) await manager.onConnected(connection);
  return { manager, metrics, a, b, c };
}

const counts = (...connections: FakeConnection[]) => connections.map((connection) => connection.received.length);

describe('MemoryLifetimeManager', () => {
  test('all, all except', async () => {
    const { manager, a, b, c } = await setup();
    await manager.send({ kind: 'all' }, hello);
    await manager.send({ kind: 'all', except: ['b'] }, hello);
    assert.deepEqual(counts(a, b, c), [2, 1, 2]);
  });

  test('every recipient shares one serialization', async () => {
    const { manager, a, b, c } = await setup();
    await manager.send({ kind: 'all' }, hello);
    assert.equal(a.seen[0], b.seen[0]);
    assert.equal(b.seen[0], c.seen[0]);
  });

  test('connections: unknown ids are ignored, duplicates deliver once', async () => {
    const { manager, a, b, c } = await setup();
    await manager.send({ kind: 'connections', ids: ['a', 'a', 'zzz', 'c'] }, hello);
    assert.deepEqual(counts(a, b, c), [1, 0, 1]);
  });

  test('groups: membership, several groups once each, except, case-sensitive names', async () => {
    const { manager, a, b, c } = await setup();
    await manager.addToGroup('a', 'g1');
    await manager.addToGroup('a', 'g2');
    await manager.addToGroup('b', 'g2');
    await manager.addToGroup('c', 'G1');
    await manager.send({ kind: 'groups', names: ['g1', 'g2'] }, hello);
    assert.deepEqual(counts(a, b, c), [1, 1, 0]);
    await manager.send({ kind: 'groups', names: ['g2'], except: ['a'] }, hello);
    assert.deepEqual(counts(a, b, c), [1, 2, 0]);
    await manager.removeFromGroup('a', 'g2');
    await manager.removeFromGroup('a', 'not-a-member');
    await manager.send({ kind: 'groups', names: ['g2'] }, hello);
    assert.deepEqual(counts(a, b, c), [1, 3, 0]);
  });

  test('users reach every connection of the user', async () => {
    const { manager, a, b, c } = await setup();
    await manager.send({ kind: 'users', ids: ['alice'] }, hello);
    await manager.send({ kind: 'users', ids: ['alice', 'bob'] }, hello);
    assert.deepEqual(counts(a, b, c), [2, 1, 2]);
  });

  test('a disconnected connection leaves its groups and user', async () => {
    const { manager, a, b, c } = await setup();
    await manager.addToGroup('a', 'g');
    await manager.onDisconnected(a);
    await manager.send({ kind: 'groups', names: ['g'] }, hello);
    await manager.send({ kind: 'users', ids: ['alice'] }, hello);
    await manager.addToGroup('a', 'g');
    assert.deepEqual(counts(a, b, c), [0, 0, 1]);
    assert.equal(manager.localConnectionCount, 2);
  });

  test('a recipient that throws does not stop the others', async () => {
    const { manager, a, c } = await setup();
    await manager.onConnected(new FakeConnection('broken', undefined, true));
    await manager.send({ kind: 'all' }, hello);
    assert.deepEqual(counts(a, c), [1, 1]);
  });

  test('invokeConnection reaches one connection, or fails for an unknown id', async () => {
    const { manager } = await setup();
    assert.equal(await manager.invokeConnection('b', 'getName', [], {}), 'b:getName');
    await assert.rejects(manager.invokeConnection('nope', 'getName', [], {}), { message: "Connection 'nope' does not exist." });
  });

  test('records the fan-out of each send with the host labels', async () => {
    const { manager, metrics } = await setup();
    await manager.send({ kind: 'all' }, hello);
    await manager.send({ kind: 'connections', ids: ['a', 'nobody'] }, hello);
    assert.deepEqual(metrics.recorded('fanOut', { hub: '/h' }).map((entry) => entry.value), [3, 1]);
    assert.equal(metrics.recorded('deliveryLatency', { hub: '/h' }).length, 2);
  });

  test('reports local groups and users as gauges, until closed', async () => {
    const metrics = createRecordingMetrics();
    const manager = new MemoryLifetimeManager({ metrics, labels: { hub: '/g' } });
    await manager.onConnected(new FakeConnection('x', 'ann'));
    await manager.onConnected(new FakeConnection('y', 'ann'));
    await manager.onConnected(new FakeConnection('z', 'bob'));
    await manager.addToGroup('x', 'g1');
    await manager.addToGroup('y', 'g1');
    await manager.addToGroup('z', 'g2');
    assert.deepEqual([metrics.gauge('groups')[0]?.value, metrics.gauge('users')[0]?.value], [2, 2]);
    await manager.removeFromGroup('z', 'g2');
    await manager.onDisconnected(new FakeConnection('z', 'bob'));
    assert.deepEqual(metrics.gauge('groups', { hub: '/g' }), [{ value: 1, labels: { hub: '/g' } }]);
    assert.deepEqual(metrics.gauge('users', { hub: '/g' }), [{ value: 1, labels: { hub: '/g' } }]);
    await manager.close();
    assert.equal(metrics.observers('groups') + metrics.observers('users'), 0);
  });
});
