/**
 * MemoryLifetimeManager's group change listener: one call per effective change of the local
 * index, none at disconnect, a throwing listener never failing the change. The Redis nodes'
 * side: redis/redis-group-changes.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeConnection } from './conformance/fake-connection.js';
import type { LocalGroupChange } from './hub-lifetime-manager.js';
import { MemoryLifetimeManager } from './memory/memory-lifetime-manager.js';

/** A listener that records `<connection>:<change>:<group>`. */
function recorder(): { seen: string[]; listen: (change: LocalGroupChange) => void } {
  const seen: string[] = [];
  return { seen, listen: ({ connection, change, group }) => void seen.push(`${connection.connectionId}:${change}:${group}`) };
}

describe('MemoryLifetimeManager onGroupChange', () => {
  test('joined once when not yet a member, left once when a member; nothing for repeats or unknown connections', async () => {
    const { seen, listen } = recorder();
    const manager = new MemoryLifetimeManager({ onGroupChange: listen });
    const a = new FakeConnection('a', 'ann');
    await manager.onConnected(a);
    await manager.addToGroup('a', 'g');
    await manager.addToGroup('a', 'g');
    await manager.addToGroup('a', 'h');
    await manager.addToGroup('ghost', 'g');
    await manager.removeFromGroup('a', 'g');
    await manager.removeFromGroup('a', 'g');
    await manager.removeFromGroup('a', 'never');
    assert.deepEqual(seen, ['a:joined:g', 'a:joined:h', 'a:left:g']);
  });

  test('the change carries the connection itself (its user), and the index has changed when it is told', async () => {
    const changes: { user: string | undefined; member: boolean }[] = [];
    const manager: MemoryLifetimeManager = new MemoryLifetimeManager({
      onGroupChange: ({ connection, group }) => void changes.push({ user: connection.userIdentifier, member: manager.groupsOf(connection.connectionId).includes(group) }),
    });
    await manager.onConnected(new FakeConnection('a', 'ann'));
    await manager.addToGroup('a', 'g');
    await manager.removeFromGroup('a', 'g');
    assert.deepEqual(changes, [{ user: 'ann', member: true }, { user: 'ann', member: false }]);
  });

  test('the removal from every group at disconnect is not reported', async () => {
    const { seen, listen } = recorder();
    const manager = new MemoryLifetimeManager({ onGroupChange: listen });
    const a = new FakeConnection('a');
    await manager.onConnected(a);
    await manager.addToGroup('a', 'g');
    await manager.onDisconnected(a);
    assert.deepEqual(seen, ['a:joined:g']);
    assert.equal(manager.hasGroup('g'), false);
  });

  test('a throwing listener is logged; the change happens and the caller sees no error', async () => {
    const logged: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (_fields: object, text: string) => void logged.push(text) };
    const manager = new MemoryLifetimeManager({ logger, onGroupChange: () => { throw new Error('webhook queue full'); } });
    await manager.onConnected(new FakeConnection('a'));
    await manager.addToGroup('a', 'g');
    assert.equal(manager.hasGroup('g'), true);
    await manager.removeFromGroup('a', 'g');
    assert.equal(manager.hasGroup('g'), false);
    assert.deepEqual(logged, ['group change listener threw', 'group change listener threw']);
  });

  test('a recoverable group join (recover) is reported like any join', async () => {
    const { seen, listen } = recorder();
    const manager = new MemoryLifetimeManager({ onGroupChange: listen, recovery: { groups: [{ match: 'feed:*', maxCount: 10 }] } });
    try {
      await manager.onConnected(new FakeConnection('a'));
      await manager.recovery!.recover('a', 'feed:1', {});
      await manager.removeFromGroup('a', 'feed:1');
      assert.deepEqual(seen, ['a:joined:feed:1', 'a:left:feed:1']);
    } finally {
      await manager.close();
    }
  });
});
