import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ArtifactUpdate, CampaignDetails, CampaignSnapshot, CancellationAcknowledgement, OrchestrationEvent } from '../../apps/server/src/modules/campaigns/model.js';
import { createCampaignsModule, type CampaignsModule } from '../../apps/server/src/modules/campaigns/index.js';
import { CampaignOrchestrator, type CampaignPublisher } from '../../apps/server/src/modules/campaigns/orchestrator.js';
import type { CampaignMessage as NumberedMessage } from '../../apps/server/src/modules/campaigns/run.js';
import { stopAll } from '../support/e2e.js';
import { FakeClock } from '../support/fake-clock.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { until, within } from '../support/wait.js';
import { CampaignView, withoutTimestamp, type CampaignMessage } from './campaign-view.js';
import { demoTokens, startHarness, testConfig, type Harness } from './harness.js';

/** Records what a publisher (or a client) got. */
class Recorder implements CampaignPublisher {
  readonly messages: CampaignMessage[] = [];
  readonly acknowledgements: CancellationAcknowledgement[] = [];
  send(message: NumberedMessage): void {
    if (message.kind === 'artifact') {
      this.messages.push(message.update);
      return;
    }
    this.messages.push(message.event);
    if (message.acknowledgement !== undefined) this.acknowledgements.push(message.acknowledgement);
  }
}

/** Lets the steps a timer started finish: the memory store answers at once, in microtasks. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Moves the fake clock one step at a time, letting each step finish before the next is due. */
async function advance(clock: FakeClock, ms: number, stepMs = 1000): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    await settle();
  }
}

function assertGapless(messages: readonly CampaignMessage[], from = 1): void {
  assert.deepEqual(
    messages.map((message) => message.sequence),
    Array.from({ length: messages.length }, (_, index) => from + index),
  );
}

