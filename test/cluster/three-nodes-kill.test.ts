/**
 * Three server processes on the shared Redis; the one leading the events simulator, which also
 * owns a campaign run and serves a synaxis member, is killed with SIGKILL (no goodbye). The
 * clients on the other nodes keep working, and the dead node drops out of what the cluster
 * reports within the documented figures (docs/server.md): its registry entry and its synaxis
 * memberships expire after three heartbeats (REDIS_HEARTBEAT_MS, here 200 ms), another node takes
 * the events lease over within about its TTL (REDIS_LEASE_TTL_MS, here 1.5 s), and its campaign
 * run is taken over once the run's claim expires (3 s) and continues without a gap in its
 * sequence numbers. Restarted, the node is a member again.
 *
 * One kill, one restart: each costs seconds on this machine, so the consequences of the one
 * kill are subtests of one test, and the restart overlaps the wait for the campaign takeover.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PlatformStats } from '../../apps/server/src/modules/admin/stats.js';
import type { ArtifactUpdate, CampaignDetails, CampaignSnapshot, OrchestrationEvent } from '../../apps/server/src/modules/campaigns/model.js';
import type { MockEvent } from '../../apps/server/src/modules/events/generator.js';
import { Inbox } from '../support/e2e.js';
import { eventually, ServerCluster, type NodeLogLine, type signalR } from '../support/server-cluster.js';
import { until, within } from '../support/wait.js';

const REDIS = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const HEARTBEAT_MS = 200;
/** docs/server.md: a registry entry (and a node's synaxis memberships) lives three heartbeats. */
const ENTRY_TTL_MS = 3 * HEARTBEAT_MS;
/**
 * docs/server.md: another node takes a lease over within about its TTL after the leader dies.
 * Not shorter: a leader whose renewal runs late on a busy machine would step down mid-test.
 */
const LEASE_TTL_MS = 1500;
/** apps/server campaigns: a run's claim lives 3 s after its last renewal; orphans are looked for every second. */
const CLAIM_TTL_MS = 3000;
const CLAIM_SCAN_MS = 1000;
/** What reads and polling add on top of a figure, on a loaded 2-core machine. */
const SLACK_MS = 1500;
/** Campaign steps: short, so a run outlives its owner and still ends within the test. */
const STEP_MS = 200;
const EVENTS_LEASE = 'events-simulator';

interface ChatMessage {
  readonly user: string;
  readonly text: string;
}

/** True if the node's latest line about `lease` says it leads. */
function leads(logs: readonly NodeLogLine[], lease: string): boolean {
  return logs.filter((line) => line['lease'] === lease).at(-1)?.msg === 'lease acquired: this node leads';
}

