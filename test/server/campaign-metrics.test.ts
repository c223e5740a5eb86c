/**
 * The campaigns' metrics on GET /metrics: a campaign run stepped by the test (no timers), with a
 * subscriber from its start, a snapshot asked for, a cancel, a late subscriber whose gap the
 * (small) history no longer covers, and a message sent twice. Each value is the difference of
 * two scrapes, checked against what the clients received.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AppContext, AppModule } from '../../apps/server/src/app-context.js';
import { CampaignMetrics } from '../../apps/server/src/modules/campaigns/campaign-metrics.js';
import { createCampaignsModule, groupPublisher, type CampaignsModule } from '../../apps/server/src/modules/campaigns/index.js';
import type { CampaignDetails, CampaignRecovery, CampaignSnapshot, OrchestrationEvent } from '../../apps/server/src/modules/campaigns/model.js';
import { until, within } from '../support/wait.js';
import { parsePrometheus, type Scrape } from './prometheus-text.js';
import { startTestApp, type TestApp } from './support.js';

const HUB = '/hubs/campaigns';
const SNAPSHOTS = 'hubwire_campaign_snapshot_duration_seconds';
const PUBLISHED = 'hubwire_campaign_events_published_total';
const METHODS = { ReceiveOrchestrationEvent: 'event', ReceiveArtifactUpdate: 'artifact', ReceiveCancellationAcknowledgement: 'acknowledgement' } as const;

async function scrape(server: TestApp): Promise<Scrape> {
  const answer = await server.request('GET', '/metrics');
  assert.equal(answer.status, 200);
  return parsePrometheus(answer.body as string);
}

const delta = (before: Scrape, after: Scrape, name: string, labels: Record<string, string>) => after.count(name, labels) - before.count(name, labels);

describe('campaign metrics on GET /metrics', () => {
  let server: TestApp;
  let campaigns: CampaignsModule;
  let context: AppContext | undefined;
  // Registered after the campaigns: the test publishes with the app's hub and metrics.
  const capture: AppModule = {
    name: 'capture',
    register(app) {
      context = app;
    },
  };

  before(async () => {
    // A 3-entry history: a subscriber from sequence 0 no longer finds entry 1 after a few steps.
    campaigns = createCampaignsModule({ autoRun: false, history: { maxCount: 3 } });
    server = await startTestApp({}, { modules: [campaigns, capture] });
  });
  after(() => server?.stop());

  test('snapshots by source and messages by kind, duplicates apart', async () => {
    const jane = await server.token('jane.smith');
    const created = await server.request('POST', '/api/campaigns', { token: jane, body: { name: 'Metrics', artifactCount: 2 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = (created.body as CampaignDetails).campaignId;
    const before = await scrape(server);
    const started = performance.now();

    const follower = await server.connect(HUB);
    const received: { kind: (typeof METHODS)[keyof typeof METHODS]; payload: any }[] = [];
    for (const [method, kind] of Object.entries(METHODS)) follower.on(method, (payload: unknown) => received.push({ kind, payload }));
    const first = await within(follower.invoke<CampaignSnapshot>('SubscribeToCampaign', id), 5000, 'subscribe');
    const again = await within(follower.invoke<CampaignSnapshot>('GetCampaignSnapshot', id), 5000, 'snapshot');
    assert.equal(again.lastEventSequence, first.lastEventSequence);
    // Not a snapshot: the campaign does not exist.
    await assert.rejects(follower.invoke('GetCampaignSnapshot', 'no-such-campaign'), /does not exist/);

    for (let step = 0; step < 5; step++) assert.equal(await campaigns.orchestrator!.step(id), true);
    const cancelled = await server.request('POST', `/api/campaigns/${id}/cancel`, { token: jane, body: { reason: 'measured' } });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    await until(() => received.some((entry) => entry.kind === 'acknowledgement'), 5000, 'the cancellation acknowledgement');
    const last = (await campaigns.orchestrator!.snapshot(id))!.lastEventSequence;
    assert.ok(last > first.lastEventSequence + 3, `the run went on to ${last}`);

    // Late, from 0: the history keeps the last 3 entries, so it gets the snapshot first.
    const late = await server.connect(HUB);
    const recovery = await within(late.invoke<CampaignRecovery>('SubscribeToCampaign', id, 0), 5000, 'recovering subscribe');
    assert.equal(recovery.recovered, false);

    // A message sent again, as a node taking the run over would: the history drops it.
    const event = received.find((entry) => entry.kind === 'event')!.payload as OrchestrationEvent;
    await groupPublisher(context!.hubwire, new CampaignMetrics(context!.metrics)).send({ kind: 'event', event });
    const elapsed = (performance.now() - started) / 1000;
    const after = await scrape(server);

    assert.equal(after.types.get(SNAPSHOTS), 'histogram');
    for (const source of ['subscribe', 'get', 'recovery']) {
      assert.equal(delta(before, after, `${SNAPSHOTS}_count`, { source }), 1, `one ${source} snapshot`);
      assert.equal(delta(before, after, `${SNAPSHOTS}_bucket`, { source, le: '+Inf' }), 1);
      const seconds = delta(before, after, `${SNAPSHOTS}_sum`, { source });
      assert.ok(seconds > 0 && seconds < elapsed, `the ${source} snapshot took ${seconds} s (the test ${elapsed} s)`);
      const buckets = after.matching(`${SNAPSHOTS}_bucket`, { source }).map((sample) => sample.value);
      assert.deepEqual(buckets, [...buckets].sort((a, b) => a - b), 'cumulative buckets');
    }

    // Everything the run sent while the follower followed, by kind: what it received.
    const sent = (kind: string, outcome: string) => delta(before, after, PUBLISHED, { kind, outcome });
    for (const kind of Object.values(METHODS)) {
      assert.equal(sent(kind, 'published'), received.filter((entry) => entry.kind === kind).length, `${kind}s published`);
    }
    assert.equal(sent('event', 'published') + sent('artifact', 'published'), last - first.lastEventSequence);
    assert.equal(sent('acknowledgement', 'published'), 1);
    assert.equal(sent('event', 'duplicate'), 1);
    assert.equal(sent('artifact', 'duplicate') + sent('acknowledgement', 'duplicate'), 0);
  });
});
