/**
 * The Redis history store against a real Redis (the shared one, names of each test's own; a
 * private redis-server where a test flushes scripts) and against a Redis Cluster of this file's
 * own (three shards, sharded pub/sub, started once): offsets, explicit offsets, trimming by
 * count and age (with a clock of the test's), TTLs, the published entries, NOSCRIPT, slots.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { OwnRedisCluster } from '../../../../../test/support/redis-cluster.js';
import { cleanupsAfterEach, untilAsync, type Defer } from '../../../../../test/support/redis-manager.js';
import { OwnRedisServer } from '../../../../../test/support/redis-server.js';
import { within } from '../../../../../test/support/wait.js';
import { HubwireError } from '../../core/errors.js';
import { openConnections, type BackplaneConnections } from '../redis/redis-clients.js';
import { slotOf } from '../redis/redis-cluster-clients.js';
import { decodePublishedEntry, historyKeys, RedisHistoryStore, type RedisHistoryStoreOptions } from './redis-history-store.js';
import type { HistoryLimits } from './recovery-types.js';

const sharedUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const limits: HistoryLimits = { maxCount: 1000, maxAge: 300_000, metaTtl: 86_400_000 };
const defer = cleanupsAfterEach();
const quiet = { onError: () => undefined, onReady: () => undefined, onSubscriberReady: () => undefined };

/** Where one run of the cases goes: connections to open, and how to flush scripts. */
interface Target {
  readonly sharded: boolean;
  open(defer: Defer, own?: boolean): Promise<BackplaneConnections & { flushScripts(): Promise<void> }>;
}

function single(): Target {
  return {
    sharded: false,
    async open(defer, own = false) {
      let url = sharedUrl;
      if (own) {
        const server = await OwnRedisServer.start();
        defer(() => server.stop());
        url = server.url;
      }
      const redis = openConnections({ url, maxReconnectDelay: 100 }, quiet);
      defer(() => redis.close());
      await redis.ready();
      return Object.assign(redis, { flushScripts: async () => void (await redis.command(['SCRIPT', 'FLUSH'])) });
    },
  };
}

let cluster: OwnRedisCluster | undefined;
function onCluster(): Target {
  return {
    sharded: true,
    async open(defer) {
      const redis = openConnections({ cluster: { rootNodes: cluster!.rootNodes }, maxReconnectDelay: 100 }, quiet);
      defer(() => redis.close());
      await redis.ready();
      return Object.assign(redis, {
        flushScripts: async () => void (await Promise.all(cluster!.shards.map((_, i) => cluster!.command(i, 'SCRIPT', 'FLUSH')))),
      });
    },
  };
}

