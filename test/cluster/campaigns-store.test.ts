/**
 * The campaign stores' contract, against the memory store and the Redis store (the real Redis on
 * 127.0.0.1:6379, a random prefix per test): commits only from the sequence they were computed
 * on, limits, kept messages; and what only Redis has: claims that fence a node out, expire, are
 * released and taken over, limits shared by every node, campaigns that expire.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { openCluster, type ClusterContext } from '../../apps/server/src/cluster/cluster-context.js';
import { MemoryCampaignStore } from '../../apps/server/src/modules/campaigns/memory-store.js';
import { RedisCampaignStore } from '../../apps/server/src/modules/campaigns/redis-store.js';
import { cancelCampaign, createCampaign, nextStep, sequenceOf, type Change } from '../../apps/server/src/modules/campaigns/run.js';
import { CampaignStoreUnavailable, type CampaignStore, type RunClaim } from '../../apps/server/src/modules/campaigns/store.js';
import { within } from '../support/wait.js';
import { dropPrefix } from './campaigns-support.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const silent = pino({ level: 'silent' });
const opened: (ClusterContext & { close(): Promise<void> })[] = [];

after(async () => {
  for (const cluster of opened) await cluster.close();
  for (const prefix of new Set(opened.map((cluster) => cluster.prefix))) await dropPrefix(REDIS_URL, prefix);
});

/** A node's connection to the shared Redis under `prefix`. */
async function node(prefix: string, url = REDIS_URL): Promise<ClusterContext> {
  const cluster = openCluster({ url, prefix, logger: silent });
  opened.push(cluster);
  if (url === REDIS_URL) await within(new Promise<void>((resolve) => (cluster.redis.isReady ? resolve() : cluster.redis.once('ready', () => resolve()))), 5000, 'Redis ready');
  return cluster;
}

let ids = 0;
function created(now = 1_700_000_000_000): Change {
  ids += 1;
  return createCampaign(`c${ids}-${randomUUID().slice(0, 8)}`, { name: `Campaign ${ids}`, artifactCount: 2, createdBy: 'jane.smith' }, now);
}

async function createOrFail(store: CampaignStore, change: Change, maxActiveRuns = 100): Promise<RunClaim> {
  const outcome = await store.create(change, maxActiveRuns);
  assert.equal(outcome.kind, 'created');
  return (outcome as { claim: RunClaim }).claim;
}

/** Runs the campaign's steps to its end through `store`. */
async function runToEnd(store: CampaignStore, id: string, claim: RunClaim): Promise<void> {
  for (;;) {
    const stored = (await store.load(id))!;
    const change = nextStep(stored.record, Date.now());
    if (change === undefined) return;
    assert.equal(await store.commit(id, stored.record.sequence, change, claim), 'ok');
  }
}

const stores: [string, () => Promise<CampaignStore>, (maxCampaigns: number) => Promise<CampaignStore>][] = [
  ['memory', async () => new MemoryCampaignStore(), async (maxCampaigns) => new MemoryCampaignStore(maxCampaigns)],
  [
    'redis',
    async () => new RedisCampaignStore({ cluster: await node(`hubwire-test-${randomUUID()}`) }),
    async (maxCampaigns) => new RedisCampaignStore({ cluster: await node(`hubwire-test-${randomUUID()}`), maxCampaigns }),
  ],
];

