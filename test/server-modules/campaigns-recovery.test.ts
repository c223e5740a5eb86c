/**
 * `SubscribeToCampaign(id, fromSequence)` on one node (memory history), with the official
 * client: a subscriber that comes back is replayed every message after `fromSequence` in order,
 * each with its position (offset = sequence), then goes on live with no gap and no repeat — also
 * with steps racing the recovery; a cancel's event and acknowledgement come back together; a
 * gap older than the window (made small here) or a number ahead of the history gets the snapshot
 * first and `recovered: false`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import type { GroupPosition } from 'hubwire';
import type { CampaignDetails, CampaignRecovery, CampaignSnapshot } from '../../apps/server/src/modules/campaigns/model.js';
import { createCampaignsModule, type CampaignsModule } from '../../apps/server/src/modules/campaigns/index.js';
import { stopAll } from '../support/e2e.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { until, within } from '../support/wait.js';
import { CampaignView, withoutTimestamp, type CampaignMessage } from './campaign-view.js';
import { demoTokens, startHarness, type Harness } from './harness.js';

const EVENTS = ['ReceiveOrchestrationEvent', 'ReceiveArtifactUpdate', 'ReceiveCancellationAcknowledgement', 'ReceiveCampaignSnapshot'] as const;

/** One client event as it arrived, with the arguments after the payload. */
interface Received {
  readonly method: (typeof EVENTS)[number];
  readonly payload: any;
  readonly extra: readonly unknown[];
}

/** An official client of /hubs/campaigns that logs every campaign event in arrival order. */
interface Follower {
  readonly connection: signalR.HubConnection;
  readonly log: Received[];
  /** The numbered messages (events and artifact updates), in arrival order. */
  messages(): CampaignMessage[];
  invoke<T>(method: string, ...args: unknown[]): Promise<T>;
}

/** A harness of the campaigns module alone, its runs stepped by the test. */
function campaignsHarness(options: Parameters<typeof createCampaignsModule>[0] = {}) {
  const state: { harness?: Harness; module?: CampaignsModule; jane?: string } = {};
  const open: signalR.HubConnection[] = [];
  before(async () => {
    state.module = createCampaignsModule({ autoRun: false, ...options });
    state.harness = await startHarness([state.module]);
    state.jane = (await demoTokens(state.harness.config)).jane;
  });
  after(async () => {
    await stopAll(open);
    await state.harness?.close();
  });
  return {
    async follower(protocol: 'json' | 'messagepack' = 'json'): Promise<Follower> {
      const builder = clientFor(state.harness!.url('/hubs/campaigns'));
      if (protocol === 'messagepack') builder.withHubProtocol(new MessagePackHubProtocol());
      const connection = builder.build();
      const log: Received[] = [];
      for (const method of EVENTS) connection.on(method, (payload: unknown, ...extra: unknown[]) => log.push({ method, payload, extra }));
      await within(connection.start(), 5000, 'campaigns client start');
      open.push(connection);
      return {
        connection,
        log,
        messages: () => log.filter((entry) => entry.method === 'ReceiveOrchestrationEvent' || entry.method === 'ReceiveArtifactUpdate').map((entry) => entry.payload as CampaignMessage),
        invoke: <T>(method: string, ...args: unknown[]) => within(connection.invoke<T>(method, ...args), 5000, method),
      };
    },
    async create(artifactCount = 3): Promise<string> {
      const response = await state.harness!.request('POST', '/api/campaigns', { body: { name: 'Recovery', artifactCount }, token: state.jane });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return (response.body as CampaignDetails).campaignId;
    },
    async step(campaignId: string, times = 1): Promise<void> {
      for (let i = 0; i < times; i++) await state.module!.orchestrator!.step(campaignId);
    },
    async finish(campaignId: string): Promise<CampaignSnapshot> {
      while (await state.module!.orchestrator!.step(campaignId));
      return (await state.module!.orchestrator!.snapshot(campaignId))!;
    },
    async cancel(campaignId: string): Promise<void> {
      const response = await state.harness!.request('POST', `/api/campaigns/${campaignId}/cancel`, { body: { reason: 'away' }, token: state.jane });
      assert.equal(response.status, 200, JSON.stringify(response.body));
    },
    snapshot: async (campaignId: string) => (await state.module!.orchestrator!.snapshot(campaignId))!,
  };
}

/** Waits until `follower` has the message numbered `sequence`. */
async function untilSequence(follower: Follower, sequence: number): Promise<void> {
  await until(() => follower.messages().some((message) => message.sequence === sequence), 5000, `message ${sequence} (at ${follower.messages().at(-1)?.sequence})`);
}

