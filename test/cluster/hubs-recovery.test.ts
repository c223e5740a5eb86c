/**
 * The seed hubs' recovering joins on two real server processes sharing one Redis, with the
 * official client: a client that was on node 1 comes back on node 2 and is replayed what it
 * missed — campaign messages while the run goes on (`SubscribeToCampaign(id, fromSequence)`),
 * organization notifications (`JoinOrganization(id, fromPosition)`), a workflow's chat, joins and
 * leaves (`JoinWorkflow(id, fromPosition)`) — in order and once, then live; a position of another
 * epoch gets `recovered: false`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { GroupPosition } from 'hubwire';
import type { CampaignDetails, CampaignRecovery, CampaignSnapshot } from '../../apps/server/src/modules/campaigns/model.js';
import type { WorkflowJoin } from '../../apps/server/src/modules/chat/chat-hub.js';
import type { OrganizationJoin, SynaxisNotification } from '../../apps/server/src/modules/synaxis/model.js';
import { eventually, ServerCluster, type signalR } from '../support/server-cluster.js';
import { until, within } from '../support/wait.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
/** Short steps: a run of 8 artifacts (23 steps) lasts about 2.3 s. */
const STEP_MS = 100;
const ALERT = { type: 'AuditEvent', payload: { actor: 'jane.smith', action: 'policy.updated', resource: 'routing/default', outcome: 'success' } };

/** What a client received: the first argument and the ones after it, per client method. */
interface Logged {
  readonly method: string;
  readonly payload: any;
  readonly extra: readonly unknown[];
}

