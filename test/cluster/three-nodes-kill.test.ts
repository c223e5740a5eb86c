/**
 * Three server processes on the shared Redis, one of them killed with SIGKILL (no goodbye): the
 * clients on the other nodes keep working, and the killed node drops out of what the cluster
 * reports within the documented figures (docs/server.md: a node's registry entry expires after
 * three heartbeats, REDIS_HEARTBEAT_MS; here 200 ms, so 600 ms). Restarted, it joins again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PlatformStats } from '../../apps/server/src/modules/admin/stats.js';
import type { ArtifactUpdate, CampaignDetails, CampaignSnapshot, OrchestrationEvent } from '../../apps/server/src/modules/campaigns/model.js';
import { Inbox } from '../support/e2e.js';
import { eventually, ServerCluster, type signalR } from '../support/server-cluster.js';
import { until, within } from '../support/wait.js';

const REDIS = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const HEARTBEAT_MS = 200;
/** docs/server.md: an entry lives three heartbeats. */
const ENTRY_TTL_MS = 3 * HEARTBEAT_MS;
/** What a read and the polling add on top: one heartbeat and a loaded 2-core machine. */
const SLACK_MS = 1000;

/** Campaign steps: short, so a run outlives its owner's death and still ends within the test. */
const STEP_MS = 200;
/** apps/server campaigns: a run's claim lives 3 s after its last renewal; orphans are looked for every second. */
const CLAIM_TTL_MS = 3000;
const CLAIM_SCAN_MS = 1000;

interface ChatMessage {
  readonly user: string;
  readonly text: string;
}

