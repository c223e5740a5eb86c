/**
 * Recoverable groups on the Redis backplane, with the official client: two HubServers on one
 * Redis (a unique prefix each test) share one history per group, so offsets are cluster-wide,
 * members on both nodes see the same order, and a client that comes back on the other server
 * recovers what it missed. When Redis loses the history the next position has a new epoch and a
 * returning client gets the snapshot (recovered false).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { createClient } from '@redis/client';
import { jsonHubProtocol, messagePackHubProtocol, redisLifetimeManager, type RecoveryResult } from 'hubwire';
import { e2eScope } from '../support/redis-e2e.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';
import { assertContiguous, FeedHub, publishEach, range, RECOVERY, startFeedClient, untilAtTop } from './recovery-support.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const scope = e2eScope();

async function startNode(prefix: string): Promise<TestServer> {
  const backplane = redisLifetimeManager({ url: REDIS_URL, prefix, maxReconnectDelay: 100 });
  const server = await startTestServer((hw) => hw.mapHub('/hub', FeedHub, { protocols: [jsonHubProtocol, messagePackHubProtocol], recovery: RECOVERY }), {
    lifetimeManager: backplane,
  });
  scope.defer(() => within(server.close(), 5000, 'server close'));
  await within(backplane.ready(), 5000, 'backplane ready');
  return server;
}

/** Two nodes on one Redis under a fresh prefix; the prefix's keys are deleted after the test. */
async function twoNodes(): Promise<{ one: TestServer; two: TestServer; prefix: string }> {
  const prefix = `t-${randomUUID()}`;
  scope.defer(() => deleteKeys(prefix));
  return { one: await startNode(prefix), two: await startNode(prefix), prefix };
}

/** Deletes every key under `prefix` (what a Redis that lost its data, or a flush, leaves). */
async function deleteKeys(prefix: string): Promise<number> {
  const redis = createClient({ url: REDIS_URL, socket: { reconnectStrategy: false, connectTimeout: 1000 } });
  await redis.connect();
  try {
    let deleted = 0;
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) deleted += await redis.del(keys);
    }
    return deleted;
  } finally {
    redis.destroy();
  }
}

describe('recoverable groups on Redis, across two servers', () => {
  it('gives members on both nodes the same cluster-wide offsets, whichever node sends', async () => {
    const { one, two } = await twoNodes();
    const group = 'feed:shared';
    const a = await startFeedClient(scope, one);
    const b = await startFeedClient(scope, two, { messagepack: true });
    await a.invoke('follow', group, null);
    await b.invoke('follow', group, null);
    await Promise.all([publishEach(one.hubwire, group, range(1, 10)), publishEach(two.hubwire, group, range(101, 10))]);
    const top = await untilAtTop(one.hubwire, a, group);
    await untilAtTop(two.hubwire, b, group);
    assert.equal(top.offset, 20);
    assertContiguous(a.positions(), group, top.epoch, 1);
    assert.deepEqual(b.positions(), a.positions());
    assert.deepEqual(b.items(), a.items(), 'one order on both nodes');
    // Each node's own sends keep their order.
    assert.deepEqual(a.items().filter((n) => (n as number) < 100), range(1, 10));
    assert.deepEqual(a.items().filter((n) => (n as number) > 100), range(101, 10));
  });

  it('recovers on the other server what a client missed, then goes on live, with both nodes sending during the recovery', async () => {
    const { one, two } = await twoNodes();
    const group = 'feed:away';
    const first = await startFeedClient(scope, one);
    await first.invoke('follow', group, null);
    await publishEach(one.hubwire, group, range(1, 3));
    const last = await untilAtTop(one.hubwire, first, group);
    await within(first.connection.stop(), 5000, 'first client stop');
    scope.open.delete(first.connection);

    await publishEach(one.hubwire, group, range(4, 7)); // missed: 4..10
    const back = await startFeedClient(scope, two, { messagepack: true });
    const racing = Promise.all([publishEach(one.hubwire, group, range(11, 15)), publishEach(two.hubwire, group, range(26, 15))]);
    const result = await back.invoke<RecoveryResult>('follow', group, { offset: last.offset, epoch: last.epoch });
    await within(racing, 10_000, 'racing sends');
    await untilAtTop(two.hubwire, back, group);

    assert.equal(result.recovered, true);
    assert.ok(result.replayed >= 7, `replayed ${result.replayed}: at least the 7 missed`);
    assertContiguous(back.positions(), group, last.epoch, last.offset + 1);
    assert.deepEqual(back.items().slice(0, 7), range(4, 7));
    assert.deepEqual([...back.items()].sort((x, y) => (x as number) - (y as number)), range(4, 37), 'every message once');
  });

  it('sends the snapshot first on the other server when the gap is beyond the window', async () => {
    const { one, two } = await twoNodes();
    const group = 'small:away';
    const first = await startFeedClient(scope, one);
    await first.invoke('follow', group, null);
    await publishEach(one.hubwire, group, [1]);
    const last = await untilAtTop(one.hubwire, first, group);
    await within(first.connection.stop(), 5000, 'first client stop');
    scope.open.delete(first.connection);

    await publishEach(one.hubwire, group, range(2, 10)); // the history keeps the last 5
    const back = await startFeedClient(scope, two);
    const racing = publishEach(one.hubwire, group, range(12, 10));
    const result = await back.invoke<RecoveryResult>('follow', group, { offset: last.offset, epoch: last.epoch });
    await within(racing, 10_000, 'racing sends');
    await publishEach(two.hubwire, group, [22]);
    await untilAtTop(two.hubwire, back, group);

    assert.equal(result.recovered, false);
    assert.deepEqual(back.log[0], { kind: 'snapshot', state: { group, offset: result.position.offset } });
    assertContiguous(back.positions(), group, last.epoch, result.position.offset + 1);
    assert.deepEqual(back.items(), range(result.position.offset + 1, 22 - result.position.offset));
  });

  it('starts a new epoch when Redis lost the history: a returning client is not recovered and gets the snapshot', async () => {
    const { one, two, prefix } = await twoNodes();
    const group = 'feed:lost';
    const first = await startFeedClient(scope, one);
    await first.invoke('follow', group, null);
    await publishEach(one.hubwire, group, range(1, 3));
    const last = await untilAtTop(one.hubwire, first, group);
    await within(first.connection.stop(), 5000, 'first client stop');
    scope.open.delete(first.connection);

    assert.ok((await deleteKeys(prefix)) > 0, 'the history was in Redis under the prefix');
    await publishEach(one.hubwire, group, ['after the loss']);
    const now = await one.hubwire.hubContext(FeedHub).groups.position(group);
    assert.notEqual(now.epoch, last.epoch, 'a new epoch');
    assert.equal(now.offset, 1);

    const back = await startFeedClient(scope, two);
    const result = await back.invoke<RecoveryResult>('follow', group, { offset: last.offset, epoch: last.epoch });
    assert.deepEqual(result, { recovered: false, position: now, replayed: 0 });
    await publishEach(two.hubwire, group, ['live']);
    await untilAtTop(two.hubwire, back, group);
    assert.deepEqual(back.log.map((entry) => entry.kind), ['snapshot', 'news']);
    assert.deepEqual(back.items(), ['live']);
    assertContiguous(back.positions(), group, now.epoch, 2);
  });
});
