/**
 * Campaigns when Redis is away, on a redis-server of the test's own (never the shared one): a
 * Redis that does not answer pauses the runs, which go on from their stored state once it
 * answers again; a Redis that is gone makes creating and reading fail with a clear 503 or hub
 * error while the process goes on; after a restart (empty: nothing persisted) new campaigns work.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createClient } from '@redis/client';
import { pino } from 'pino';
import { openCluster, type ClusterContext } from '../../apps/server/src/cluster/cluster-context.js';
import { createCampaignsModule } from '../../apps/server/src/modules/campaigns/index.js';
import type { CampaignDetails } from '../../apps/server/src/modules/campaigns/model.js';
import { CampaignOrchestrator } from '../../apps/server/src/modules/campaigns/orchestrator.js';
import { RedisCampaignStore } from '../../apps/server/src/modules/campaigns/redis-store.js';
import { CampaignStoreUnavailable } from '../../apps/server/src/modules/campaigns/store.js';
import { startTestApp } from '../server/support.js';
import { OwnRedisServer } from '../support/redis-server.js';
import { until, within } from '../support/wait.js';
import { assertGapFree, NodeRecorder } from './campaigns-support.js';

describe('campaigns during a Redis outage', () => {
  let redis: OwnRedisServer;

  before(async () => {
    redis = await OwnRedisServer.start();
  });
  after(async () => {
    await redis?.stop();
  });

  test('a Redis that stops answering pauses the run; it resumes from its stored state, nothing skipped or numbered twice', async () => {
    const prefix = `hubwire-test-${randomUUID()}`;
    const connections: (ClusterContext & { close(): Promise<void> })[] = [];
    const orchestrators: CampaignOrchestrator[] = [];
    const recorders: NodeRecorder[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const connection = openCluster({ url: redis.url, prefix, logger: pino({ level: 'silent' }) });
        connections.push(connection);
        await within(new Promise<void>((resolve) => (connection.redis.isReady ? resolve() : connection.redis.once('ready', () => resolve()))), 5000, 'Redis ready');
        const recorder = new NodeRecorder();
        recorders.push(recorder);
        const orchestrator = new CampaignOrchestrator({ publisher: recorder, store: new RedisCampaignStore({ cluster: connection, commandTimeoutMs: 300 }), stepMs: 40 });
        orchestrator.start();
        orchestrators.push(orchestrator);
      }
      const [a, b] = orchestrators as [CampaignOrchestrator, CampaignOrchestrator];
      const { campaignId: id } = await a.create({ name: 'Paused by Redis', artifactCount: 5, createdBy: 'jane.smith' });
      await until(() => recorders[0]!.messages.length >= 5, 5000, 'the run to progress');
      const admin = createClient({ url: redis.url, socket: { reconnectStrategy: false } });
      admin.on('error', () => undefined);
      await admin.connect();
      try {
        await admin.sendCommand(['CLIENT', 'PAUSE', '1500', 'ALL']);
        const started = Date.now();
        await assert.rejects(b.snapshot(id), CampaignStoreUnavailable);
        await assert.rejects(b.create({ name: 'during the pause', artifactCount: 1, createdBy: 'x' }), { name: 'CampaignRefused', status: 503 });
        assert.ok(Date.now() - started < 1200, 'failed at the command timeout, not at the end of the pause');
        const during = recorders[0]!.messages.length;
        await until(() => recorders[0]!.messages.length > during + 3 || recorders[1]!.messages.length > 0, 8000, 'the run to resume');
      } finally {
        admin.destroy();
      }
      const deadline = Date.now() + 10_000;
      let snapshot = await a.snapshot(id);
      while (snapshot?.currentState !== 'completed' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        snapshot = await a.snapshot(id);
      }
      assert.equal(snapshot?.currentState, 'completed');
      assert.equal(assertGapFree([...recorders[0]!.messages, ...recorders[1]!.messages], id), 3 * 5 + 7);
    } finally {
      for (const orchestrator of orchestrators) await orchestrator.stop();
      for (const connection of connections) await connection.close();
    }
  });

  test('Redis gone: create, read and snapshot answer 503 / a hub error at once, the process goes on; after a restart new campaigns work', async () => {
    const app = await startTestApp(
      { REDIS_URL: redis.url, REDIS_PREFIX: `hubwire-test-${randomUUID()}`, CAMPAIGN_STEP_MS: '50' },
      { modules: [createCampaignsModule({ claimTtlMs: 1000, claimUpkeepMs: 100 })] },
    );
    try {
      const token = await app.token('jane.smith');
      const created = await app.request('POST', '/api/campaigns', { token, body: { name: 'Before the outage', artifactCount: 8 } });
      assert.equal(created.status, 201);
      const id = (created.body as CampaignDetails).campaignId;
      const client = await app.connect('/hubs/campaigns');
      await client.invoke('SubscribeToCampaign', id);
      await redis.stop();
      const create = await app.request('POST', '/api/campaigns', { token, body: { name: 'During the outage' } });
      assert.equal(create.status, 503);
      assert.equal(create.headers.get('retry-after'), '1');
      assert.match(create.body.error, /unavailable/);
      const read = await app.request('GET', `/api/campaigns/${id}`);
      assert.equal(read.status, 503);
      assert.match(read.body.error, /Campaigns are unavailable right now/);
      assert.equal((await app.request('GET', '/api/campaigns', { token })).status, 503);
      await assert.rejects(client.invoke('GetCampaignSnapshot', id), /HubException: Campaigns are unavailable right now/);
      await until(() => app.logs.some((line) => line.msg.startsWith('campaign runs paused')), 5000, 'the pause to be logged');
      await new Promise((resolve) => setTimeout(resolve, 300)); // several steps' worth of failures
      assert.equal(app.logs.filter((line) => line.msg.startsWith('campaign runs paused')).length, 1, 'logged once, not once per step');
      assert.equal((await app.request('GET', '/healthz')).status, 200);
      await redis.restart();
      // The restarted Redis is empty (nothing persisted): the old campaign is gone, new ones work.
      let again = await app.request('POST', '/api/campaigns', { token, body: { name: 'After the outage', artifactCount: 1 } });
      const deadline = Date.now() + 8000;
      while (again.status !== 201 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        again = await app.request('POST', '/api/campaigns', { token, body: { name: 'After the outage', artifactCount: 1 } });
      }
      assert.equal(again.status, 201);
      assert.equal((await app.request('GET', `/api/campaigns/${id}`)).status, 404);
      await until(() => app.logs.some((line) => line.msg === 'campaign runs resumed'), 5000, 'the recovery to be logged');
    } finally {
      await app.stop();
    }
  });
});
