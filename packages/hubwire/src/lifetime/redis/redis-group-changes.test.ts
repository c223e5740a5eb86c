/**
 * RedisLifetimeManager's group change listener over two nodes: a change asked on node B for a
 * connection on node A is applied through A's local index, so A reports it once and B never does
 * (both layouts).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, describe, test } from 'node:test';
import { createClient } from '@redis/client';
import { FakeConnection } from '../conformance/fake-connection.js';
import type { LocalGroupChange } from '../hub-lifetime-manager.js';
import { jsonHubProtocol } from '../../protocol/json/json-hub-protocol.js';
import { RedisLifetimeManager, type RedisLifetimeManagerOptions } from './redis-lifetime-manager.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function recorder(): { seen: string[]; listen: (change: LocalGroupChange) => void } {
  const seen: string[] = [];
  return { seen, listen: ({ connection, change, group }) => void seen.push(`${connection.connectionId}:${change}:${group}`) };
}

describe('RedisLifetimeManager onGroupChange: two nodes', () => {
  const managers: RedisLifetimeManager[] = [];
  const prefixes: string[] = [];
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((manager) => manager.close()));
  });
  after(async () => {
    // Presence is off, so nothing should be left; sweep the prefixes anyway.
    const client = createClient({ url });
    await client.connect();
    for (const prefix of prefixes) {
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) if (keys.length > 0) await client.del(keys);
    }
    client.destroy();
  });

  const node = (options: RedisLifetimeManagerOptions, listen: (change: LocalGroupChange) => void) => {
    const manager = new RedisLifetimeManager({ ...options, hubName: 'GroupsHub', protocols: [jsonHubProtocol], onGroupChange: listen });
    managers.push(manager);
    return manager;
  };

  for (const layout of ['hubwire', 'aspnet'] as const) {
    test(`${layout} layout: a change asked on node B for a connection on node A is reported once, on A`, async () => {
      const prefix = `t-groups-${randomUUID()}`;
      prefixes.push(prefix);
      const [onA, onB] = [recorder(), recorder()];
      const options: RedisLifetimeManagerOptions = { url, prefix, layout, presence: false, ...(layout === 'aspnet' ? { channelPrefix: () => prefix } : {}) };
      const a = node(options, onA.listen);
      const b = node(options, onB.listen);
      await Promise.all([a.ready(), b.ready()]);
      await a.onConnected(new FakeConnection('on-a', 'ann'));
      // B resolves once A has acknowledged, so A has applied (and reported) the change by then.
      await b.addToGroup('on-a', 'room');
      await b.addToGroup('on-a', 'room');
      await a.addToGroup('on-a', 'room');
      await b.removeFromGroup('on-a', 'room');
      await b.removeFromGroup('on-a', 'room');
      assert.deepEqual(onA.seen, ['on-a:joined:room', 'on-a:left:room']);
      assert.deepEqual(onB.seen, []);
    });
  }
});