function storeCases(name: string, target: () => Target) {
  describe(name, () => {
    const prefix = () => `t-${randomUUID()}`;
    const store = (redis: BackplaneConnections, options: Partial<RedisHistoryStoreOptions> = {}) =>
      new RedisHistoryStore({ redis, prefix: options.prefix ?? prefix(), hubName: 'TestHub', sharded: target().sharded, ...options });
    const keysDeleted = (redis: BackplaneConnections, p: string, group: string) => {
      const keys = historyKeys(p, 'TestHub', group);
      defer(() => redis.command(['DEL', keys.meta, keys.stream]));
      return keys;
    };

    test('concurrent appends from two clients take offsets 1..n once each; a read gives them back in order', async () => {
      const p = prefix();
      const [r1, r2] = [await target().open(defer), await target().open(defer)];
      keysDeleted(r1, p, 'g');
      const [s1, s2] = [store(r1, { prefix: p }), store(r2, { prefix: p })];
      const appends = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? s1 : s2).append('g', Buffer.from(`m${i}`), limits));
      const results = await Promise.all(appends);
      assert.deepEqual(
        results.map((result) => result.position.offset).sort((a, b) => a - b),
        Array.from({ length: 60 }, (_, i) => i + 1),
      );
      assert.equal(new Set(results.map((result) => result.position.epoch)).size, 1, 'one epoch');
      assert.ok(results.every((result) => result.kind === 'appended'));
      const read = await s1.read('g', 0, 100, limits);
      assert.deepEqual([read.top, read.floor, read.epoch], [60, 1, results[0]!.position.epoch]);
      const byOffset = new Map(results.map((result, i) => [result.position.offset, `m${i}`]));
      assert.deepEqual(
        read.entries.map((entry) => [entry.offset, entry.payload.toString()]),
        [...byOffset].sort(([a], [b]) => a - b),
      );
    });

    test('a group never appended to: offset 0, floor 1 and an epoch that stays', async () => {
      const p = prefix();
      const redis = await target().open(defer);
      keysDeleted(redis, p, 'g');
      const s = store(redis, { prefix: p });
      const first = await s.read('g', 0, 10, limits);
      assert.deepEqual({ ...first, epoch: undefined }, { epoch: undefined, top: 0, floor: 1, entries: [] });
      assert.match(first.epoch, /^[0-9a-f]{16}$/);
      assert.equal((await s.read('g', 0, 10, limits)).epoch, first.epoch);
      assert.equal((await s.append('g', Buffer.from('x'), limits)).position.epoch, first.epoch, 'the first append keeps the epoch a read made');
    });

    test('read after an offset, with a limit; binary payloads come back as they went in', async () => {
      const p = prefix();
      const redis = await target().open(defer);
      keysDeleted(redis, p, 'g');
      const s = store(redis, { prefix: p });
      const binary = Buffer.from([0xff, 0x00, 0x0a, 0x0d, 0x80, 0x7b]);
      for (let i = 1; i <= 5; i++) await s.append('g', Buffer.concat([binary, Buffer.from([i])]), limits);
      const read = await s.read('g', 2, 2, limits);
      assert.deepEqual(
        read.entries.map((entry) => entry.offset),
        [3, 4],
      );
      assert.deepEqual(read.entries[0]!.payload, Buffer.concat([binary, Buffer.from([3])]));
      assert.deepEqual([read.top, read.floor], [5, 1]);
      assert.deepEqual((await s.read('g', 5, 10, limits)).entries, [], 'nothing after the top');
      assert.deepEqual((await s.read('g', 0, 0, limits)).entries, [], 'limit 0 reads no entry');
    });

    test('explicit offsets: a duplicate is refused, a jump leaves a hole below it', async () => {
      const p = prefix();
      const redis = await target().open(defer);
      keysDeleted(redis, p, 'g');
      const s = store(redis, { prefix: p });
      const first = await s.append('g', Buffer.from('a'), limits, 5);
      assert.deepEqual(first, { kind: 'appended', position: { offset: 5, epoch: first.position.epoch } });
      assert.deepEqual((await s.read('g', 0, 10, limits)).floor, 5, 'a first entry at 5 holds nothing below it');
      assert.deepEqual(await s.append('g', Buffer.from('again'), limits, 5), { kind: 'duplicate', position: first.position });
      assert.deepEqual(await s.append('g', Buffer.from('older'), limits, 3), { kind: 'duplicate', position: first.position });
      assert.equal((await s.append('g', Buffer.from('b'), limits)).position.offset, 6, 'without an offset: top + 1');
      assert.equal((await s.append('g', Buffer.from('c'), limits, 7)).position.offset, 7, 'top + 1 given explicitly');
      assert.equal((await s.append('g', Buffer.from('d'), limits, 10)).position.offset, 10);
      const read = await s.read('g', 0, 10, limits);
      assert.deepEqual([read.top, read.floor], [10, 10]);
      assert.deepEqual(
        read.entries.map((entry) => [entry.offset, entry.payload.toString()]),
        [[10, 'd']],
      );
      assert.deepEqual((await s.read('g', 0, 10, limits)).entries.length, 1, 'a duplicate stored nothing');
      await assert.rejects(s.append('g', Buffer.from('x'), limits, 0), (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_INVALID_OPTION');
      await assert.rejects(s.append('g', Buffer.from('x'), limits, 1.5), (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_INVALID_OPTION');
    });

    test('trimming by count keeps the last maxCount entries; the floor follows', async () => {
      const p = prefix();
      const redis = await target().open(defer);
      const keys = keysDeleted(redis, p, 'g');
      const s = store(redis, { prefix: p });
      const small = { ...limits, maxCount: 3 };
      for (let i = 1; i <= 7; i++) await s.append('g', Buffer.from(`m${i}`), small);
      const read = await s.read('g', 0, 10, small);
      assert.deepEqual([read.top, read.floor], [7, 5]);
      assert.deepEqual(
        read.entries.map((entry) => entry.payload.toString()),
        ['m5', 'm6', 'm7'],
      );
      assert.equal(await redis.command(['XLEN', keys.stream]), 3, 'the stream itself is trimmed');
    });

    test('trimming by age, on the clock given: entries older than maxAge go on append and on read', async () => {
      const p = prefix();
      const redis = await target().open(defer);
      const keys = keysDeleted(redis, p, 'g');
      let now = 1_000_000;
      const s = store(redis, { prefix: p, now: () => now });
      const aged = { ...limits, maxAge: 1000 };
      await s.append('g', Buffer.from('a'), aged); // t = 1 000 000
      now += 600;
      await s.append('g', Buffer.from('b'), aged); // t = 1 000 600
      now += 600; // a is 1200 ms old, b 600
      let read = await s.read('g', 0, 10, aged);
      assert.deepEqual([read.top, read.floor, read.entries.map((entry) => entry.offset)], [2, 2, [2]]);
      now += 1000; // b too
      read = await s.read('g', 0, 10, aged);
      assert.deepEqual([read.top, read.floor, read.entries], [2, 3, []], 'floor top + 1: nothing held');
      assert.equal(await redis.command(['EXISTS', keys.stream]), 0, 'the read trimmed them from Redis');
      const c = await s.append('g', Buffer.from('c'), aged);
      assert.equal(c.position.offset, 3, 'offsets go on after the history emptied');
      assert.deepEqual((await s.read('g', 0, 10, aged)).floor, 3);

      // A clock that goes back never stamps an entry below the one before it.
      now -= 5000;
      await s.append('g', Buffer.from('d'), aged);
      const times = ((await redis.command(['XRANGE', keys.stream, '-', '+'])) as [string, string[]][]).map(([, fields]) => Number(fields[1]));
      assert.deepEqual(times, [now + 5000, now + 5000]);
    });

    test('trimming by age is bounded per call: a long expired run goes over a few calls, whole from the floor up', async () => {
      const p = prefix();
      const redis = await target().open(defer);
      keysDeleted(redis, p, 'g');
      let now = 1_000_000;
      const s = store(redis, { prefix: p, now: () => now });
      const aged = { ...limits, maxAge: 1000 };
      const old = 600;
      await Promise.all(Array.from({ length: old }, () => s.append('g', Buffer.from('old'), aged)));
      now += 5000;
      await s.append('g', Buffer.from('new'), aged); // trims 8 × 64 = 512 of them
      let read = await s.read('g', 0, 1000, aged); // and this one the rest
      assert.deepEqual([read.top, read.floor, read.entries.map((entry) => entry.offset)], [old + 1, old + 1, [old + 1]]);

      // The same run met by a read first: the first read stops part of the way, the floor
      // says where, and everything from there up is still held.
      const q = prefix();
      keysDeleted(redis, q, 'g');
      const t = store(redis, { prefix: q, now: () => now });
      await Promise.all(Array.from({ length: old }, () => t.append('g', Buffer.from('old'), aged)));
      now += 5000;
      read = await t.read('g', 0, 1000, aged);
      assert.deepEqual([read.top, read.floor, read.entries.length], [old, 513, old - 512]);
      read = await t.read('g', 0, 1000, aged);
      assert.deepEqual([read.top, read.floor, read.entries.length], [old, old + 1, 0]);
    });

    test('TTLs: the meta lives metaTtl after the last append, the stream maxAge; a history whose meta expired starts a new epoch', async () => {
      const p = prefix();
      const redis = await target().open(defer);
      const keys = keysDeleted(redis, p, 'g');
      const s = store(redis, { prefix: p });
      const short = { maxCount: 10, maxAge: 60_000, metaTtl: 120_000 };
      const first = await s.append('g', Buffer.from('a'), short);
      const [metaTtl, streamTtl] = [Number(await redis.command(['PTTL', keys.meta])), Number(await redis.command(['PTTL', keys.stream]))];
      assert.ok(metaTtl > 110_000 && metaTtl <= 120_000, `meta PTTL ${metaTtl}`);
      assert.ok(streamTtl > 50_000 && streamTtl <= 60_000, `stream PTTL ${streamTtl}`);

      // The meta expires (a tiny metaTtl; the stream outlives it here): a new epoch, and the old
      // stream does not leak into it.
      await s.append('g', Buffer.from('b'), { ...short, metaTtl: 30 });
      await untilAsync(async () => Number(await redis.command(['EXISTS', keys.meta])) === 0, 5000, 'the meta to expire');
      assert.equal(Number(await redis.command(['EXISTS', keys.stream])), 1);
      const next = await s.append('g', Buffer.from('c'), short);
      assert.notEqual(next.position.epoch, first.position.epoch);
      assert.equal(next.position.offset, 1);
      const read = await s.read('g', 0, 10, short);
      assert.deepEqual(
        read.entries.map((entry) => entry.payload.toString()),
        ['c'],
      );
    });

    test(`every append is published on the group's channel as epoch\\noffset\\npayload (${target().sharded ? 'SPUBLISH' : 'PUBLISH'}); a duplicate is not`, async () => {
      const p = prefix();
      const [publisher, listener] = [await target().open(defer), await target().open(defer)];
      keysDeleted(publisher, p, 'g');
      const s = store(publisher, { prefix: p });
      const heard: Buffer[] = [];
      let arrived: () => void = () => undefined;
      const onMessage = (message: Buffer) => {
        heard.push(message);
        arrived();
      };
      await listener.subscribe(s.channel('g'), onMessage);
      defer(() => listener.unsubscribe(s.channel('g'), onMessage));
      const payload = Buffer.from([1, 0x0a, 2, 0xff]);
      const first = await s.append('g', payload, limits);
      await s.append('g', payload, limits, 1);
      const second = await s.append('g', Buffer.from('two'), limits);
      await within(
        new Promise<void>((resolve) => {
          arrived = () => heard.length >= 2 && resolve();
          arrived();
        }),
        5000,
        'two published entries',
      );
      assert.deepEqual(decodePublishedEntry(heard[0]!), { epoch: first.position.epoch, entry: { offset: 1, payload } });
      assert.deepEqual(decodePublishedEntry(heard[1]!), { epoch: second.position.epoch, entry: { offset: 2, payload: Buffer.from('two') } });
      assert.equal(heard.length, 2, 'the duplicate was not published');
    });

    test('NOSCRIPT after SCRIPT FLUSH: the script is loaded again and the append happens once', async () => {
      const p = prefix();
      const redis = await target().open(defer, true);
      keysDeleted(redis, p, 'g');
      const s = store(redis, { prefix: p });
      await s.append('g', Buffer.from('a'), limits);
      await redis.flushScripts();
      assert.equal((await s.append('g', Buffer.from('b'), limits)).position.offset, 2);
      await redis.flushScripts();
      const read = await s.read('g', 0, 10, limits);
      assert.deepEqual(
        read.entries.map((entry) => entry.payload.toString()),
        ['a', 'b'],
      );
    });

    test('an unreachable Redis rejects with HUB_ERR_BACKPLANE', async () => {
      const failing = { command: () => Promise.reject(new Error('connection closed')) };
      const s = new RedisHistoryStore({ redis: failing, prefix: prefix(), hubName: 'TestHub' });
      for (const call of [s.append('g', Buffer.from('a'), limits), s.read('g', 0, 1, limits)]) {
        await assert.rejects(call, (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_BACKPLANE' && /connection closed/.test(error.message));
      }
    });
  });
}

test('decodePublishedEntry refuses what is not an entry', () => {
  for (const text of ['', 'epoch', 'epoch\n1', '\n1\nx', 'e\nx\np', 'e\n0\np', 'e\n-1\np']) {
    assert.throws(() => decodePublishedEntry(Buffer.from(text)), /not a history entry/, JSON.stringify(text));
  }
  assert.deepEqual(decodePublishedEntry(Buffer.from('e\n12\n')), { epoch: 'e', entry: { offset: 12, payload: Buffer.alloc(0) } });
});

test("one group's keys and channel hash to one slot whatever the group's name, and no two groups share a key", () => {
  const names = ['org:1', 'org:{1}', '}', '{', 'a}:m', 'a', '', 'x}y{z}'];
  const all = new Set<string>();
  for (const name of names) {
    const keys = historyKeys('app', 'Hub', name);
    assert.equal(new Set([keys.meta, keys.stream, keys.channel].map(slotOf)).size, 1, JSON.stringify(name));
    for (const key of [keys.meta, keys.stream, keys.channel]) all.add(key);
  }
  assert.equal(all.size, names.length * 3);
  assert.equal(historyKeys('app', 'Hub', 'org:1').channel, 'app:{Hub:org:1}:p');
});

storeCases('RedisHistoryStore on one Redis', single);

describe('on a Redis Cluster', () => {
  before(async () => {
    cluster = await OwnRedisCluster.start();
  });
  after(async () => {
    await cluster?.stop();
  });

  storeCases('RedisHistoryStore on a Redis Cluster (sharded pub/sub)', onCluster);

  test('the keys and the channel of a group are in one slot, and groups spread over the shards', async () => {
    const redis = await onCluster().open(defer);
    const p = `t-${randomUUID()}`;
    const s = new RedisHistoryStore({ redis, prefix: p, hubName: 'TestHub', sharded: true });
    const shards = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const keys = historyKeys(p, 'TestHub', `g${i}`);
      defer(() => redis.command(['DEL', keys.meta, keys.stream]));
      const slots = await Promise.all([keys.meta, keys.stream, keys.channel].map((key) => cluster!.command(0, 'CLUSTER', 'KEYSLOT', key)));
      assert.equal(new Set(slots).size, 1, `one slot for g${i}`);
      shards.add(await cluster!.shardOf(keys.meta));
      assert.equal((await s.append(`g${i}`, Buffer.from('x'), limits)).position.offset, 1);
    }
    assert.ok(shards.size > 1, 'the groups are not all on one shard');
  });
});