/** The answer without its position (checked on its own). */
const answer = ({ position: _position, ...rest }: CampaignRecovery) => rest;

/** The numbers `from`..`to`. */
function numbers(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/** Every group message carries one trailing position: the campaign's group, offset = sequence, one epoch. */
function assertPositions(log: readonly Received[], campaignId: string): void {
  const grouped = log.filter((entry) => entry.method !== 'ReceiveCampaignSnapshot');
  assert.ok(grouped.length > 0);
  const epoch = (grouped[0]!.extra[0] as GroupPosition).epoch;
  for (const entry of grouped) {
    assert.equal(entry.extra.length, 1, `${entry.method}: one trailing argument`);
    const sequence = entry.method === 'ReceiveCancellationAcknowledgement' ? entry.payload.cancellationSequence : entry.payload.sequence;
    assert.deepEqual(entry.extra[0], { group: `campaign:${campaignId}`, offset: sequence, epoch });
  }
}

describe('SubscribeToCampaign(id, fromSequence) on one node', () => {
  const hub = campaignsHarness();

  test('a subscriber that comes back is replayed what it missed, in order, then goes on live; steps race the recovery', async () => {
    const id = await hub.create(4);
    const first = await hub.follower();
    const snapshot = await first.invoke<CampaignSnapshot>('SubscribeToCampaign', id);
    await hub.step(id, 3);
    const last = (await hub.snapshot(id)).lastEventSequence;
    await untilSequence(first, last);
    assertPositions(first.log, id);
    await within(first.connection.stop(), 5000, 'first client stop');

    await hub.step(id, 4); // missed while away
    const missedTo = (await hub.snapshot(id)).lastEventSequence;
    const back = await hub.follower('messagepack');
    const racing = hub.step(id, 3);
    const result = await back.invoke<CampaignRecovery>('SubscribeToCampaign', id, last);
    await racing;
    const final = await hub.finish(id);
    await untilSequence(back, final.lastEventSequence);

    assert.equal(result.recovered, true);
    assert.ok(result.replayed >= missedTo - last, `replayed ${result.replayed}: at least the ${missedTo - last} missed`);
    assert.ok(result.lastSequence >= missedTo && result.lastSequence <= final.lastEventSequence);
    assert.deepEqual(result.position, { group: `campaign:${id}`, offset: result.lastSequence, epoch: (first.log[0]!.extra[0] as GroupPosition).epoch });
    assert.deepEqual(
      back.messages().map((message) => message.sequence),
      numbers(last + 1, final.lastEventSequence),
      'every number after fromSequence once, in order',
    );
    assert.equal(back.log.filter((entry) => entry.method === 'ReceiveCampaignSnapshot').length, 0, 'no snapshot when recovered');
    assertPositions(back.log, id);
    const view = new CampaignView(snapshot);
    view.applyAll([...first.messages(), ...back.messages()]);
    assert.deepEqual(view.view(), withoutTimestamp(final));
  });

  test("a cancel missed while away comes back as it was sent: the cancelled artifacts, then CampaignCancelled with its acknowledgement at the event's position", async () => {
    const id = await hub.create(3);
    const first = await hub.follower();
    await first.invoke('SubscribeToCampaign', id);
    await hub.step(id, 4);
    const last = (await hub.snapshot(id)).lastEventSequence;
    await untilSequence(first, last);
    await within(first.connection.stop(), 5000, 'first client stop');
    await hub.cancel(id);
    const cancelled = await hub.snapshot(id);

    const back = await hub.follower();
    const result = await back.invoke<CampaignRecovery>('SubscribeToCampaign', id, last);
    assert.deepEqual(answer(result), { recovered: true, lastSequence: cancelled.lastEventSequence, replayed: cancelled.lastEventSequence - last + 1 }, 'the acknowledgement is one more message of the last entry');
    await until(() => back.log.some((entry) => entry.method === 'ReceiveCancellationAcknowledgement'), 5000, 'the acknowledgement');
    assert.deepEqual(
      back.log.map((entry) => [entry.method, entry.payload.artifact?.status ?? entry.payload.eventType ?? 'ack']),
      [
        ...numbers(last + 1, cancelled.lastEventSequence - 1).map(() => ['ReceiveArtifactUpdate', 'cancelled']),
        ['ReceiveOrchestrationEvent', 'CampaignCancelled'],
        ['ReceiveCancellationAcknowledgement', 'ack'],
      ],
    );
    assertPositions(back.log, id);
  });

  test('fromSequence at the last number: recovered with nothing replayed; 0: everything from CampaignCreated on', async () => {
    const id = await hub.create(2);
    await hub.step(id, 2);
    const now = (await hub.snapshot(id)).lastEventSequence;
    const current = await hub.follower();
    assert.deepEqual(answer(await current.invoke<CampaignRecovery>('SubscribeToCampaign', id, now)), { recovered: true, lastSequence: now, replayed: 0 });
    const fromStart = await hub.follower();
    assert.deepEqual(answer(await fromStart.invoke<CampaignRecovery>('SubscribeToCampaign', id, 0)), { recovered: true, lastSequence: now, replayed: now });
    await untilSequence(fromStart, now);
    assert.deepEqual(
      fromStart.messages().map((message) => message.sequence),
      numbers(1, now),
    );
    await hub.step(id);
    await untilSequence(current, now + 1);
    await untilSequence(fromStart, now + 1);
    assert.deepEqual(
      current.messages().map((message) => message.sequence),
      [now + 1],
      'live from there',
    );
  });

  test('fromSequence is validated; null behaves as leaving it out (the snapshot is returned)', async () => {
    const id = await hub.create(1);
    const client = await hub.follower();
    for (const bad of [-1, 1.5, '3', { offset: 1 }, Number.MAX_SAFE_INTEGER + 2]) {
      await assert.rejects(client.invoke('SubscribeToCampaign', id, bad), /HubException: fromSequence is the sequence number of the last event the client applied: an integer of at least 0, or null\./, JSON.stringify(bad));
    }
    await assert.rejects(client.invoke('SubscribeToCampaign', 'no-such-campaign', 3), /HubException: Campaign 'no-such-campaign' does not exist\./);
    const snapshot = await client.invoke<CampaignSnapshot>('SubscribeToCampaign', id, null);
    assert.equal(snapshot.campaignId, id);
    assert.equal(snapshot.lastEventSequence, 1);
    // Only a left-out fromSequence is filled in: more arguments than declared are refused as ever.
    await assert.rejects(client.invoke('SubscribeToCampaign', id, 1, 'extra'), /Failed to invoke 'SubscribeToCampaign' due to an error on the server\./);
  });
});

describe('SubscribeToCampaign(id, fromSequence) beyond a small window (3 entries)', () => {
  const hub = campaignsHarness({ history: { maxCount: 3 } });

  test('the history no longer holds fromSequence + 1: the snapshot comes first, then live messages after it; recovered false', async () => {
    const id = await hub.create(4);
    await hub.step(id, 3); // 1 created, 2 planning, 3–6 planned, 7 generating: the history keeps 5..7
    const back = await hub.follower();
    const racing = hub.step(id, 2);
    const result = await back.invoke<CampaignRecovery>('SubscribeToCampaign', id, 1);
    await racing;
    const final = await hub.finish(id);
    await untilSequence(back, final.lastEventSequence);

    assert.equal(result.recovered, false);
    assert.equal(result.replayed, 0);
    assert.equal(back.log[0]!.method, 'ReceiveCampaignSnapshot', 'the snapshot before any live message');
    assert.equal(back.log.filter((entry) => entry.method === 'ReceiveCampaignSnapshot').length, 1);
    const snapshot = back.log[0]!.payload as CampaignSnapshot;
    assert.ok(snapshot.lastEventSequence >= result.lastSequence);
    const live = back.messages().map((message) => message.sequence);
    assert.deepEqual(
      live.filter((sequence) => sequence > snapshot.lastEventSequence),
      numbers(snapshot.lastEventSequence + 1, final.lastEventSequence),
    );
    assert.ok(live.every((sequence) => sequence > result.lastSequence), 'nothing the history had given before the recovery');
    const view = new CampaignView(snapshot);
    view.applyAll(back.messages());
    assert.deepEqual(view.view(), withoutTimestamp(final));
  });

  test('a fromSequence ahead of the history is not recovered either: the snapshot says where the campaign is', async () => {
    const id = await hub.create(1);
    const client = await hub.follower();
    const result = await client.invoke<CampaignRecovery>('SubscribeToCampaign', id, 99);
    assert.deepEqual(answer(result), { recovered: false, lastSequence: 1, replayed: 0 });
    await until(() => client.log.length === 1, 5000, 'the snapshot');
    assert.equal(client.log[0]!.method, 'ReceiveCampaignSnapshot');
    assert.equal(client.log[0]!.payload.lastEventSequence, 1);
  });
});
