/**
 * The campaigns of three server apps on one Redis prefix (in this process, each with its own
 * Redis connections and node id, as three processes would have), followed with the official
 * client: created on one node, read, listed and snapshotted on the others, followed from one and
 * cancelled from another; a run whose node dies or stops goes on elsewhere and its subscribers
 * see every number once the run is over.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ArtifactUpdate, CampaignDetails, CampaignSnapshot, CancellationAcknowledgement, OrchestrationEvent } from '../../apps/server/src/modules/campaigns/model.js';
import { CampaignView, withoutTimestamp, type CampaignMessage } from '../server-modules/campaign-view.js';
import { until, within } from '../support/wait.js';
import { campaignNodes, type CampaignNode } from './campaigns-support.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const CLAIM_TTL_MS = 800;
const UPKEEP_MS = 100;

type Node = CampaignNode;

const startNodes = campaignNodes(REDIS_URL);

async function nodes(count: number, options: { autoRun?: boolean; stepMs?: number } = {}): Promise<Node[]> {
  const started = await startNodes(count, { autoRun: options.autoRun, claimTtlMs: CLAIM_TTL_MS, claimUpkeepMs: UPKEEP_MS }, { CAMPAIGN_STEP_MS: String(options.stepMs ?? 1000) });
  return started.nodes;
}

/** A client of /hubs/campaigns on `node` that records what it receives. */
async function follower(node: Node) {
  const connection = await node.app.connect('/hubs/campaigns');
  const messages: CampaignMessage[] = [];
  const acknowledgements: CancellationAcknowledgement[] = [];
  connection.on('ReceiveOrchestrationEvent', (event: OrchestrationEvent) => messages.push(event));
  connection.on('ReceiveArtifactUpdate', (update: ArtifactUpdate) => messages.push(update));
  connection.on('ReceiveCancellationAcknowledgement', (ack: CancellationAcknowledgement) => acknowledgements.push(ack));
  return { connection, messages, acknowledgements };
}

/**
 * The sequence numbers received from `from` on, each once, must be from..to with none missing.
 * Numbers below `from` (at or before a subscription's snapshot) may arrive too, as docs/hubs.md
 * says: the snapshot already holds them and a client drops them.
 */
function assertEveryNumber(messages: readonly CampaignMessage[], from: number, to: number): void {
  const numbers = [...new Set(messages.map((message) => message.sequence))].filter((sequence) => sequence >= from).sort((a, b) => a - b);
  assert.deepEqual(
    numbers,
    Array.from({ length: to - from + 1 }, (_, index) => from + index),
  );
}

function stateOf(details: CampaignDetails) {
  const { name: _n, createdBy: _c, createdAt: _a, endedAt: _e, ...snapshot } = details;
  return withoutTimestamp(snapshot);
}

