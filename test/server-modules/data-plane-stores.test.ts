/**
 * The data plane's two stores, each in its memory and its Redis variant against the same
 * expectations: user-group memberships (ttl, the latest 100 untimed groups, remove, remove all)
 * and idempotency keys (claim, replay, conflict, release, expiry).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { openCluster, type ClusterContext } from '../../apps/server/src/cluster/cluster-context.js';
import { MemoryIdempotencyStore, RedisIdempotencyStore, type IdempotencyStore } from '../../apps/server/src/modules/data-plane/idempotency.js';
import { RedisUserGroupStore } from '../../apps/server/src/modules/data-plane/redis-user-groups.js';
import { MAX_UNTIMED_GROUPS, MemoryUserGroupStore, type UserGroupStore } from '../../apps/server/src/modules/data-plane/user-groups.js';
import { deleteKeys, REDIS_URL, testPrefix } from './data-plane-harness.js';
import { within } from '../support/wait.js';

const prefix = testPrefix();
let cluster: ClusterContext & { close(): Promise<void> };
// Real time to start with: Redis expires keys at the store's expiry times on its own clock.
let now = Date.now();
const clock = () => now;

before(async () => {
  cluster = openCluster({ url: REDIS_URL, prefix, logger: pino({ level: 'silent' }) });
  await within(new Promise<void>((resolve) => (cluster.redis.isReady ? resolve() : cluster.redis.once('ready', () => resolve()))), 5000, 'Redis ready');
});
after(async () => {
  await cluster.close();
  await deleteKeys(prefix);
});

const userGroupStores: [string, () => UserGroupStore][] = [
  ['memory', () => new MemoryUserGroupStore(clock)],
  ['Redis', () => new RedisUserGroupStore(cluster, clock)],
];

for (const [name, make] of userGroupStores) {
  describe(`user-group store (${name})`, () => {
    test('memberships last their ttl; untimed ones a year; remove and remove all answer what they removed', async () => {
      const store = make();
      const [hub, user] = ['/hubs/Chat', `u-${name}-${now}`];
      await store.add(hub, user, 'short', 10);
      await store.add(hub, user, 'long', undefined);
      await store.add('/hubs/other', user, 'elsewhere', undefined);
      assert.deepEqual(await store.groups('/hubs/chat', user), ['long', 'short'], 'the hub path is case-insensitive');
      now += 10_001;
      assert.deepEqual(await store.groups(hub, user), ['long']);
      assert.equal(await store.has(hub, user, 'short'), false);
      await store.add(hub, user, 'long', 5); // a ttl replaces the untimed membership
      now += 5_001;
      assert.equal(await store.has(hub, user, 'long'), false);
      await store.add(hub, user, 'a', undefined);
      await store.add(hub, user, 'b', 60);
      assert.equal(await store.remove(hub, user, 'a'), true);
      assert.equal(await store.remove(hub, user, 'a'), false);
      assert.deepEqual(await store.removeAll(hub, user), ['b']);
      assert.deepEqual(await store.groups(hub, user), []);
      assert.deepEqual(await store.groups('/hubs/other', user), ['elsewhere']);
      now += 366 * 24 * 3600 * 1000;
      assert.deepEqual(await store.groups('/hubs/other', user), [], 'an untimed membership ends after a year');
    });

    test(`only the ${MAX_UNTIMED_GROUPS} latest untimed groups of a user are kept; timed ones do not count`, async () => {
      const store = make();
      const [hub, user] = ['/hubs/chat', `many-${name}-${now}`];
      await store.add(hub, user, 'timed', 3600);
      for (let index = 0; index <= MAX_UNTIMED_GROUPS; index++) {
        now += 1;
        await store.add(hub, user, `g${index}`, undefined);
      }
      const groups = await store.groups(hub, user);
      assert.equal(groups.length, MAX_UNTIMED_GROUPS + 1);
      assert.ok(!groups.includes('g0') && groups.includes('g1') && groups.includes(`g${MAX_UNTIMED_GROUPS}`) && groups.includes('timed'));
      now += 1;
      await store.add(hub, user, 'g1', undefined); // updated: now the latest, g2 is the oldest
      now += 1;
      await store.add(hub, user, 'extra', undefined);
      const after = await store.groups(hub, user);
      assert.ok(after.includes('g1') && !after.includes('g2') && after.includes('extra'));
    });
  });
}

const idempotencyStores: [string, () => IdempotencyStore][] = [
  ['memory', () => new MemoryIdempotencyStore(clock, 1000)],
  ['Redis', () => new RedisIdempotencyStore(cluster, 300)],
];

for (const [name, make] of idempotencyStores) {
  describe(`idempotency store (${name})`, () => {
    test('a key is new once, then a replay for the same fingerprint and a conflict for another; release frees it; it expires', async () => {
      const store = make();
      const key = `/hubs/chat\nk-${name}-${now}`;
      assert.equal(await store.claim(key, 'f1'), 'new');
      assert.equal(await store.claim(key, 'f1'), 'replay');
      assert.equal(await store.claim(key, 'f2'), 'conflict');
      await store.release(key, 'f2'); // not its fingerprint: kept
      assert.equal(await store.claim(key, 'f1'), 'replay');
      await store.release(key, 'f1');
      assert.equal(await store.claim(key, 'f2'), 'new');
      // Expiry: the memory store on its clock, Redis on its own (a 300 ms TTL).
      if (name === 'memory') now += 1001;
      else await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(await store.claim(key, 'f3'), 'new');
    });
  });
}