describe('campaign orchestrator', () => {
  test('a run goes created → planning → generating → reviewing → auditing → completed with gapless sequence numbers', async () => {
    const recorder = new Recorder();
    const clock = new FakeClock();
    const orchestrator = new CampaignOrchestrator({ publisher: recorder, stepMs: 1000, clock });
    const campaign = await orchestrator.create({ name: 'Spring sale', artifactCount: 3, createdBy: 'jane.smith' });
    assert.equal(campaign.currentState, 'created');
    assert.equal(campaign.lastEventSequence, 1);
    clock.advance(999);
    await settle();
    assert.equal((await orchestrator.get(campaign.campaignId))?.currentState, 'created', 'no step before stepMs');
    await advance(clock, 1);
    assert.equal((await orchestrator.get(campaign.campaignId))?.currentState, 'planning', 'the first step comes after stepMs');
    await advance(clock, 1000 * 100);
    const final = (await orchestrator.get(campaign.campaignId))!;
    assert.equal(final.currentState, 'completed');
    assert.equal(final.auditStatus, 'passed');
    assert.equal(final.completedArtifacts.length, 3);
    assert.equal(final.pendingArtifacts.length, 0);
    assert.notEqual(final.endedAt, null);
    assertGapless(recorder.messages);
    assert.equal(final.lastEventSequence, recorder.messages.length);
    const states = recorder.messages.flatMap((message) => ('state' in message && message.eventType !== 'AuditCompleted' ? [message.state] : []));
    assert.deepEqual(states, ['created', 'planning', 'generating', 'reviewing', 'auditing', 'completed']);
    // 3 planned + 3 × (generating, completed) artifact updates.
    assert.equal(recorder.messages.filter((message) => 'artifact' in message).length, 9);
  });

  test('a snapshot taken after any step plus the later events gives the final state', async () => {
    const recorder = new Recorder();
    const orchestrator = new CampaignOrchestrator({ publisher: recorder, stepMs: 1000, autoRun: false });
    const { campaignId } = await orchestrator.create({ name: 'Snapshot check', artifactCount: 4, createdBy: 'jane.smith' });
    const snapshots: CampaignSnapshot[] = [(await orchestrator.snapshot(campaignId))!];
    while (await orchestrator.step(campaignId)) snapshots.push((await orchestrator.snapshot(campaignId))!);
    snapshots.push((await orchestrator.snapshot(campaignId))!);
    const final = withoutTimestamp((await orchestrator.snapshot(campaignId))!);
    assert.equal(final.currentState, 'completed');
    for (const snapshot of snapshots) {
      const view = new CampaignView(snapshot);
      view.applyAll(recorder.messages);
      assert.deepEqual(view.view(), final, `from the snapshot at sequence ${snapshot.lastEventSequence}`);
    }
  });

  test('cancel: pending artifacts are cancelled, then CampaignCancelled, then the acknowledgement; no step after it', async () => {
    const recorder = new Recorder();
    const clock = new FakeClock();
    const orchestrator = new CampaignOrchestrator({ publisher: recorder, stepMs: 1000, clock });
    const { campaignId } = await orchestrator.create({ name: 'Cancel me', artifactCount: 3, createdBy: 'jane.smith' });
    await advance(clock, 5000); // planning, planned artifacts, generating, artifact 1 generating, artifact 1 completed
    const outcome = await orchestrator.cancel(campaignId, { requestedBy: 'jane.smith', reason: 'budget cut' });
    assert.equal(outcome.kind, 'cancelled');
    const last = recorder.messages.at(-1) as OrchestrationEvent;
    assert.equal(last.eventType, 'CampaignCancelled');
    assert.equal(recorder.acknowledgements.length, 1);
    assert.equal(recorder.acknowledgements[0]!.cancellationSequence, last.sequence);
    assert.equal(recorder.acknowledgements[0]!.reason, 'budget cut');
    const cancelled = recorder.messages.filter((message): message is ArtifactUpdate => 'artifact' in message && message.artifact.status === 'cancelled');
    assert.equal(cancelled.length, 2);
    const count = recorder.messages.length;
    await advance(clock, 60_000);
    assert.equal(recorder.messages.length, count, 'no step after a cancel');
    assertGapless(recorder.messages);
    const snapshot = (await orchestrator.snapshot(campaignId))!;
    assert.equal(snapshot.currentState, 'cancelled');
    assert.equal(snapshot.completedArtifacts.length, 1);
    assert.equal(snapshot.pendingArtifacts.length, 0);
    assert.deepEqual(await orchestrator.cancel(campaignId, { requestedBy: 'jane.smith', reason: null }), { kind: 'ended', state: 'cancelled' });
    assert.deepEqual(await orchestrator.cancel('nope', { requestedBy: 'jane.smith', reason: null }), { kind: 'not-found' });
  });

  test('too many runs at once are refused; stop() stops every timer and refuses creates', async () => {
    const recorder = new Recorder();
    const clock = new FakeClock();
    const orchestrator = new CampaignOrchestrator({ publisher: recorder, stepMs: 1000, clock, maxActiveRuns: 2 });
    const [a] = await Promise.all([orchestrator.create({ name: 'a', artifactCount: 1, createdBy: 'x' }), orchestrator.create({ name: 'b', artifactCount: 1, createdBy: 'x' })]);
    await assert.rejects(orchestrator.create({ name: 'c', artifactCount: 1, createdBy: 'x' }), { name: 'CampaignRefused', status: 429 });
    await orchestrator.stop();
    const count = recorder.messages.length;
    await advance(clock, 60_000);
    assert.equal(recorder.messages.length, count);
    assert.equal((await orchestrator.get(a!.campaignId))?.currentState, 'created', 'still readable');
    await assert.rejects(orchestrator.create({ name: 'd', artifactCount: 1, createdBy: 'x' }), { name: 'CampaignRefused', status: 503 });
  });
});

/** A client of /hubs/campaigns that records every message it receives. */
interface Follower {
  readonly connection: signalR.HubConnection;
  readonly messages: CampaignMessage[];
  readonly snapshots: CampaignSnapshot[];
  readonly acknowledgements: CancellationAcknowledgement[];
}