describe('a node killed with SIGKILL, three server processes', () => {
  let cluster: ServerCluster;

  before(async () => {
    cluster = await ServerCluster.start(3, { redisUrl: REDIS, env: { REDIS_HEARTBEAT_MS: String(HEARTBEAT_MS), REDIS_LEASE_TTL_MS: '1000', CAMPAIGN_STEP_MS: String(STEP_MS) } });
  });
  after(() => cluster?.stopAll());

  test('the clients on the other nodes keep working; the killed node leaves the admin figures within three heartbeats; restarted, it is back', async (t) => {
    const adminToken = await cluster.token(0, 'admin');
    const admin = await cluster.connect(0, '/hubs/admin', { token: adminToken });
    const stats = () => within(admin.invoke<PlatformStats>('GetPlatformStats'), 5000, 'GetPlatformStats');
    const [jane, victim, john] = await Promise.all([
      cluster.connect(0, '/hubs/chat', { token: await cluster.token(0, 'jane.smith') }),
      cluster.connect(1, '/hubs/chat', { token: await cluster.token(1, 'admin') }),
      cluster.connect(2, '/hubs/chat', { token: await cluster.token(2, 'john.doe'), protocol: 'messagepack' }),
    ]);
    const inbox = new Map<signalR.HubConnection, Inbox>([jane, john].map((connection) => [connection, new Inbox(connection, 'ReceiveMessage')]));
    const texts = (connection: signalR.HubConnection) => (inbox.get(connection)!.received as ChatMessage[]).map((message) => `${message.user}:${message.text}`);
    const killed = cluster.node(1).nodeId;

    await within(victim.invoke('SendMessage', 'before'), 5000, 'SendMessage');
    await until(() => texts(jane).includes('admin:before') && texts(john).includes('admin:before'), 5000, 'the victim reaches both');
    await eventually(stats, (value) => value.nodes.length === 3, 5000, 'three nodes in the figures');

    const exit = await cluster.kill(1, 'SIGKILL');
    const killedAt = Date.now();
    assert.deepEqual(exit, { code: null, signal: 'SIGKILL' });

    // The survivors go on talking to each other, chat and admin alike.
    await within(john.invoke('SendMessage', 'after, from node 3'), 5000, 'SendMessage on node 3');
    await within(jane.invoke('SendMessage', 'after, from node 1'), 5000, 'SendMessage on node 1');
    await until(() => ['john.doe:after, from node 3', 'jane.smith:after, from node 1'].every((text) => texts(jane).includes(text) && texts(john).includes(text)), 5000, 'chat between nodes 1 and 3');
    const alerts = new Inbox(admin, 'ReceiveAlert');
    await within(admin.invoke('SubscribeToAlerts'), 5000, 'SubscribeToAlerts');
    const posted = await cluster.request(2, 'POST', '/api/admin/realtime/alert', { token: adminToken, body: { title: 'survivors', message: 'node 3 to node 1' } });
    assert.equal(posted.status, 200);
    await until(() => alerts.received.length === 1, 5000, 'an alert from node 3 on node 1');

    // The figures: node 2's entry expires, nobody has to say goodbye for it.
    let figures = await stats();
    while (figures.nodes.some((node) => node.nodeId === killed)) {
      if (Date.now() - killedAt > ENTRY_TTL_MS + SLACK_MS) assert.fail(`node 2 still in the figures ${Date.now() - killedAt} ms after SIGKILL`);
      await new Promise((resolve) => setTimeout(resolve, 25));
      figures = await stats();
    }
    const gone = Date.now() - killedAt;
    assert.ok(gone <= ENTRY_TTL_MS + SLACK_MS, `gone after ${gone} ms`);
    t.diagnostic(`node 2 left the admin figures ${gone} ms after SIGKILL (entry TTL ${ENTRY_TTL_MS} ms)`);
    assert.deepEqual([...figures.nodes.map((node) => node.nodeId)].sort(), [cluster.node(0).nodeId, cluster.node(2).nodeId].sort());
    assert.equal(figures.connections.byHub['/hubs/chat'], 2, "the victim's chat connection is not counted");
    const snapshot = await cluster.request(2, 'GET', '/api/admin/realtime/platform-snapshot', { token: adminToken });
    assert.equal((snapshot.body as PlatformStats).nodes.length, 2, 'node 3 agrees');

    // Restarted on its port, the node is a member again: in the figures, and reached by chat.
    const back = await cluster.restart(1);
    assert.notEqual(back.nodeId, killed, 'a new process is a new node');
    const again = await cluster.connect(1, '/hubs/chat', { token: await cluster.token(1, 'admin'), protocol: 'messagepack' });
    await eventually(stats, (value) => value.nodes.some((node) => node.nodeId === back.nodeId), 5000, 'the restarted node in the figures');
    await within(again.invoke('SendMessage', 'back'), 5000, 'SendMessage on the restarted node');
    await until(() => texts(jane).includes('admin:back') && texts(john).includes('admin:back'), 5000, 'the restarted node reaches both');
    for (const index of [0, 2]) assert.ok(cluster.node(index).alive, `node ${index + 1} still runs`);
  });

  test('a campaign run whose node is killed is taken over by another node and continues from its last state and sequence', async (t) => {
    const owner = 1;
    const jane = await cluster.token(0, 'jane.smith');
    const created = await cluster.request(owner, 'POST', '/api/campaigns', { token: jane, body: { name: 'orphaned', artifactCount: 4 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = (created.body as CampaignDetails).campaignId;
    const followers = await Promise.all(
      [0, 2].map(async (index) => {
        const messages: { sequence: number; at: number; event?: OrchestrationEvent }[] = [];
        const connection = await cluster.connect(index, '/hubs/campaigns', {
          protocol: index === 2 ? 'messagepack' : 'json',
          on: {
            ReceiveOrchestrationEvent: (event: OrchestrationEvent) => messages.push({ sequence: event.sequence, at: Date.now(), event }),
            ReceiveArtifactUpdate: (update: ArtifactUpdate) => messages.push({ sequence: update.sequence, at: Date.now() }),
          },
        });
        const snapshot = await within(connection.invoke<CampaignSnapshot>('SubscribeToCampaign', id), 5000, 'SubscribeToCampaign');
        return { index, connection, messages, snapshot };
      }),
    );
    const seen = (follower: (typeof followers)[number]) => follower.messages.filter((message) => message.sequence > follower.snapshot.lastEventSequence);
    await until(() => followers.every((follower) => seen(follower).length >= 2), 5000, 'the run under way on its owner');

    await cluster.kill(owner, 'SIGKILL');
    const killedAt = Date.now();
    const lastBefore = Math.max(...followers.map((follower) => follower.messages.at(-1)!.sequence));
    await until(
      () => followers.every((follower) => follower.messages.some((message) => message.event?.eventType === 'CampaignCompleted')),
      CLAIM_TTL_MS + CLAIM_SCAN_MS + 30 * STEP_MS + 3000,
      'the run to complete on another node',
    );
    for (const follower of followers) {
      const sequences = seen(follower).map((message) => message.sequence);
      const first = follower.snapshot.lastEventSequence + 1;
      assert.deepEqual(sequences, Array.from({ length: sequences.length }, (_, i) => first + i), `node ${follower.index + 1}: gap-free: ${sequences.join(',')}`);
      // The state machine goes on where it was: every event starts from the state the previous one left.
      const events = follower.messages.flatMap((message) => (message.event === undefined ? [] : [message.event]));
      for (let i = 1; i < events.length; i++) assert.equal(events[i]!.previousState, events[i - 1]!.state, `node ${follower.index + 1}: event ${events[i]!.sequence} follows ${events[i - 1]!.sequence}`);
    }
    const resumed = followers[0]!.messages.find((message) => message.sequence > lastBefore && message.at >= killedAt);
    assert.ok(resumed !== undefined, 'messages after the kill');
    const takeover = resumed.at - killedAt;
    assert.ok(takeover <= CLAIM_TTL_MS + CLAIM_SCAN_MS + 1500, `taken over ${takeover} ms after SIGKILL`);
    t.diagnostic(`campaign run resumed ${takeover} ms after its owner's SIGKILL (claim TTL ${CLAIM_TTL_MS} ms, scan every ${CLAIM_SCAN_MS} ms)`);

    const details = await cluster.request(0, 'GET', `/api/campaigns/${id}`);
    assert.equal(details.body.currentState, 'completed');
    assert.equal(details.body.lastEventSequence, followers[0]!.messages.at(-1)!.sequence, 'the record ends at the last message sent');
    assert.equal((details.body as CampaignDetails).completedArtifacts.length, 4);
  });
});