describe('a node killed with SIGKILL among three server processes', () => {
  let cluster: ServerCluster;

  before(async () => {
    cluster = await ServerCluster.start(3, {
      redisUrl: REDIS,
      env: {
        REDIS_HEARTBEAT_MS: String(HEARTBEAT_MS),
        REDIS_LEASE_TTL_MS: String(LEASE_TTL_MS),
        CAMPAIGN_STEP_MS: String(STEP_MS),
        EVENTS_ENABLED: 'true',
        EVENTS_MIN_DELAY_MS: '100',
        EVENTS_MAX_DELAY_MS: '200',
      },
    });
  });
  after(() => cluster?.stopAll());

  test('the events leader, owner of a campaign run, killed with SIGKILL', async (t) => {
    const leaders = () => [0, 1, 2].filter((index) => cluster.node(index).alive && leads(cluster.node(index).logs, EVENTS_LEASE));
    await until(() => leaders().length === 1, LEASE_TTL_MS * 3, 'one events leader');
    const victim = leaders()[0]!;
    const [a, b] = [0, 1, 2].filter((index) => index !== victim) as [number, number];
    const killedId = cluster.node(victim).nodeId;
    const adminToken = await cluster.token(a, 'admin');
    const janeToken = await cluster.token(a, 'jane.smith');

    // A campaign run owned by the victim (its creator), followed on both other nodes.
    const created = await cluster.request(victim, 'POST', '/api/campaigns', { token: janeToken, body: { name: 'orphaned', artifactCount: 4 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const campaignId = (created.body as CampaignDetails).campaignId;
    const followers = await Promise.all(
      [a, b].map(async (index, n) => {
        const messages: { sequence: number; at: number; event?: OrchestrationEvent }[] = [];
        const connection = await cluster.connect(index, '/hubs/campaigns', {
          protocol: n === 0 ? 'json' : 'messagepack',
          on: {
            ReceiveOrchestrationEvent: (event: OrchestrationEvent) => messages.push({ sequence: event.sequence, at: Date.now(), event }),
            ReceiveArtifactUpdate: (update: ArtifactUpdate) => messages.push({ sequence: update.sequence, at: Date.now() }),
          },
        });
        const snapshot = await within(connection.invoke<CampaignSnapshot>('SubscribeToCampaign', campaignId), 5000, 'SubscribeToCampaign');
        return { index, messages, snapshot };
      }),
    );

    // Events clients, chat on every node, admin figures and synaxis members on the survivors.
    const events = new Map<number, { event: MockEvent; at: number }[]>([
      [a, []],
      [b, []],
    ]);
    await Promise.all(
      [a, b].map((index, n) => cluster.connect(index, '/hubs/events', { protocol: n === 0 ? 'json' : 'messagepack', on: { ReceiveEvent: (event: MockEvent) => events.get(index)!.push({ event, at: Date.now() }) } })),
    );
    const admin = await cluster.connect(a, '/hubs/admin', { token: adminToken });
    const stats = () => within(admin.invoke<PlatformStats>('GetPlatformStats'), 5000, 'GetPlatformStats');
    const [chatA, chatVictim, chatB] = await Promise.all([
      cluster.connect(a, '/hubs/chat', { token: janeToken }),
      cluster.connect(victim, '/hubs/chat', { token: adminToken }),
      cluster.connect(b, '/hubs/chat', { token: await cluster.token(b, 'john.doe'), protocol: 'messagepack' }),
    ]);
    const inbox = new Map<signalR.HubConnection, Inbox>([chatA, chatB].map((connection) => [connection, new Inbox(connection, 'ReceiveMessage')]));
    const texts = (connection: signalR.HubConnection) => (inbox.get(connection)!.received as ChatMessage[]).map((message) => `${message.user}:${message.text}`);
    for (const index of [a, victim]) {
      const member = await cluster.connect(index, '/hubs/synaxis', { token: janeToken });
      await within(member.invoke('JoinOrganization', 'acme'), 5000, 'JoinOrganization');
    }
    const acmeMembers = async () => {
      const answer = await cluster.request(b, 'POST', '/api/synaxis/organizations/acme/notifications', {
        token: adminToken,
        body: { type: 'AuditEvent', payload: { actor: 'test', action: 'count', resource: 'members', outcome: 'success' } },
      });
      assert.equal(answer.status, 202);
      return answer.body.members as number;
    };

    await within(chatVictim.invoke('SendMessage', 'before'), 5000, 'SendMessage');
    await until(() => texts(chatA).includes('admin:before') && texts(chatB).includes('admin:before'), 5000, 'the victim reaches both');
    await eventually(stats, (value) => value.nodes.length === 3, 5000, 'three nodes in the figures');
    await eventually(acmeMembers, (count) => count === 2, 5000, 'two acme members');
    await until(() => [a, b].every((index) => events.get(index)!.length >= 3), 5000, 'events before the kill');
    const sequencesSeen = (follower: (typeof followers)[number]) => follower.messages.filter((message) => message.sequence > follower.snapshot.lastEventSequence);
    await until(() => followers.every((follower) => sequencesSeen(follower).length >= 2), 5000, 'the run under way on the victim');

    const exit = await cluster.kill(victim, 'SIGKILL');
    const killedAt = Date.now();
    assert.deepEqual(exit, { code: null, signal: 'SIGKILL' });
    const lastCampaignSequence = Math.max(...followers.map((follower) => follower.messages.at(-1)!.sequence));

    await t.test('the clients on the other nodes keep working: chat and admin alerts between them', async () => {
      await within(chatB.invoke('SendMessage', 'after, from b'), 5000, 'SendMessage on b');
      await within(chatA.invoke('SendMessage', 'after, from a'), 5000, 'SendMessage on a');
      await until(() => ['john.doe:after, from b', 'jane.smith:after, from a'].every((text) => texts(chatA).includes(text) && texts(chatB).includes(text)), 5000, 'chat between the survivors');
      const alerts = new Inbox(admin, 'ReceiveAlert');
      await within(admin.invoke('SubscribeToAlerts'), 5000, 'SubscribeToAlerts');
      const posted = await cluster.request(b, 'POST', '/api/admin/realtime/alert', { token: adminToken, body: { title: 'survivors', message: 'b to a' } });
      assert.equal(posted.status, 200);
      await until(() => alerts.received.length === 1, 5000, 'an alert from b on a');
    });

    await t.test('it leaves the admin figures within three heartbeats, without a goodbye', async (st) => {
      // Exactly the survivors, with their chat connections and not the dead node's (a survivor's
      // late heartbeat on a busy machine may hide it for a moment: that is polled past, too).
      const survivors = [cluster.node(a).nodeId, cluster.node(b).nodeId].sort().join();
      await eventually(
        stats,
        (value) => [...value.nodes.map((node) => node.nodeId)].sort().join() === survivors && value.connections.byHub['/hubs/chat'] === 2,
        ENTRY_TTL_MS + SLACK_MS,
        'the survivors alone in the figures',
      );
      const gone = Date.now() - killedAt;
      st.diagnostic(`the dead node left the admin figures ${gone} ms after SIGKILL (entry TTL ${ENTRY_TTL_MS} ms)`);
      const snapshot = await cluster.request(b, 'GET', '/api/admin/realtime/platform-snapshot', { token: adminToken });
      assert.equal((snapshot.body as PlatformStats).nodes.length, 2, 'b agrees');
    });

    await t.test('its synaxis member stops being counted within three heartbeats', async (st) => {
      await eventually(acmeMembers, (count) => count === 1, ENTRY_TTL_MS + SLACK_MS, 'one acme member left');
      st.diagnostic(`the dead node's synaxis member left the count ${Date.now() - killedAt} ms after SIGKILL`);
    });

    await t.test('another node takes the events over within the lease TTL and continues the stream; each event once on both survivors', async (st) => {
      const fresh = (index: number) => events.get(index)!.filter(({ event }) => Date.parse(event.timestamp) > killedAt);
      await until(() => [a, b].every((index) => fresh(index).length >= 3), LEASE_TTL_MS + SLACK_MS + 2000, 'events from the new leader');
      const takeover = fresh(a)[0]!.at - killedAt;
      st.diagnostic(`events resumed ${takeover} ms after the leader's SIGKILL (lease TTL ${LEASE_TTL_MS} ms)`);
      assert.ok(takeover <= LEASE_TTL_MS + SLACK_MS, `events resumed ${takeover} ms after SIGKILL`);
      assert.equal([a, b].filter((index) => leads(cluster.node(index).logs, EVENTS_LEASE)).length, 1, 'exactly one survivor leads');
      const key = (event: MockEvent) => `${event.timestamp} ${event.title}`;
      const [first, second] = [a, b].map((index) => events.get(index)!.map(({ event }) => key(event))) as [string[], string[]];
      for (const keys of [first, second]) assert.equal(new Set(keys).size, keys.length, 'each event once');
      // Both saw the same stream, from the first event both had on, up to what both have had time to get.
      const from = [first[0]!, second[0]!].sort().at(-1)!;
      const length = Math.min(first.filter((k) => k >= from).length, second.filter((k) => k >= from).length) - 1;
      assert.deepEqual(second.filter((k) => k >= from).slice(0, length), first.filter((k) => k >= from).slice(0, length));
      // The new leader goes on from the state the old one recorded: order ids never start over
      // (one may be skipped: recorded by the old leader, which died before sending it).
      const orders = events.get(a)!.flatMap(({ event }) => (event.type === 'NewOrder' ? [event.payload.orderId] : []));
      for (let i = 1; i < orders.length; i++) assert.ok(orders[i]! > orders[i - 1]! && orders[i]! <= orders[i - 1]! + 2, `order ids go on: ${orders.join(',')}`);
    });

    // The restart takes seconds on this machine: it runs while the campaign waits for its claim
    // to expire (the new process may be the one that takes the run over; it is another node too).
    const restarting = cluster.restart(victim);
    restarting.catch(() => undefined);

    await t.test('its campaign run is taken over after the claim expires and continues from its last state and sequence', async (st) => {
      await until(
        () => followers.every((follower) => follower.messages.some((message) => message.event?.eventType === 'CampaignCompleted')),
        CLAIM_TTL_MS + CLAIM_SCAN_MS + 20 * STEP_MS + SLACK_MS,
        'the run to complete on another node',
      );
      for (const follower of followers) {
        const sequences = sequencesSeen(follower).map((message) => message.sequence);
        const first = follower.snapshot.lastEventSequence + 1;
        assert.deepEqual(sequences, Array.from({ length: sequences.length }, (_, i) => first + i), `node ${follower.index + 1}: gap-free: ${sequences.join(',')}`);
        const runEvents = follower.messages.flatMap((message) => (message.event === undefined ? [] : [message.event]));
        for (let i = 1; i < runEvents.length; i++) assert.equal(runEvents[i]!.previousState, runEvents[i - 1]!.state, `event ${runEvents[i]!.sequence} starts where ${runEvents[i - 1]!.sequence} left`);
      }
      const resumed = followers[0]!.messages.find((message) => message.sequence > lastCampaignSequence);
      assert.ok(resumed !== undefined && resumed.at >= killedAt, 'messages after the kill');
      const takeover = resumed.at - killedAt;
      st.diagnostic(`the campaign run resumed ${takeover} ms after its owner's SIGKILL (claim TTL ${CLAIM_TTL_MS} ms, scan every ${CLAIM_SCAN_MS} ms)`);
      assert.ok(takeover <= CLAIM_TTL_MS + CLAIM_SCAN_MS + SLACK_MS, `taken over ${takeover} ms after SIGKILL`);
      const details = await cluster.request(a, 'GET', `/api/campaigns/${campaignId}`);
      assert.equal(details.body.currentState, 'completed');
      assert.equal(details.body.lastEventSequence, followers[0]!.messages.at(-1)!.sequence, 'the record ends at the last message sent');
      assert.equal((details.body as CampaignDetails).completedArtifacts.length, 4);
    });

    await t.test('restarted on its port, it is a member again', async () => {
      const back = await restarting;
      assert.notEqual(back.nodeId, killedId, 'a new process is a new node');
      const again = await cluster.connect(victim, '/hubs/chat', { token: adminToken, protocol: 'messagepack' });
      await eventually(stats, (value) => value.nodes.some((node) => node.nodeId === back.nodeId) && value.nodes.length === 3, 5000, 'the restarted node in the figures');
      await within(again.invoke('SendMessage', 'back'), 5000, 'SendMessage on the restarted node');
      await until(() => texts(chatA).includes('admin:back') && texts(chatB).includes('admin:back'), 5000, 'the restarted node reaches both');
      const listener = new Inbox(await cluster.connect(victim, '/hubs/events'), 'ReceiveEvent');
      await until(() => listener.received.length >= 1, 5000, 'events on the restarted node');
      for (const index of [a, b]) assert.ok(cluster.node(index).alive, `node ${index + 1} still runs`);
      assert.deepEqual(cluster.linesContaining([cluster.jwtSecret, adminToken, janeToken]), [], 'no secret in any line, the dead process included');
    });
  });
});