for (const [name, open, openWithMax] of stores) {
  describe(`campaign store contract: ${name}`, () => {
    test('a created campaign is loaded, listed newest first and counted as running', async () => {
      const store = await open();
      const first = created();
      const second = created();
      await createOrFail(store, first);
      await createOrFail(store, second);
      const stored = await store.load(first.record.id);
      assert.deepEqual(stored, { record: first.record, publishedThrough: 0 });
      assert.deepEqual(
        (await store.list()).map((record) => record.id),
        [second.record.id, first.record.id],
      );
      assert.equal(await store.activeRuns(), 2);
      assert.equal(await store.load('no-such-campaign'), undefined);
    });

    test('a commit computed from an older sequence is a conflict and changes nothing', async () => {
      const store = await open();
      const change = created();
      const id = change.record.id;
      const claim = await createOrFail(store, change);
      const step = nextStep(change.record, Date.now())!;
      assert.equal(await store.commit(id, 1, step, claim), 'ok');
      const stale = nextStep(change.record, Date.now())!;
      assert.equal(await store.commit(id, 1, stale, claim), 'conflict');
      assert.equal((await store.load(id))!.record.sequence, 2);
      assert.equal(await store.commit('no-such-campaign', 0, stale, undefined), 'gone');
    });

    test('a final record ends the run; the limit of running campaigns refuses more', async () => {
      const store = await open();
      const a = created();
      const claim = await createOrFail(store, a, 2);
      await createOrFail(store, created(), 2);
      assert.deepEqual(await store.create(created(), 2), { kind: 'too-many' });
      const cancel = cancelCampaign(a.record, { requestedBy: 'admin', reason: null }, Date.now())!;
      assert.equal(await store.commit(a.record.id, 1, cancel.change, undefined), 'ok');
      assert.equal(await store.activeRuns(), 1);
      assert.equal(await store.commit(a.record.id, cancel.change.record.sequence, nextStep(a.record, Date.now())!, claim), 'conflict', 'the ended run takes no step');
      await createOrFail(store, created(), 2);
    });

    test('the messages after a sequence come back in order; the publish mark never moves back', async () => {
      const store = await open();
      const change = created();
      const id = change.record.id;
      const claim = await createOrFail(store, change);
      await runToEnd(store, id, claim);
      const last = (await store.load(id))!.record.sequence;
      const after5 = await store.messagesAfter(id, 5);
      assert.deepEqual(
        after5.map(sequenceOf),
        Array.from({ length: last - 5 }, (_, index) => 6 + index),
      );
      await store.markPublished(id, 7);
      await store.markPublished(id, 3);
      assert.equal((await store.load(id))!.publishedThrough, 7);
    });

    test('beyond maxCampaigns the oldest ended campaigns are forgotten, running ones never', async () => {
      const store = await openWithMax(3);
      const running = created();
      await createOrFail(store, running);
      const ended: string[] = [];
      for (let i = 0; i < 2; i++) {
        const change = created();
        await createOrFail(store, change);
        const cancel = cancelCampaign(change.record, { requestedBy: 'admin', reason: null }, Date.now())!;
        assert.equal(await store.commit(change.record.id, 1, cancel.change, undefined), 'ok');
        ended.push(change.record.id);
      }
      const newest = created();
      await createOrFail(store, newest);
      assert.deepEqual(
        (await store.list()).map((record) => record.id),
        [newest.record.id, ended[1], running.record.id],
      );
      assert.equal(await store.load(ended[0]!), undefined);
    });
  });
}