describe('recovering joins on another server process', () => {
  let cluster: ServerCluster;

  before(async () => {
    cluster = await ServerCluster.start(2, { redisUrl: REDIS_URL, env: { CAMPAIGN_STEP_MS: String(STEP_MS) } });
  });
  after(() => cluster?.stopAll());

  async function client(index: number, path: string, methods: readonly string[], options: { token?: string; protocol?: 'json' | 'messagepack' } = {}) {
    const log: Logged[] = [];
    const on = Object.fromEntries(methods.map((method) => [method, (payload: unknown, ...extra: unknown[]) => log.push({ method, payload, extra })]));
    const connection = await cluster.connect(index, path, { ...options, on });
    return {
      connection,
      log,
      invoke: <T>(method: string, ...args: unknown[]) => within(connection.invoke<T>(method, ...args), 5000, method),
      stop: (c: signalR.HubConnection = connection) => within(c.stop(), 5000, `${path} client stop`),
    };
  }

  test('campaigns: the run goes on while the subscriber is away; back on the other node it is replayed from fromSequence, then live', async () => {
    const token = await cluster.token(0, 'jane.smith');
    const created = await cluster.request(0, 'POST', '/api/campaigns', { token, body: { name: 'Away and back', artifactCount: 8 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = (created.body as CampaignDetails).campaignId;
    const methods = ['ReceiveOrchestrationEvent', 'ReceiveArtifactUpdate', 'ReceiveCampaignSnapshot'];
    const first = await client(0, '/hubs/campaigns', methods);
    const snapshot = await first.invoke<CampaignSnapshot>('SubscribeToCampaign', id);
    await until(() => first.log.length >= 4, 5000, 'the run to progress');
    await first.stop();
    const last = Math.max(...first.log.map((entry) => entry.payload.sequence as number));
    // Away for a few steps: the run (on node 1) goes on.
    await eventually(() => cluster.request(1, 'GET', `/api/campaigns/${id}`), (answer) => answer.body.lastEventSequence >= last + 4, 5000, 'the run to go on');

    const back = await client(1, '/hubs/campaigns', methods, { protocol: 'messagepack' });
    const result = await back.invoke<CampaignRecovery>('SubscribeToCampaign', id, last);
    const total = 3 * 8 + 7;
    await until(() => back.log.some((entry) => entry.payload.sequence === total), 10_000, 'the run to complete');

    assert.equal(result.recovered, true);
    assert.ok(result.replayed >= 4, `replayed ${result.replayed}`);
    assert.deepEqual(
      back.log.map((entry) => entry.payload.sequence),
      Array.from({ length: total - last }, (_, i) => last + 1 + i),
      'every number after fromSequence, once, in order',
    );
    const epoch = (first.log[0]!.extra[0] as GroupPosition).epoch;
    assert.deepEqual(
      back.log.map((entry) => entry.extra[0]),
      back.log.map((entry) => ({ group: `campaign:${id}`, offset: entry.payload.sequence, epoch })),
    );
    assert.ok(snapshot.lastEventSequence <= last);
  });

  test('synaxis: notifications missed on node 1 are replayed on node 2 with notifications racing the join; another epoch is not recovered', async () => {
    const token = await cluster.token(0, 'jane.smith');
    const admin = await cluster.token(1, 'admin');
    const types = ['ProviderHealthChanged', 'CostOptimizationApplied', 'ModelDiscovered', 'SecurityAlert', 'AuditEvent'];
    const notify = async (index: number, times: number) => {
      const ids: string[] = [];
      for (let i = 0; i < times; i++) {
        const answer = await cluster.request(index, 'POST', '/api/synaxis/organizations/acme/notifications', { token: admin, body: ALERT });
        assert.equal(answer.status, 202, JSON.stringify(answer.body));
        ids.push((answer.body.notification as SynaxisNotification).notificationId);
      }
      return ids;
    };
    const first = await client(0, '/hubs/synaxis', types, { token });
    const joined = await first.invoke<OrganizationJoin>('JoinOrganization', 'acme');
    await notify(1, 2);
    await until(() => first.log.length === 2, 5000, 'two notifications on node 1');
    const last = first.log.at(-1)!.extra[0] as GroupPosition;
    assert.deepEqual(last, { ...joined.position, offset: joined.position.offset + 2 });
    await first.stop();

    const missed = await notify(0, 3);
    const back = await client(1, '/hubs/synaxis', types, { token });
    const racing = notify(0, 3);
    const result = await back.invoke<OrganizationJoin>('JoinOrganization', 'acme', last);
    const raced = await racing;
    await until(() => back.log.length === missed.length + raced.length, 5000, 'the missed and the raced ones');
    assert.equal(result.recovered, true);
    assert.deepEqual(
      back.log.map((entry) => entry.payload.notificationId),
      [...missed, ...raced],
    );
    assert.deepEqual(
      back.log.map((entry) => (entry.extra[0] as GroupPosition).offset),
      Array.from({ length: 6 }, (_, i) => last.offset + 1 + i),
    );

    const stranger = await client(0, '/hubs/synaxis', types, { token });
    const lost = await stranger.invoke<OrganizationJoin>('JoinOrganization', 'acme', { offset: 1, epoch: 'an-epoch-redis-lost' });
    assert.deepEqual([lost.recovered, lost.replayed, lost.position.epoch], [false, 0, last.epoch]);
    const [live] = await notify(1, 1);
    await until(() => stranger.log.length === 1 && back.log.length === 7, 5000, 'the live one on both nodes');
    assert.equal(stranger.log[0]!.payload.notificationId, live);
  });

  test('chat: a member that dropped off node 2 rejoins on node 1 and gets what the workflow said, joins and leaves included', async () => {
    const workflow = `wf-${Date.now().toString(36)}`;
    const methods = ['ReceiveMessage', 'UserJoined', 'UserLeft'];
    const jane = await client(0, '/hubs/chat', methods, { token: await cluster.token(0, 'jane.smith') });
    const johnToken = await cluster.token(1, 'john.doe');
    const john = await client(1, '/hubs/chat', methods, { token: johnToken });
    await jane.invoke('JoinWorkflow', workflow);
    await john.invoke('JoinWorkflow', workflow);
    await jane.invoke('SendMessage', 'before');
    await until(() => john.log.some((entry) => entry.payload.text === 'before'), 5000, "'before' at john");
    const last = john.log.at(-1)!.extra[0] as GroupPosition;
    await john.stop();

    await until(() => jane.log.some((entry) => entry.method === 'UserLeft'), 5000, 'UserLeft (disconnected) at jane');
    await jane.invoke('SendMessage', 'missed 1');
    await jane.invoke('SendMessage', 'missed 2');
    const back = await client(0, '/hubs/chat', methods, { token: johnToken });
    const result = await back.invoke<WorkflowJoin>('JoinWorkflow', workflow, last);
    assert.deepEqual([result.recovered, result.replayed], [true, 3]);
    assert.deepEqual(
      back.log.map((entry) => [entry.method, entry.payload.text ?? entry.payload.reason]),
      [
        ['UserLeft', 'disconnected'],
        ['ReceiveMessage', 'missed 1'],
        ['ReceiveMessage', 'missed 2'],
      ],
    );
    await jane.invoke('SendMessage', 'live');
    await until(() => back.log.length === 4, 5000, 'the live message');
    assert.deepEqual([back.log[3]!.payload.text, (back.log[3]!.extra[0] as GroupPosition).offset], ['live', last.offset + 5], 'after its own UserJoined, which went to jane');
  });
});
