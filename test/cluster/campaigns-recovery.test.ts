/**
 * `SubscribeToCampaign(id, fromSequence)` across two server apps on one Redis prefix (in this
 * process, each with its own Redis connections and node id), followed with the official client:
 * the history is in Redis, so a subscriber that left node A comes back on node B and is replayed
 * what it missed while A steps the run, in order and once, with the same positions; a gap older
 * than a small window, or a history Redis lost, gets the snapshot first and `recovered: false`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createClient } from '@redis/client';
import type { GroupPosition } from 'hubwire';
import type { CampaignDetails, CampaignRecovery, CampaignSnapshot } from '../../apps/server/src/modules/campaigns/model.js';
import { CampaignView, withoutTimestamp, type CampaignMessage } from '../server-modules/campaign-view.js';
import { until, within } from '../support/wait.js';
import { campaignNodes, type CampaignNode } from './campaigns-support.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

type Node = CampaignNode;

const startNodes = campaignNodes(REDIS_URL);

/** Two nodes of a new cluster, runs stepped by the test. */
async function twoNodes(history?: { maxCount: number }): Promise<{ a: Node; b: Node; prefix: string }> {
  const { nodes, prefix } = await startNodes(2, { autoRun: false, history });
  return { a: nodes[0]!, b: nodes[1]!, prefix };
}

/** An official client on `node` logging campaign events (and their trailing arguments) in arrival order. */
async function follower(node: Node) {
  const connection = await node.app.connect('/hubs/campaigns');
  const log: { method: string; payload: any; extra: unknown[] }[] = [];
  for (const method of ['ReceiveOrchestrationEvent', 'ReceiveArtifactUpdate', 'ReceiveCampaignSnapshot', 'ReceiveCancellationAcknowledgement']) {
    connection.on(method, (payload: unknown, ...extra: unknown[]) => log.push({ method, payload, extra }));
  }
  const messages = () => log.filter((entry) => entry.method === 'ReceiveOrchestrationEvent' || entry.method === 'ReceiveArtifactUpdate').map((entry) => entry.payload as CampaignMessage);
  return {
    connection,
    log,
    messages,
    invoke: <T>(method: string, ...args: unknown[]) => within(connection.invoke<T>(method, ...args), 5000, method),
    until: (sequence: number) => until(() => messages().some((message) => message.sequence === sequence), 5000, `message ${sequence}`),
  };
}

async function create(node: Node, artifactCount: number): Promise<string> {
  const response = await node.app.request('POST', '/api/campaigns', { token: await node.app.token('jane.smith'), body: { name: 'Recovery across nodes', artifactCount } });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return (response.body as CampaignDetails).campaignId;
}

async function steps(node: Node, id: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await node.campaigns.orchestrator!.step(id);
}

/** The answer without its position (checked on its own). */
const answer = ({ position: _position, ...rest }: CampaignRecovery) => rest;

const numbers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe('campaign recovery across nodes', () => {
  test('a subscriber that left node A comes back on node B: replayed in order while A steps the run, then live, each number once', async () => {
    const { a, b } = await twoNodes();
    const id = await create(a, 5);
    const first = await follower(a);
    const snapshot = await first.invoke<CampaignSnapshot>('SubscribeToCampaign', id);
    await steps(a, id, 4);
    const last = (await a.campaigns.orchestrator!.snapshot(id))!.lastEventSequence;
    await first.until(last);
    const epoch = (first.log.at(-1)!.extra[0] as GroupPosition).epoch;
    await within(first.connection.stop(), 5000, 'first client stop');

    await steps(a, id, 4);
    const back = await follower(b);
    const racing = steps(a, id, 4);
    const result = await back.invoke<CampaignRecovery>('SubscribeToCampaign', id, last);
    await racing;
    while (await a.campaigns.orchestrator!.step(id));
    const final = (await b.campaigns.orchestrator!.snapshot(id))!;
    await back.until(final.lastEventSequence);

    assert.equal(result.recovered, true);
    assert.ok(result.replayed >= 4, `replayed ${result.replayed}`);
    assert.deepEqual(
      back.messages().map((message) => message.sequence),
      numbers(last + 1, final.lastEventSequence),
    );
    assert.deepEqual(
      back.log.map((entry) => entry.extra[0]),
      back.messages().map((message) => ({ group: `campaign:${id}`, offset: message.sequence, epoch })),
      'the positions node A handed out: one history',
    );
    const view = new CampaignView(snapshot);
    view.applyAll([...first.messages(), ...back.messages()]);
    assert.deepEqual(view.view(), withoutTimestamp(final));
  });

  test('beyond a window of 3 entries, on the other node: the snapshot first, then the live messages after it', async () => {
    const { a, b } = await twoNodes({ maxCount: 3 });
    const id = await create(a, 4);
    await steps(a, id, 3); // sequences 1..7: the history keeps 5..7
    const back = await follower(b);
    const racing = steps(a, id, 2);
    const result = await back.invoke<CampaignRecovery>('SubscribeToCampaign', id, 2);
    await racing;
    while (await a.campaigns.orchestrator!.step(id));
    const final = (await a.campaigns.orchestrator!.snapshot(id))!;
    await back.until(final.lastEventSequence);

    assert.equal(result.recovered, false);
    assert.equal(back.log[0]!.method, 'ReceiveCampaignSnapshot');
    const snapshot = back.log[0]!.payload as CampaignSnapshot;
    const view = new CampaignView(snapshot);
    view.applyAll(back.messages());
    assert.deepEqual(view.view(), withoutTimestamp(final));
    assert.deepEqual(
      back.messages().map((message) => message.sequence).filter((sequence) => sequence > snapshot.lastEventSequence),
      numbers(snapshot.lastEventSequence + 1, final.lastEventSequence),
    );
  });

  test('a history Redis lost: the next message starts a new epoch at its own sequence; a client behind it gets the snapshot', async () => {
    const { a, b, prefix } = await twoNodes();
    const id = await create(a, 3);
    await steps(a, id, 2);
    const redis = createClient({ url: REDIS_URL, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
    await redis.connect();
    try {
      const keys: string[] = [];
      for await (const found of redis.scanIterator({ MATCH: `${prefix}:{CampaignsHub:campaign:${id}}:*`, COUNT: 500 })) keys.push(...found);
      assert.ok(keys.length >= 2, `the history's keys: ${keys.join(', ')}`);
      await redis.del(keys);
    } finally {
      redis.destroy();
    }
    await steps(a, id, 1);
    const at = (await a.campaigns.orchestrator!.snapshot(id))!.lastEventSequence;
    const back = await follower(b);
    const result = await back.invoke<CampaignRecovery>('SubscribeToCampaign', id, 1);
    assert.deepEqual(answer(result), { recovered: false, lastSequence: at, replayed: 0 });
    await until(() => back.log.length === 1, 5000, 'the snapshot');
    assert.equal(back.log[0]!.method, 'ReceiveCampaignSnapshot');
    assert.equal(back.log[0]!.payload.lastEventSequence, at);
    await steps(a, id, 1);
    await back.until(at + 1);
    const live = back.log.at(-1)!;
    assert.equal((live.extra[0] as GroupPosition).offset, at + 1, 'offsets stay the sequence numbers in the new epoch');
    const current = await follower(a);
    assert.deepEqual(answer(await current.invoke<CampaignRecovery>('SubscribeToCampaign', id, at + 1)), { recovered: true, lastSequence: at + 1, replayed: 0 });
  });
});