describe('Redis campaign store: claims and what all nodes share', () => {
  test('a step committed with a claim that is not (or no longer) the run’s is refused: fencing', async () => {
    const prefix = `hubwire-test-${randomUUID()}`;
    const a = new RedisCampaignStore({ cluster: await node(prefix) });
    const b = new RedisCampaignStore({ cluster: await node(prefix) });
    const change = created();
    const id = change.record.id;
    const claim = await createOrFail(a, change);
    assert.equal(await a.commit(id, 1, nextStep(change.record, Date.now())!, { campaignId: id, token: 'forged' }), 'not-owner');
    await a.release([claim]);
    const [taken] = await b.claimOrphans();
    assert.equal(taken?.campaignId, id);
    assert.notEqual(taken.token, claim.token);
    const step = nextStep(change.record, Date.now())!;
    assert.equal(await a.commit(id, 1, step, claim), 'not-owner', 'the old owner is fenced out');
    assert.equal(await b.commit(id, 1, step, taken), 'ok');
    assert.deepEqual(await a.renew([claim]), [id], 'the old owner learns it lost the run');
    assert.deepEqual(await b.renew([taken]), []);
    // Anyone may cancel: a cancel carries no claim.
    const cancel = cancelCampaign((await a.load(id))!.record, { requestedBy: 'admin', reason: null }, Date.now())!;
    assert.equal(await a.commit(id, 2, cancel.change, undefined), 'ok');
    assert.deepEqual(await b.renew([taken]), [id], 'a final record drops the claim');
  });

  test('a claim nobody renews expires, and another node claims the run; one that is renewed stays', async () => {
    const prefix = `hubwire-test-${randomUUID()}`;
    const a = new RedisCampaignStore({ cluster: await node(prefix), claimTtlMs: 300 });
    const b = new RedisCampaignStore({ cluster: await node(prefix), claimTtlMs: 300 });
    const kept = created();
    const dropped = created();
    const keptClaim = await createOrFail(a, kept);
    await createOrFail(a, dropped);
    assert.deepEqual(await b.claimOrphans(), [], 'both are held');
    const started = Date.now();
    let taken: RunClaim[] = [];
    // Poll (bounded) while the kept claim is renewed and the other is not.
    const deadline = Date.now() + 3000;
    while (taken.length === 0 && Date.now() < deadline) {
      assert.deepEqual(await a.renew([keptClaim]), []);
      taken = await b.claimOrphans();
      if (taken.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(
      taken.map((claim) => claim.campaignId),
      [dropped.record.id],
    );
    assert.ok(Date.now() - started >= 250, 'not before the claim expired');
    assert.deepEqual(await a.renew([keptClaim]), []);
  });

  test('the running limit and maxCampaigns hold for the whole cluster', async () => {
    const prefix = `hubwire-test-${randomUUID()}`;
    const a = new RedisCampaignStore({ cluster: await node(prefix) });
    const b = new RedisCampaignStore({ cluster: await node(prefix) });
    await createOrFail(a, created(), 2);
    await createOrFail(b, created(), 2);
    assert.deepEqual(await a.create(created(), 2), { kind: 'too-many' });
    assert.deepEqual(await b.create(created(), 2), { kind: 'too-many' });
    assert.equal(await a.activeRuns(), 2);
    assert.equal((await b.list()).length, 2);
  });

  test('campaigns expire: every key of a campaign has a TTL, refreshed by each change', async () => {
    const cluster = await node(`hubwire-test-${randomUUID()}`);
    const store = new RedisCampaignStore({ cluster, retentionMs: 60_000 });
    const change = created();
    const id = change.record.id;
    const claim = await createOrFail(store, change);
    const base = cluster.key('{campaigns}');
    const ttl = async (key: string) => Number(await cluster.redis.sendCommand(['PTTL', key]));
    await cluster.redis.sendCommand(['PEXPIRE', `${base}:c:${id}`, '5000']);
    assert.equal(await store.commit(id, 1, nextStep(change.record, Date.now())!, claim), 'ok');
    for (const key of [`${base}:c:${id}`, `${base}:m:${id}`]) {
      const left = await ttl(key);
      assert.ok(left > 50_000 && left <= 60_000, `${key}: ${left}`);
    }
    const claimTtl = await ttl(`${base}:claim:${id}`);
    assert.ok(claimTtl > 0 && claimTtl <= 3000, `claim ${claimTtl}`);
  });

  test('a running campaign whose record expired is forgotten by the next scan instead of counting forever', async () => {
    const cluster = await node(`hubwire-test-${randomUUID()}`);
    const store = new RedisCampaignStore({ cluster });
    const change = created();
    await createOrFail(store, change, 1);
    await cluster.redis.sendCommand(['DEL', `${cluster.key('{campaigns}')}:c:${change.record.id}`]);
    assert.deepEqual(await store.claimOrphans(), []);
    assert.equal(await store.activeRuns(), 0);
    assert.deepEqual(await store.list(), []);
    await createOrFail(store, created(), 1);
  });

  test('without Redis every call fails at once with CampaignStoreUnavailable', async () => {
    const cluster = await node(`hubwire-test-${randomUUID()}`, 'redis://127.0.0.1:1');
    const store = new RedisCampaignStore({ cluster });
    const started = Date.now();
    await assert.rejects(store.load('x'), CampaignStoreUnavailable);
    await assert.rejects(store.create(created(), 10), CampaignStoreUnavailable);
    await assert.rejects(store.claimOrphans(), CampaignStoreUnavailable);
    assert.ok(Date.now() - started < 1500, 'no offline queue: no waiting');
  });
});