describe('/hubs/campaigns end to end (runs stepped by the test)', () => {
  let harness: Harness;
  let module: CampaignsModule;
  let tokens: Awaited<ReturnType<typeof demoTokens>>;
  const open: signalR.HubConnection[] = [];

  before(async () => {
    module = createCampaignsModule({ autoRun: false });
    harness = await startHarness([module]);
    tokens = await demoTokens(harness.config);
  });
  after(async () => {
    await stopAll(open);
    await harness.close();
  });

  async function follower(): Promise<Follower> {
    const connection = clientFor(harness.url('/hubs/campaigns')).build();
    const follower: Follower = { connection, messages: [], snapshots: [], acknowledgements: [] };
    connection.on('ReceiveOrchestrationEvent', (event: OrchestrationEvent) => follower.messages.push(event));
    connection.on('ReceiveArtifactUpdate', (update: ArtifactUpdate) => follower.messages.push(update));
    connection.on('ReceiveCampaignSnapshot', (snapshot: CampaignSnapshot) => follower.snapshots.push(snapshot));
    connection.on('ReceiveCancellationAcknowledgement', (ack: CancellationAcknowledgement) => follower.acknowledgements.push(ack));
    await within(connection.start(), 5000, 'campaigns client start');
    open.push(connection);
    return follower;
  }

  async function createCampaign(body: unknown = { name: 'Launch', artifactCount: 3 }, token = tokens.jane): Promise<CampaignDetails> {
    const response = await harness.request('POST', '/api/campaigns', { body, token });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body as CampaignDetails;
  }

  async function step(campaignId: string, times = 1): Promise<void> {
    for (let i = 0; i < times; i++) await module.orchestrator!.step(campaignId);
  }

  test('a subscriber gets every event in order, without gaps, and ends in the server state', async () => {
    const created = await createCampaign();
    assert.equal(created.currentState, 'created');
    assert.equal(created.lastEventSequence, 1);
    assert.equal(created.createdBy, 'jane.smith');
    const client = await follower();
    const snapshot: CampaignSnapshot = await client.connection.invoke('SubscribeToCampaign', created.campaignId);
    assert.equal(snapshot.lastEventSequence, 1);
    while (await module.orchestrator!.step(created.campaignId));
    const server = await harness.request('GET', `/api/campaigns/${created.campaignId}`);
    assert.equal(server.status, 200);
    assert.equal(server.body.currentState, 'completed');
    await until(() => client.messages.length === server.body.lastEventSequence - 1, 5000, 'every event');
    assertGapless(client.messages, 2);
    const view = new CampaignView(snapshot);
    view.applyAll(client.messages);
    const { name: _n, createdBy: _c, createdAt: _a, endedAt: _e, ...serverState } = server.body as CampaignDetails;
    assert.deepEqual(view.view(), withoutTimestamp(serverState));
  });

  test('a snapshot taken mid-run plus the events after it equals the server state', async () => {
    const created = await createCampaign({ name: 'Mid-run', artifactCount: 4 });
    await step(created.campaignId, 4);
    const client = await follower();
    await client.connection.invoke('SubscribeToCampaign', created.campaignId);
    await step(created.campaignId, 3);
    const snapshot: CampaignSnapshot = await client.connection.invoke('GetCampaignSnapshot', created.campaignId);
    assert.equal(snapshot.lastEventSequence, (await module.orchestrator!.snapshot(created.campaignId))!.lastEventSequence);
    assert.ok(snapshot.completedArtifacts.length > 0 && snapshot.pendingArtifacts.length > 0, 'taken mid-run');
    while (await module.orchestrator!.step(created.campaignId));
    const final = (await module.orchestrator!.snapshot(created.campaignId))!;
    await until(() => client.messages.some((message) => message.sequence === final.lastEventSequence), 5000, 'the last event');
    const view = new CampaignView(snapshot);
    view.applyAll(client.messages);
    assert.deepEqual(view.view(), withoutTimestamp(final));
  });

  test('GetCampaignSnapshot sends ReceiveCampaignSnapshot to the caller only and returns the same snapshot', async () => {
    const created = await createCampaign();
    const caller = await follower();
    const other = await follower();
    await other.connection.invoke('SubscribeToCampaign', created.campaignId);
    const returned: CampaignSnapshot = await caller.connection.invoke('GetCampaignSnapshot', created.campaignId);
    await until(() => caller.snapshots.length === 1, 5000, 'ReceiveCampaignSnapshot');
    assert.deepEqual(caller.snapshots[0], returned);
    assert.equal(returned.campaignId, created.campaignId);
    assert.deepEqual(Object.keys(returned).sort(), ['auditStatus', 'campaignId', 'completedArtifacts', 'currentState', 'lastEventSequence', 'pendingArtifacts', 'timestamp']);
    assert.equal(other.snapshots.length, 0);
  });

  test('cancel: subscribers get the cancelled artifacts, CampaignCancelled and the acknowledgement', async () => {
    const created = await createCampaign({ name: 'To cancel', artifactCount: 3 });
    const client = await follower();
    await client.connection.invoke('SubscribeToCampaign', created.campaignId);
    await step(created.campaignId, 5);
    const response = await harness.request('POST', `/api/campaigns/${created.campaignId}/cancel`, { body: { reason: 'Budget cut' }, token: tokens.jane });
    assert.equal(response.status, 200);
    const ack = response.body as CancellationAcknowledgement;
    assert.equal(ack.state, 'cancelled');
    assert.equal(ack.requestedBy, 'jane.smith');
    assert.equal(ack.reason, 'Budget cut');
    await until(() => client.acknowledgements.length === 1, 5000, 'ReceiveCancellationAcknowledgement');
    assert.deepEqual(client.acknowledgements[0], ack);
    const cancelEvent = client.messages.find((message): message is OrchestrationEvent => 'eventType' in message && message.eventType === 'CampaignCancelled');
    assert.ok(cancelEvent, 'CampaignCancelled event');
    assert.equal(cancelEvent.sequence, ack.cancellationSequence);
    assertGapless(client.messages, 2);
    assert.equal(client.messages.at(-1), cancelEvent);
    await step(created.campaignId, 10);
    const details = await harness.request('GET', `/api/campaigns/${created.campaignId}`);
    assert.equal(details.body.currentState, 'cancelled');
    assert.equal(details.body.lastEventSequence, ack.cancellationSequence, 'nothing happens after a cancel');
    const again = await harness.request('POST', `/api/campaigns/${created.campaignId}/cancel`, { token: tokens.jane });
    assert.equal(again.status, 409);
  });

  test('only the creator or an admin may cancel; a token is required', async () => {
    const created = await createCampaign();
    const path = `/api/campaigns/${created.campaignId}/cancel`;
    assert.equal((await harness.request('POST', path)).status, 401);
    assert.equal((await harness.request('POST', path, { token: tokens.john })).status, 403);
    assert.equal((await harness.request('POST', path, { body: { reason: 42 }, token: tokens.admin })).body.field, 'reason');
    const byAdmin = await harness.request('POST', path, { token: tokens.admin });
    assert.equal(byAdmin.status, 200);
    assert.equal(byAdmin.body.requestedBy, 'admin');
    assert.equal(byAdmin.body.reason, null);
  });

  test('unsubscribed clients get nothing more', async () => {
    const created = await createCampaign();
    const client = await follower();
    await client.connection.invoke('SubscribeToCampaign', created.campaignId);
    await step(created.campaignId);
    await until(() => client.messages.length === 1, 5000, 'first event');
    await client.connection.invoke('UnsubscribeFromCampaign', created.campaignId);
    await step(created.campaignId, 3);
    // A marker: a snapshot sent after the steps arrives after anything they would have sent.
    await client.connection.invoke('GetCampaignSnapshot', created.campaignId);
    await until(() => client.snapshots.length === 1, 5000, 'marker snapshot');
    assert.equal(client.messages.length, 1);
  });

  test('unknown or malformed campaign ids: HubError on the hub, 404 on REST', async () => {
    const client = await follower();
    await assert.rejects(client.connection.invoke('SubscribeToCampaign', 'no-such-campaign'), /HubException: Campaign 'no-such-campaign' does not exist\./);
    await assert.rejects(client.connection.invoke('GetCampaignSnapshot', 'no-such-campaign'), /HubException: Campaign 'no-such-campaign' does not exist\./);
    await assert.rejects(client.connection.invoke('SubscribeToCampaign', 'bad id!'), /HubException: A campaign id is/);
    await assert.rejects(client.connection.invoke('GetCampaignSnapshot', 42), /HubException: A campaign id is/);
    assert.equal((await harness.request('GET', '/api/campaigns/no-such-campaign')).status, 404);
    assert.equal((await harness.request('POST', '/api/campaigns/no-such-campaign/cancel', { token: tokens.jane })).status, 404);
    // The connection survives the errors.
    const created = await createCampaign();
    assert.equal((await client.connection.invoke('GetCampaignSnapshot', created.campaignId)).campaignId, created.campaignId);
  });

  test('create: a token is required and the body is validated (400 naming the field)', async () => {
    assert.equal((await harness.request('POST', '/api/campaigns', { body: { name: 'x' } })).status, 401);
    const cases: [unknown, string][] = [
      [{}, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(121) }, 'name'],
      [{ name: 'ok', artifactCount: 0 }, 'artifactCount'],
      [{ name: 'ok', artifactCount: 2.5 }, 'artifactCount'],
      [{ name: 'ok', artifactCount: '3' }, 'artifactCount'],
      [['name'], 'body'],
    ];
    for (const [body, field] of cases) {
      const response = await harness.request('POST', '/api/campaigns', { body, token: tokens.jane });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.field, field, JSON.stringify(body));
    }
    const invalidJson = await harness.request('POST', '/api/campaigns', { rawBody: '{"name":', token: tokens.jane });
    assert.equal(invalidJson.status, 400);
  });

  test('the list shows a user its own campaigns, an admin all of them; it needs a token', async () => {
    const mine = await createCampaign({ name: 'Jane’s' });
    const johns = await createCampaign({ name: 'John’s' }, tokens.john);
    assert.equal((await harness.request('GET', '/api/campaigns')).status, 401);
    const ids = async (token: string) => ((await harness.request('GET', '/api/campaigns', { token })).body.campaigns as CampaignDetails[]).map((campaign) => campaign.campaignId);
    const janes = await ids(tokens.jane);
    assert.equal(janes[0], mine.campaignId, 'newest first');
    assert.ok(!janes.includes(johns.campaignId));
    assert.deepEqual(await ids(tokens.john), [johns.campaignId]);
    const all = await ids(tokens.admin);
    assert.ok(all.includes(mine.campaignId) && all.includes(johns.campaignId));
  });
});

