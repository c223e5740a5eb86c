/**
 * Three processes of the real server against the real Redis on 127.0.0.1:6379, official
 * @microsoft/signalr clients (JSON and MessagePack) spread over them: every hub's happy path
 * across nodes. The nodes log in to Redis as a user of the test's own that may touch only keys
 * and channels under the cluster's prefix, so a key outside REDIS_PREFIX fails here; and its
 * password, like the JWT secret and the tokens, must not reach any log line.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createClient } from '@redis/client';
import { Inbox } from '../support/e2e.js';
import type { PlatformStats } from '../../apps/server/src/modules/admin/stats.js';
import type { MockEvent } from '../../apps/server/src/modules/events/generator.js';
import type { ArtifactUpdate, CampaignDetails, CampaignSnapshot, OrchestrationEvent } from '../../apps/server/src/modules/campaigns/model.js';
import { eventually, ServerCluster, type signalR } from '../support/server-cluster.js';
import { until, within } from '../support/wait.js';

const REDIS = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

interface ChatMessage {
  readonly messageId: string;
  readonly user: string;
  readonly text: string;
  readonly workflowId: string | null;
}

/** A Redis user limited to `prefix`'s keys and channels; removed by `drop()`. */
async function prefixUser(prefix: string): Promise<{ url: string; password: string; drop(): Promise<void> }> {
  const name = `hubwire-test-${randomUUID()}`;
  const password = randomBytes(18).toString('hex');
  const admin = createClient({ url: REDIS, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
  admin.on('error', () => undefined);
  await within(admin.connect(), 3000, 'admin Redis connection');
  try {
    await admin.sendCommand(['ACL', 'SETUSER', name, 'on', `>${password}`, 'resetkeys', `~${prefix}:*`, 'resetchannels', `&${prefix}:*`, '+@all']);
  } finally {
    admin.destroy();
  }
  const url = new URL(REDIS);
  url.username = name;
  url.password = password;
  return {
    url: url.toString(),
    password,
    async drop() {
      const client = createClient({ url: REDIS, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
      client.on('error', () => undefined);
      try {
        await within(client.connect(), 3000, 'admin Redis connection');
        await client.sendCommand(['ACL', 'DELUSER', name]);
      } catch {
        // Best effort: a leftover user can touch only its own, random prefix.
      } finally {
        client.destroy();
      }
    },
  };
}

describe('three server processes on one Redis', () => {
  let cluster: ServerCluster;
  let redisUser: Awaited<ReturnType<typeof prefixUser>> | undefined;
  const prefix = `hubwire-test-${randomUUID()}`;
  const tokens: string[] = [];

  before(async () => {
    redisUser = await prefixUser(prefix);
    // A short registry heartbeat, so the admin figures see a new connection within a fraction of
    // a second; short campaign steps, so a run ends within the test; the events simulator on every
    // node (one of them leads) with an event every 100 to 200 ms. The leases keep their default
    // TTL: nobody dies here, and a short one could change hands on a busy machine mid-test.
    cluster = await ServerCluster.start(3, {
      redisUrl: redisUser.url,
      prefix,
      env: { REDIS_HEARTBEAT_MS: '200', CAMPAIGN_STEP_MS: '100', EVENTS_ENABLED: 'true', EVENTS_MIN_DELAY_MS: '100', EVENTS_MAX_DELAY_MS: '200' },
    });
  });
  after(async () => {
    await cluster?.stopAll();
    await redisUser?.drop();
  });

  async function token(index: number, username: string): Promise<string> {
    const issued = await cluster.token(index, username);
    tokens.push(issued);
    return issued;
  }

  test('the nodes are three members of one cluster: each names its own node id and the prefix, none the Redis password', () => {
    const ids = [0, 1, 2].map((index) => cluster.node(index).nodeId);
    assert.equal(new Set(ids).size, 3, `three node ids: ${ids.join(', ')}`);
    for (const index of [0, 1, 2]) {
      const listening = cluster.node(index).logs.find((line) => line.msg === 'hubwire server listening');
      const info = listening?.['cluster'] as { prefix?: string; redis?: string } | undefined;
      assert.equal(info?.prefix, prefix);
      assert.equal(info?.redis, 'redis://127.0.0.1:6379', 'the endpoint without user and password');
    }
  });

  test('events: one simulator in the cluster; clients on the three nodes get the same events, each once; GetRecentEvents agrees on every node', async () => {
    const leaders = [0, 1, 2].filter((index) => cluster.node(index).logs.some((line) => line['lease'] === 'events-simulator' && line.msg === 'lease acquired: this node leads'));
    assert.equal(leaders.length, 1, `one events leader, got nodes ${leaders.map((index) => index + 1).join(', ')}`);
    const received = [[], [], []] as MockEvent[][];
    await Promise.all([0, 1, 2].map((index) => cluster.connect(index, '/hubs/events', { protocol: index === 1 ? 'messagepack' : 'json', on: { ReceiveEvent: (event: MockEvent) => received[index]!.push(event) } })));
    await until(() => received.every((events) => events.length >= 6), 5000, 'six events on every node');
    // From the first event every client had on: the same stream, nothing twice.
    const key = (event: MockEvent) => `${event.timestamp} ${event.title}`;
    const start = received.map((events) => key(events[0]!)).sort().at(-1)!;
    const streams = received.map((events) => events.map(key).filter((k) => k >= start).slice(0, 4));
    assert.deepEqual(streams[1], streams[0], 'node 2 (MessagePack) sees what node 1 sees');
    assert.deepEqual(streams[2], streams[0], 'node 3 sees what node 1 sees');
    for (const [index, events] of received.entries()) assert.equal(new Set(events.map(key)).size, events.length, `node ${index + 1}: each event once`);
    const orders = received[0]!.flatMap((event) => (event.type === 'NewOrder' ? [event.payload.orderId] : []));
    for (let i = 1; i < orders.length; i++) assert.equal(orders[i], orders[i - 1]! + 1, 'one order id sequence in the cluster');
    const askers = await Promise.all([0, 1, 2].map((index) => cluster.connect(index, '/hubs/events')));
    const recent = await eventually(
      () => Promise.all(askers.map((connection) => within(connection.invoke<MockEvent[]>('GetRecentEvents'), 5000, 'GetRecentEvents'))),
      (lists) => lists.every((list) => JSON.stringify(list) === JSON.stringify(lists[0])),
      5000,
      'the same recent events on every node',
    );
    assert.ok(recent[0]!.length >= 6);
  });

  test('admin: a REST alert posted on node 1 reaches the alert subscribers on nodes 1, 2 and 3 once each (JSON and MessagePack)', async () => {
    const admin = await token(0, 'admin');
    const watchers = await Promise.all([
      cluster.connect(0, '/hubs/admin', { token: admin }),
      cluster.connect(1, '/hubs/admin', { token: admin, protocol: 'messagepack' }),
      cluster.connect(2, '/hubs/admin', { token: admin }),
    ]);
    const inboxes = watchers.map((watcher) => new Inbox(watcher, 'ReceiveAlert'));
    await Promise.all(watchers.map((watcher) => within(watcher.invoke('SubscribeToAlerts'), 5000, 'SubscribeToAlerts')));

    for (const title of ['across nodes', 'second']) {
      const answer = await cluster.request(0, 'POST', '/api/admin/realtime/alert/warning', { token: admin, body: { title, message: `${title} from node 1` } });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
    await until(() => inboxes.every((inbox) => inbox.received.length >= 2), 5000, 'both alerts on every node');
    for (const [index, inbox] of inboxes.entries()) {
      const titles = (inbox.received as { title: string; severity: string }[]).map((alert) => `${alert.title}/${alert.severity}`);
      assert.deepEqual(titles, ['across nodes/warning', 'second/warning'], `node ${index + 1}: each alert once, in order`);
    }
    // A broadcast from a hub method on node 3 reaches the node-1 admin through the `admins` group.
    const inbox = new Inbox(watchers[0]!, 'ReceiveSystemEvent');
    await within(watchers[2]!.invoke('BroadcastSystemEvent', { eventType: 'deploy', message: 'from node 3' }), 5000, 'BroadcastSystemEvent');
    await until(() => inbox.received.length === 1, 5000, 'system event on node 1');
    assert.equal((inbox.received[0] as { message: string }).message, 'from node 3');
  });

  test('admin stats: GetPlatformStats on node 2 and the REST platform-snapshot on node 3 count every node, with a breakdown per node', async () => {
    const admin = await token(1, 'admin');
    const watcher = await cluster.connect(1, '/hubs/admin', { token: admin, protocol: 'messagepack' });
    const ids = [0, 1, 2].map((index) => cluster.node(index).nodeId);
    const events = (stats: PlatformStats) => ids.map((id) => stats.nodes.find((node) => node.nodeId === id)?.connections.byHub['/hubs/events'] ?? -1);
    const read = () => within(watcher.invoke<PlatformStats>('GetPlatformStats'), 5000, 'GetPlatformStats');
    // Other nodes' entries are as of their last heartbeat: the baseline is a reading that two
    // heartbeats do not change (nothing else connects meanwhile).
    let previous = '';
    const before = await eventually(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 400));
        return read();
      },
      (stats) => {
        const now = `${stats.nodes.length} ${events(stats).join()}`;
        const stable = now === previous && stats.nodes.length === 3;
        previous = now;
        return stable;
      },
      5000,
      'steady figures of three nodes',
    );
    assert.deepEqual([...before.nodes.map((node) => node.nodeId)].sort(), [...ids].sort());
    // One more /hubs/events connection on node 1, two on node 2, three on node 3.
    const added = [1, 2, 3];
    await Promise.all(added.flatMap((count, index) => Array.from({ length: count }, () => cluster.connect(index, '/hubs/events', { protocol: index === 1 ? 'messagepack' : 'json' }))));
    const expected = events(before).map((count, index) => count + added[index]!);
    const stats = await eventually(read, (value) => events(value).join() === expected.join(), 5000, `per-node events connections ${expected.join(', ')}`);
    assert.equal(stats.nodeId, ids[1], 'answered by the node asked');
    assert.equal(stats.partial, false);
    assert.equal(stats.connections.byHub['/hubs/events'], expected.reduce((sum, count) => sum + count, 0), 'the total is the sum of the nodes');
    assert.equal(stats.connections.total, stats.nodes.reduce((sum, node) => sum + node.connections.total, 0));
    for (const [index, id] of ids.entries()) assert.equal(stats.nodes.find((node) => node.nodeId === id)?.url, cluster.node(index).url, `node ${index + 1} names its URL`);
    const count = await within(watcher.invoke<number>('GetConnectionCount'), 5000, 'GetConnectionCount');
    assert.ok(count >= stats.connections.total - 1 && count <= stats.connections.total + 1, `GetConnectionCount ${count} ≈ ${stats.connections.total}`);
    const snapshot = await eventually(
      async () => {
        const answer = await cluster.request(2, 'GET', '/api/admin/realtime/platform-snapshot', { token: admin });
        assert.equal(answer.status, 200);
        return answer.body as PlatformStats;
      },
      (value) => events(value).join() === expected.join(),
      5000,
      'the same per-node figures on node 3',
    );
    assert.equal(snapshot.nodeId, ids[2]);
  });

  test('chat: messages to everyone and to a workflow, UserJoined and UserLeft, across nodes', async () => {
    const [jane, john, admin] = await Promise.all([
      cluster.connect(0, '/hubs/chat', { token: await token(0, 'jane.smith') }),
      cluster.connect(1, '/hubs/chat', { token: await token(1, 'john.doe'), protocol: 'messagepack' }),
      cluster.connect(2, '/hubs/chat', { token: await token(2, 'admin') }),
    ]);
    const inboxes = new Map<signalR.HubConnection, Inbox>([jane, john, admin].map((connection) => [connection, new Inbox(connection, 'ReceiveMessage')]));
    const joined = new Inbox(jane, 'UserJoined');
    const left = new Inbox(jane, 'UserLeft');
    const texts = (connection: signalR.HubConnection) => (inboxes.get(connection)!.received as ChatMessage[]).map((message) => `${message.user}:${message.text}:${message.workflowId ?? '-'}`);
    const send = (connection: signalR.HubConnection, text: string) => within(connection.invoke('SendMessage', text), 5000, 'SendMessage') as Promise<{ messageId: string }>;

    await send(jane, 'hello everyone');
    await until(() => [jane, john, admin].every((connection) => texts(connection).length === 1), 5000, 'the broadcast on three nodes');

    const workflow = `wf-${randomUUID()}`;
    await within(jane.invoke('JoinWorkflow', workflow), 5000, 'jane joins');
    await within(john.invoke('JoinWorkflow', workflow), 5000, 'john joins');
    await until(() => joined.received.length === 1, 5000, 'UserJoined on node 1');
    assert.equal((joined.received[0] as { user: string }).user, 'john.doe');

    await send(john, 'only the workflow');
    await within(john.invoke('LeaveWorkflow', workflow), 5000, 'john leaves');
    await until(() => left.received.length === 1, 5000, 'UserLeft on node 1');
    assert.deepEqual({ ...(left.received[0] as object), timestamp: undefined, connectionId: undefined }, { workflowId: workflow, user: 'john.doe', reason: 'left', timestamp: undefined, connectionId: undefined });

    // The admin is in no workflow: its message goes to everyone and marks the end.
    await send(admin, 'the end');
    await until(() => [jane, john, admin].every((connection) => texts(connection).includes('admin:the end:-')), 5000, 'the last broadcast');
    assert.deepEqual(texts(jane), ['jane.smith:hello everyone:-', `john.doe:only the workflow:${workflow}`, 'admin:the end:-']);
    assert.deepEqual(texts(john), ['jane.smith:hello everyone:-', `john.doe:only the workflow:${workflow}`, 'admin:the end:-']);
    assert.deepEqual(texts(admin), ['jane.smith:hello everyone:-', 'admin:the end:-'], 'not in the workflow');
  });

  test('synaxis: a notification sent by REST on node 3 reaches the organization members on nodes 1 and 2, and nobody else', async () => {
    const jane = await token(0, 'jane.smith');
    const [janeOne, janeTwo, john] = await Promise.all([
      cluster.connect(0, '/hubs/synaxis', { token: jane }),
      cluster.connect(1, '/hubs/synaxis', { token: jane, protocol: 'messagepack' }),
      cluster.connect(2, '/hubs/synaxis', { token: await token(2, 'john.doe') }),
    ]);
    for (const [connection, organization] of [[janeOne, 'acme'], [janeTwo, 'acme'], [john, 'globex']] as const) {
      await within(connection.invoke('JoinOrganization', organization), 5000, `JoinOrganization ${organization}`);
    }
    const inboxes = [janeOne, janeTwo, john].map((connection) => new Inbox(connection, 'SecurityAlert'));
    const admin = await token(2, 'admin');
    const notify = async (organization: string, message: string) => {
      const answer = await cluster.request(2, 'POST', `/api/synaxis/organizations/${organization}/notifications`, {
        token: admin,
        body: { type: 'SecurityAlert', payload: { severity: 'high', category: 'auth', message, sourceIp: null } },
      });
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      return { ...(answer.body.notification as { notificationId: string }), members: answer.body.members as number };
    };
    const sent = await notify('acme', 'for acme');
    await notify('globex', 'for globex');
    assert.equal(sent.members, 2, 'node 3 counts the two acme members on nodes 1 and 2');
    await until(() => inboxes.every((inbox) => inbox.received.length >= 1), 5000, 'every member got its organization’s alert');
    const seen = inboxes.map((inbox) => (inbox.received as { organizationId: string; message: string; notificationId: string }[]).map((n) => `${n.organizationId}:${n.message}:${n.notificationId}`));
    assert.deepEqual(seen[0], [`acme:for acme:${sent.notificationId}`]);
    assert.deepEqual(seen[1], [`acme:for acme:${sent.notificationId}`], 'the same notification, over MessagePack');
    assert.equal(seen[2]!.length, 1);
    assert.match(seen[2]![0]!, /^globex:for globex:/);
  });

  test('campaigns: created on node 1, followed on node 2, its snapshot and details read on node 3; sequence numbers without gaps', async () => {
    const jane = await token(0, 'jane.smith');
    const created = await cluster.request(0, 'POST', '/api/campaigns', { token: jane, body: { name: 'across nodes', artifactCount: 2 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = (created.body as CampaignDetails).campaignId;

    // Every message with its sequence, in arrival order, per follower.
    const followers = await Promise.all(
      [1, 2].map(async (index) => {
        const sequences: number[] = [];
        const events: OrchestrationEvent[] = [];
        const connection = await cluster.connect(index, '/hubs/campaigns', {
          protocol: index === 1 ? 'messagepack' : 'json',
          on: {
            ReceiveOrchestrationEvent: (event: OrchestrationEvent) => {
              sequences.push(event.sequence);
              events.push(event);
            },
            ReceiveArtifactUpdate: (update: ArtifactUpdate) => sequences.push(update.sequence),
          },
        });
        const snapshot = await within(connection.invoke<CampaignSnapshot>('SubscribeToCampaign', id), 5000, 'SubscribeToCampaign');
        return { index, connection, sequences, events, snapshot };
      }),
    );
    await until(() => followers.every((follower) => follower.events.some((event) => event.eventType === 'CampaignCompleted')), 10_000, 'the run to complete on both followers');
    for (const { index, sequences, snapshot } of followers) {
      assert.equal(snapshot.campaignId, id);
      // What arrived after the subscription's snapshot continues it exactly: no gap, no repeat.
      const after = sequences.filter((sequence) => sequence > snapshot.lastEventSequence);
      const last = sequences.at(-1)!;
      assert.deepEqual(after, Array.from({ length: last - snapshot.lastEventSequence }, (_, i) => snapshot.lastEventSequence + 1 + i), `node ${index + 1}: ${sequences.join(',')}`);
    }
    const final = Math.max(...followers.map((follower) => follower.sequences.at(-1)!));
    const common = Math.max(...followers.map((follower) => follower.snapshot.lastEventSequence));
    assert.deepEqual(followers[0]!.sequences.filter((s) => s > common), followers[1]!.sequences.filter((s) => s > common), 'both followers saw the same run');

    // Node 3 reads what node 1 ran, through the hub and through REST.
    const reader = await cluster.connect(2, '/hubs/campaigns');
    const pushed = new Inbox(reader, 'ReceiveCampaignSnapshot');
    const snapshot = await within(reader.invoke<CampaignSnapshot>('GetCampaignSnapshot', id), 5000, 'GetCampaignSnapshot');
    assert.equal(snapshot.currentState, 'completed');
    assert.equal(snapshot.lastEventSequence, final, 'the snapshot names the last event');
    assert.equal(snapshot.completedArtifacts.length, 2);
    assert.deepEqual(snapshot.pendingArtifacts, []);
    await until(() => pushed.received.length === 1, 5000, 'ReceiveCampaignSnapshot to the caller');
    const details = await cluster.request(2, 'GET', `/api/campaigns/${id}`);
    assert.equal(details.status, 200);
    assert.deepEqual({ state: details.body.currentState, last: details.body.lastEventSequence, by: details.body.createdBy, name: details.body.name }, { state: 'completed', last: final, by: 'jane.smith', name: 'across nodes' });
    const listed = await cluster.request(1, 'GET', '/api/campaigns', { token: await token(1, 'jane.smith') });
    assert.ok((listed.body.campaigns as CampaignDetails[]).some((campaign) => campaign.campaignId === id), 'listed on node 2 for its creator');
  });

  test('no log line of any node holds the JWT secret, the Redis password or a bearer token', () => {
    assert.ok(tokens.length > 0, 'tokens were issued');
    const leaked = cluster.linesContaining([cluster.jwtSecret, redisUser!.password, ...tokens]);
    assert.deepEqual(leaked, []);
    for (const node of cluster.incarnations) assert.ok(node.logs.length > 0, 'each node logged');
  });
});
