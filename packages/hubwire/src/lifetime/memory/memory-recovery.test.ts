import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HubwireError } from '../../core/errors.js';
import { createCounterMetrics } from '../../core/metrics.js';
import { jsonHubProtocol } from '../../protocol/json/json-hub-protocol.js';
import { MessageType } from '../../protocol/messages.js';
import { messagePackHubProtocol } from '../../protocol/msgpack/msgpack-hub-protocol.js';
import { FakeConnection } from '../conformance/fake-connection.js';
import { recoverySuite, recoveryTestNode } from '../conformance/recovery-suite.js';
import { MemoryHistoryStore } from '../recovery/memory-history-store.js';
import type { HistoryStore } from '../recovery/recovery-types.js';
import { MemoryLifetimeManager } from './memory-lifetime-manager.js';

recoverySuite({
  name: 'MemoryLifetimeManager',
  maxNodes: 1,
  createNodes: async (_count, recovery) => {
    const metrics = createCounterMetrics();
    const manager = new MemoryLifetimeManager({ recovery, metrics, protocols: [jsonHubProtocol, messagePackHubProtocol], hubName: 'TestHub' });
    return [recoveryTestNode(manager, metrics)];
  },
});

describe('MemoryLifetimeManager with recoverable groups', () => {
  test('no engine without recoverable groups; invalid specs are refused when the manager is made', () => {
    assert.equal(new MemoryLifetimeManager().recovery, undefined);
    assert.equal(new MemoryLifetimeManager({ recovery: { groups: [] } }).recovery, undefined);
    assert.throws(
      () => new MemoryLifetimeManager({ recovery: { groups: [{ match: 'g', maxCount: 0 }] } }),
      (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_INVALID_OPTION',
    );
  });

  test('a send to one non-recoverable group never reaches the history store', async () => {
    const touched: string[] = [];
    const inner = new MemoryHistoryStore();
    const store: HistoryStore = {
      append: (group, ...rest) => (touched.push(group), inner.append(group, ...rest)),
      read: (group, ...rest) => (touched.push(group), inner.read(group, ...rest)),
    };
    const manager = new MemoryLifetimeManager({ recovery: { groups: [{ match: 'org:*' }] }, historyStore: store });
    const a = new FakeConnection('a');
    await manager.onConnected(a);
    await manager.addToGroup('a', 'room');
    await manager.addToGroup('a', 'org:1');
    await manager.send({ kind: 'groups', names: ['room'] }, { type: MessageType.Invocation, target: 'plain', arguments: [] });
    await manager.send({ kind: 'groups', names: ['org:1'] }, { type: MessageType.Invocation, target: 'kept', arguments: [] });
    assert.deepEqual(a.targets, ['plain', 'kept']);
    assert.deepEqual(touched, ['org:1']);
    await manager.close();
  });

  test('close() stops the engine and leaves a store it was given open (the caller closes it)', async () => {
    let closed = 0;
    const given = new MemoryHistoryStore();
    const store: HistoryStore = { append: (...args) => given.append(...args), read: (...args) => given.read(...args), close: async () => void closed++ };
    await new MemoryLifetimeManager({ recovery: { groups: [{ match: 'g' }] }, historyStore: store }).close();
    assert.equal(closed, 0);
    const own = new MemoryLifetimeManager({ recovery: { groups: [{ match: 'g' }] } });
    await own.recovery!.publish('g', [{ target: 'm', arguments: [] }]);
    await own.close();
    await assert.rejects(own.recovery!.position('g'), (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_SERVER_CLOSED');
  });
});