describe('campaigns across three nodes', () => {
  test('created on A: read, listed and snapshotted on B and C, followed on B, cancelled on C', async () => {
    const [a, b, c] = await nodes(3, { autoRun: false });
    const jane = await a!.app.token('jane.smith');
    const created = await a!.app.request('POST', '/api/campaigns', { token: jane, body: { name: 'Across nodes', artifactCount: 3 } });
    assert.equal(created.status, 201);
    const { hub: _hub, ...campaign } = created.body as CampaignDetails & { hub: string };
    const id = campaign.campaignId;
    for (const node of [b!, c!]) {
      const read = await node.app.request('GET', `/api/campaigns/${id}`);
      assert.equal(read.status, 200);
      const { timestamp: _t, ...details } = read.body as CampaignDetails;
      const { timestamp: _c, ...expected } = campaign;
      assert.deepEqual(details, expected, 'the same campaign on every node');
      const listed = await node.app.request('GET', '/api/campaigns', { token: await node.app.token('jane.smith') });
      assert.deepEqual(
        (listed.body.campaigns as CampaignDetails[]).map((entry) => entry.campaignId),
        [id],
      );
    }
    const onB = await follower(b!);
    const first: CampaignSnapshot = await onB.connection.invoke('SubscribeToCampaign', id);
    assert.equal(first.lastEventSequence, 1);
    for (let i = 0; i < 5; i++) assert.equal(await a!.campaigns.orchestrator!.step(id), true);
    const onC = await follower(c!);
    const mid: CampaignSnapshot = await onC.connection.invoke('GetCampaignSnapshot', id);
    assert.equal(mid.lastEventSequence, 1 + 1 + 3 + 1 + 1 + 1, 'planning, 3 planned, generating, artifact 1 generating and completed');
    const cancel = await c!.app.request('POST', `/api/campaigns/${id}/cancel`, { token: await c!.app.token('jane.smith'), body: { reason: 'from C' } });
    assert.equal(cancel.status, 200);
    const ack = cancel.body as CancellationAcknowledgement;
    assert.equal(ack.cancellationSequence, mid.lastEventSequence + 2 + 1, 'two pending artifacts cancelled, then CampaignCancelled');
    await until(() => onB.acknowledgements.length === 1, 5000, 'the acknowledgement on B');
    assert.deepEqual(onB.acknowledgements[0], ack);
    assertEveryNumber(onB.messages, 2, ack.cancellationSequence);
    const view = new CampaignView(first);
    view.applyAll(onB.messages);
    const final = (await a!.app.request('GET', `/api/campaigns/${id}`)).body as CampaignDetails;
    assert.equal(final.currentState, 'cancelled');
    assert.deepEqual(view.view(), stateOf(final));
    assert.equal(await a!.campaigns.orchestrator!.step(id), false, 'A steps a cancelled run no more');
    assert.equal((await b!.app.request('POST', `/api/campaigns/${id}/cancel`, { token: await b!.app.token('admin') })).status, 409);
  });

  test('a run on real timers created on B is followed to the end from A and C: every number once, the same final state', async () => {
    const [a, b, c] = await nodes(3, { stepMs: 25 });
    const followers = [await follower(a!), await follower(c!)];
    const created = (await b!.app.request('POST', '/api/campaigns', { token: await b!.app.token('john.doe'), body: { name: 'Timers', artifactCount: 4 } })).body as CampaignDetails;
    const snapshots: CampaignSnapshot[] = [];
    for (const { connection } of followers) snapshots.push(await connection.invoke('SubscribeToCampaign', created.campaignId));
    const total = 3 * 4 + 7;
    await until(() => followers.every(({ messages }) => messages.some((message) => message.sequence === total)), 10_000, 'the run to complete on both followers');
    const final = (await c!.app.request('GET', `/api/campaigns/${created.campaignId}`)).body as CampaignDetails;
    assert.equal(final.currentState, 'completed');
    followers.forEach(({ messages }, index) => {
      assertEveryNumber(messages, snapshots[index]!.lastEventSequence + 1, total);
      const view = new CampaignView(snapshots[index]!);
      view.applyAll(messages);
      assert.deepEqual(view.view(), stateOf(final));
    });
  });

  test('the owner dies without a word: another node continues the run and a follower elsewhere sees every number', async () => {
    const [a, b, c] = await nodes(3, { stepMs: 40 });
    const onC = await follower(c!);
    const created = (await a!.app.request('POST', '/api/campaigns', { token: await a!.app.token('jane.smith'), body: { name: 'Owner dies', artifactCount: 6 } })).body as CampaignDetails;
    const id = created.campaignId;
    const first: CampaignSnapshot = await onC.connection.invoke('SubscribeToCampaign', id);
    await until(() => onC.messages.length >= 6, 5000, 'the run to progress');
    a!.campaigns.orchestrator!.abandon();
    const died = Date.now();
    await until(() => [b!, c!].some((node) => node.campaigns.orchestrator!.owns(id)), 5000, 'a takeover');
    const tookMs = Date.now() - died;
    assert.ok(tookMs <= CLAIM_TTL_MS + 2 * UPKEEP_MS + 400, `taken over after ${tookMs} ms`);
    const heir = [b!, c!].find((node) => node.campaigns.orchestrator!.owns(id))!;
    await until(() => heir.app.logs.some((line) => line.msg === 'campaign run taken over' && line['campaignId'] === id), 5000, 'the takeover log line');
    const total = 3 * 6 + 7;
    await until(() => onC.messages.some((message) => message.sequence === total), 10_000, 'the run to complete');
    assertEveryNumber(onC.messages, first.lastEventSequence + 1, total);
    const view = new CampaignView(first);
    view.applyAll(onC.messages);
    assert.deepEqual(view.view(), stateOf((await b!.app.request('GET', `/api/campaigns/${id}`)).body as CampaignDetails));
  });

  test('a node that stops gracefully hands its runs over; they finish elsewhere and nobody cancels them', async () => {
    const [a, b] = await nodes(2, { stepMs: 40 });
    const onB = await follower(b!);
    const created = (await a!.app.request('POST', '/api/campaigns', { token: await a!.app.token('jane.smith'), body: { name: 'Handed over', artifactCount: 5 } })).body as CampaignDetails;
    const first: CampaignSnapshot = await onB.connection.invoke('SubscribeToCampaign', created.campaignId);
    await until(() => onB.messages.length >= 4, 5000, 'the run to progress');
    await within(a!.app.stop(), 10_000, 'A to stop');
    assert.ok(a!.app.logs.some((line) => line.msg === 'campaign runs handed over to the other nodes' && line['runs'] === 1));
    const total = 3 * 5 + 7;
    await until(() => onB.messages.some((message) => message.sequence === total), 10_000, 'the run to complete on B');
    assertEveryNumber(onB.messages, first.lastEventSequence + 1, total);
    assert.equal(onB.messages.filter((message) => 'eventType' in message && message.eventType === 'CampaignCancelled').length, 0);
  });
});