describe('/hubs/campaigns end to end (real timers)', () => {
  let harness: Harness;
  const open: signalR.HubConnection[] = [];

  before(async () => {
    harness = await startHarness([createCampaignsModule()], { config: testConfig({ CAMPAIGN_STEP_MS: '15' }) });
  });
  after(async () => {
    await stopAll(open);
    await harness.close();
  });

  test('a late subscriber taking a snapshot while the run goes on ends in the server state', async () => {
    const tokens = await demoTokens(harness.config);
    const early = clientFor(harness.url('/hubs/campaigns')).build();
    const late = clientFor(harness.url('/hubs/campaigns')).build();
    open.push(early, late);
    const earlyMessages: CampaignMessage[] = [];
    const lateMessages: CampaignMessage[] = [];
    for (const [connection, sink] of [[early, earlyMessages], [late, lateMessages]] as const) {
      connection.on('ReceiveOrchestrationEvent', (event: OrchestrationEvent) => sink.push(event));
      connection.on('ReceiveArtifactUpdate', (update: ArtifactUpdate) => sink.push(update));
      await within(connection.start(), 5000, 'start');
    }
    const created = (await harness.request('POST', '/api/campaigns', { body: { name: 'Live', artifactCount: 8 }, token: tokens.jane })).body as CampaignDetails;
    const first: CampaignSnapshot = await early.invoke('SubscribeToCampaign', created.campaignId);
    await until(() => earlyMessages.length >= 6, 5000, 'the run to progress');
    // Subscribe, then snapshot, while events keep coming.
    await late.invoke('SubscribeToCampaign', created.campaignId);
    const mid: CampaignSnapshot = await late.invoke('GetCampaignSnapshot', created.campaignId);
    assert.notEqual(mid.currentState, 'completed', 'the snapshot is taken mid-run');
    const total = 3 * 8 + 7; // 8 planned + 16 generating/completed artifact updates + 7 orchestration events
    await until(() => earlyMessages.length === total - 1 && lateMessages.some((message) => message.sequence === total), 10_000, 'the run to complete');
    const server = (await harness.request('GET', `/api/campaigns/${created.campaignId}`)).body as CampaignDetails;
    assert.equal(server.currentState, 'completed');
    assert.equal(server.lastEventSequence, total);
    assertGapless(earlyMessages, first.lastEventSequence + 1);
    const { name: _n, createdBy: _c, createdAt: _a, endedAt: _e, ...serverState } = server;
    for (const [snapshot, messages] of [[first, earlyMessages], [mid, lateMessages]] as const) {
      const view = new CampaignView(snapshot);
      view.applyAll(messages);
      assert.deepEqual(view.view(), withoutTimestamp(serverState));
    }
  });
});
