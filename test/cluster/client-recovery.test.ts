/**
 * @hubwire/client across nodes: three real server processes on one Redis, the client reaching
 * them through a loopback TCP relay the test points at one node or another (the client has one
 * URL, as behind a load balancer). For each seed hub, a client whose node is killed with SIGKILL
 * or whose connection is cut comes back on ANOTHER node and recovers from its last position:
 * every message once, in order, then live — a campaign run going on meanwhile
 * (`SubscribeToCampaign(id, fromSequence)`), organization notifications through the
 * RealtimeService example (`JoinOrganization(id, fromPosition)`), a workflow's chat
 * (`JoinWorkflow(id, fromPosition)`). Then the snapshot fallback on another node: two in-process
 * apps on Redis with a 3-entry campaign window (the real one, 64, is larger than any run).
 *
 * The cluster tests share the three processes and run in order: campaigns kill node 1, synaxis
 * moves from node 2 to node 0, chat kills node 0 and ends on node 2.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { LogLevel } from '@microsoft/signalr';
import { connectHub, type GroupPosition, type HubClient, type JoinInfo, type StreamPosition } from '@hubwire/client';
import type { CampaignDetails, CampaignSnapshot } from '../../apps/server/src/modules/campaigns/model.js';
import { createCampaignsModule, type CampaignsModule } from '../../apps/server/src/modules/campaigns/index.js';
import type { ChatClient, MessageAck, WorkflowJoin } from '../../apps/server/src/modules/chat/chat-hub.js';
import { RealtimeService, type JoinAnswer } from '../../packages/client/examples/realtime-service.js';
import { startTestApp, type TestApp } from '../server/support.js';
import { Deferred } from '../support/deferred.js';
import { eventually, ServerCluster } from '../support/server-cluster.js';
import { until, within } from '../support/wait.js';
import { dropPrefix } from './campaigns-support.js';
import { followCampaign } from '../client/campaign-follower.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
/** A run of 8 artifacts sends 31 numbered messages over 23 steps: about 3.5 s. */
const STEP_MS = 150;

/**
 * A loopback TCP relay: every connection it accepts is piped to the node it points at then.
 * `pointTo` changes where new connections go; `cut` destroys every open pair (no WebSocket Close,
 * as a network failure). A node that dies closes its side, and the relay closes the client's.
 */
class Relay {
  readonly #server: Server;
  readonly #pairs = new Map<Socket, { readonly upstream: Socket; readonly port: number }>();
  #target: number;

  private constructor(server: Server, target: number) {
    this.#server = server;
    this.#target = target;
    server.on('connection', (client) => this.#relay(client));
  }

  static async start(target: number): Promise<Relay> {
    const server = createServer();
    const relay = new Relay(server, target);
    server.listen(0, '127.0.0.1');
    await within(once(server, 'listening'), 5000, 'relay listening');
    return relay;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  pointTo(port: number): void {
    this.#target = port;
  }

  /** The node ports of the open pairs (an HTTP keep-alive socket or a WebSocket). */
  get open(): number[] {
    return [...this.#pairs.values()].map((pair) => pair.port);
  }

  cut(): number {
    const count = this.#pairs.size;
    for (const [client, { upstream }] of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.#pairs.clear();
    return count;
  }

  async close(): Promise<void> {
    this.cut();
    await within(new Promise<void>((resolve) => this.#server.close(() => resolve())), 5000, 'relay close');
  }

  #relay(client: Socket): void {
    const port = this.#target;
    const upstream = createConnection({ host: '127.0.0.1', port });
    this.#pairs.set(client, { upstream, port });
    const end = () => {
      this.#pairs.delete(client);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** A token factory whose next calls wait while `hold()`-ing: the reconnect stays away until `release()`. */
function tokenGate(token: string) {
  let gate = Promise.resolve(token);
  let release = (): void => undefined;
  return {
    factory: () => gate,
    hold(): void {
      const held = new Deferred<string>();
      gate = held.promise;
      release = () => held.resolve(token);
    },
    release: () => release(),
  };
}

interface ChatServer {
  JoinWorkflow(workflowId: string, fromPosition: StreamPosition | null): Promise<WorkflowJoin>;
  SendMessage(text: string): Promise<MessageAck>;
}

const portOf = (app: TestApp): number => Number(new URL(app.url('/')).port);

const stopHub = (hub: HubClient<any, any>) => within(hub.stop(), 5000, 'hub stop').catch(() => undefined);

describe('@hubwire/client recovering on another server process', () => {
  let cluster: ServerCluster;
  let relay: Relay;
  const hubs: HubClient<any, any>[] = [];
  const services: RealtimeService[] = [];

  before(async () => {
    cluster = await ServerCluster.start(3, { redisUrl: REDIS_URL, env: { CAMPAIGN_STEP_MS: String(STEP_MS) } });
    relay = await Relay.start(cluster.node(0).port);
  });
  // Each test's clients stop with it, so the next test's cut or kill reaches only its own.
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map(stopHub));
    await Promise.all(services.splice(0).map((service) => within(service.disconnect(), 5000, 'disconnect').catch(() => undefined)));
  });
  after(async () => {
    await relay?.close();
    await cluster?.stopAll();
    if (cluster !== undefined) await dropPrefix(REDIS_URL, cluster.prefix);
  });

  test('campaigns: its node is SIGKILLed mid-run; back on another node the run is replayed from the sequence, then live', async () => {
    const token = await cluster.token(0, 'jane.smith');
    const created = await cluster.request(0, 'POST', '/api/campaigns', { token, body: { name: 'Node killed', artifactCount: 8 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = (created.body as CampaignDetails).campaignId;
    // The run stays on node 0 (where it was created); the follower is on node 1.
    relay.pointTo(cluster.node(1).port);
    const gate = tokenGate(token);
    const follower = followCampaign(relay.url('/hubs/campaigns'), id, { accessTokenFactory: gate.factory, messagePack: true, retryEvery: 50 });
    hubs.push(follower.hub);
    const first = (await within(follower.subscription.joined, 10_000, 'subscribe')) as CampaignSnapshot;
    await until(() => follower.sequences.length >= 3, 10_000, 'three messages on node 1');

    // A first join may overlap its snapshot while the run goes on (docs/hubs.md: events up to
    // lastEventSequence are dropped): those are the only duplicates allowed.
    const overlap = follower.subscription.stats.duplicates;
    gate.hold();
    const killed = await cluster.kill(1);
    assert.equal(killed.signal, 'SIGKILL');
    await until(() => follower.hub.state === 'reconnecting', 5000, 'reconnecting');
    const last = follower.subscription.position!.offset;
    await eventually(() => cluster.request(0, 'GET', `/api/campaigns/${id}`, { token }), (answer) => answer.body.lastEventSequence >= last + 4, 10_000, 'the run to go on');
    relay.pointTo(cluster.node(2).port);
    gate.release();
    await until(() => follower.joins.length === 2, 10_000, 'the re-join on node 2');
    const total = 3 * 8 + 7;
    await until(() => follower.sequences.at(-1) === total, 15_000, `the last message, ${total}`);

    assert.deepEqual(
      follower.sequences,
      Array.from({ length: total - first.lastEventSequence }, (_, i) => first.lastEventSequence + 1 + i),
      'every number after the snapshot once, in order',
    );
    const rejoin = follower.joins[1]!;
    assert.deepEqual([rejoin.reason, rejoin.since?.offset, rejoin.recovered], ['reconnect', last, true]);
    assert.ok(rejoin.replayed >= 4, `replayed ${rejoin.replayed}`);
    assert.deepEqual(follower.missed, []);
    assert.equal(follower.subscription.stats.duplicates, overlap, 'nothing sent twice by the recovery');
    assert.ok(relay.open.every((port) => port === cluster.node(2).port), `connected to node 2 only: ${relay.open.join()}`);
  });

  test('synaxis: RealtimeService cut off node 2 comes back on node 0; what was posted meanwhile, and while it re-joins, once and in order', async () => {
    const admin = await cluster.token(0, 'admin');
    const gate = tokenGate(await cluster.token(2, 'jane.smith'));
    const post = async (node: number, times: number): Promise<string[]> => {
      const ids: string[] = [];
      for (let i = 0; i < times; i++) {
        const answer = await cluster.request(node, 'POST', '/api/synaxis/organizations/acme/notifications', {
          token: admin,
          body: { type: 'SecurityAlert', payload: { severity: 'high', category: 'auth', message: `alert ${randomUUID().slice(0, 6)}`, sourceIp: null } },
        });
        assert.equal(answer.status, 202, JSON.stringify(answer.body));
        ids.push(answer.body.notification.notificationId as string);
      }
      return ids;
    };
    relay.pointTo(cluster.node(2).port);
    const errors: unknown[] = [];
    const realtime = new RealtimeService({
      baseUrl: relay.url(''),
      getToken: gate.factory,
      backoff: { initialMs: 20, maxMs: 80, jitter: 0 },
      onError: (error) => errors.push(error),
      connection: { logger: LogLevel.None },
    });
    services.push(realtime);
    const received: string[] = [];
    realtime.on('SecurityAlert', (notification) => void received.push(notification.notificationId));
    const joins: JoinInfo[] = [];
    realtime.onJoined((_organizationId, _answer, info) => void joins.push(info));
    await within(realtime.connect(), 10_000, 'connect');
    const joined = (await within(realtime.switchOrganization('acme'), 5000, 'join acme')) as JoinAnswer;
    const before = await post(0, 2);
    await until(() => received.length === 2, 5000, 'two notifications on node 2');

    gate.hold();
    relay.pointTo(cluster.node(0).port);
    assert.ok(relay.cut() >= 1, 'the WebSocket cut');
    await until(() => realtime.state === 'reconnecting', 5000, 'reconnecting');
    const missed = await post(2, 3);
    gate.release();
    const raced = await post(2, 3);
    await until(() => joins.length === 2, 5000, 'the re-join on node 0');
    const live = await post(2, 1);
    await until(() => received.length === 9, 5000, 'all nine');

    assert.deepEqual(received, [...before, ...missed, ...raced, ...live]);
    assert.deepEqual([joins[1]!.reason, joins[1]!.since?.offset, joins[1]!.recovered], ['reconnect', joined.position.offset + 2, true]);
    assert.ok(joins[1]!.replayed >= 3, `replayed ${joins[1]!.replayed}`);
    assert.ok(relay.open.every((port) => port === cluster.node(0).port), `connected to node 0 only: ${relay.open.join()}`);
    assert.deepEqual(errors, []);
  });

  test('chat: its node is SIGKILLed; back on another node the workflow is replayed from the position, then live', async () => {
    const workflow = `wf-${randomUUID().slice(0, 8)}`;
    relay.pointTo(cluster.node(0).port);
    const gate = tokenGate(await cluster.token(0, 'john.doe'));
    const hub = connectHub<ChatServer, ChatClient>(relay.url('/hubs/chat'), { logger: LogLevel.None, reconnect: { delays: [0], then: 50, jitter: 0 }, accessTokenFactory: gate.factory });
    hubs.push(hub);
    const seen: string[] = [];
    const offsets: number[] = [];
    const record = (what: string, position: GroupPosition | undefined) => {
      seen.push(what);
      if (position !== undefined) offsets.push(position.offset);
    };
    hub.on.ReceiveMessage((message, position) => record(message.text, position));
    hub.on.UserJoined((change, position) => record(`+${change.user}`, position));
    hub.on.UserLeft((change, position) => record(`-${change.user}(${change.reason})`, position));
    const joins: JoinInfo[] = [];
    const subscription = hub.subscribe({
      group: `workflow:${workflow}`,
      join: (since) => hub.invoke.JoinWorkflow(workflow, since ?? null),
      onJoined: (_answer, info) => void joins.push(info),
    });
    await within(subscription.joined, 10_000, 'john joins on node 0');
    const jane = await cluster.connect(2, '/hubs/chat', { token: await cluster.token(2, 'jane.smith') });
    const say = async (...texts: string[]) => {
      for (const text of texts) await within(jane.invoke('SendMessage', text), 5000, `say ${text}`);
    };
    await within(jane.invoke('JoinWorkflow', workflow), 5000, 'jane joins on node 2');
    await say('before');
    await until(() => seen.length === 2, 5000, "jane's join and 'before'");

    gate.hold();
    await cluster.kill(0);
    await until(() => hub.state === 'reconnecting', 5000, 'reconnecting');
    const last = subscription.position!;
    await say('missed 1', 'missed 2');
    relay.pointTo(cluster.node(2).port);
    gate.release();
    const racing = say('raced 1', 'raced 2');
    await until(() => joins.some((info) => info.reason === 'reconnect'), 10_000, 'the re-join on node 2');
    await racing;
    await say('live');
    await until(() => seen.at(-1) === 'live', 5000, "'live'");

    // A killed node says nothing: no UserLeft for john's lost connection.
    assert.deepEqual(seen, ['+jane.smith', 'before', 'missed 1', 'missed 2', 'raced 1', 'raced 2', 'live']);
    assert.ok(
      offsets.every((offset, i) => i === 0 || offset > offsets[i - 1]!),
      `positions once each, in order: ${offsets.join()}`,
    );
    assert.deepEqual(offsets.slice(0, 4), [last.offset - 1, last.offset, last.offset + 1, last.offset + 2]);
    const rejoin = joins.find((info) => info.reason === 'reconnect')!;
    assert.deepEqual([rejoin.since?.offset, rejoin.recovered], [last.offset, true]);
    assert.ok(rejoin.replayed >= 2, `replayed ${rejoin.replayed}`);
    assert.equal(subscription.stats.duplicates, 0);
  });
});

describe('@hubwire/client: the campaign snapshot fallback on another node (3-entry window)', () => {
  const prefix = `hubwire-test-${randomUUID()}`;
  const nodes: { app: TestApp; campaigns: CampaignsModule }[] = [];
  let relay: Relay;
  let hub: HubClient<any, any> | undefined;

  before(async () => {
    for (let i = 0; i < 2; i++) {
      const campaigns = createCampaignsModule({ autoRun: false, history: { maxCount: 3 } });
      nodes.push({ app: await startTestApp({ REDIS_URL, REDIS_PREFIX: prefix }, { modules: [campaigns] }), campaigns });
    }
    relay = await Relay.start(portOf(nodes[0]!.app));
  });
  after(async () => {
    if (hub !== undefined) await stopHub(hub);
    await relay?.close();
    for (const node of nodes) await node.app.stop();
    await dropPrefix(REDIS_URL, prefix);
  });

  test('away longer than the window: on node B the snapshot first, onMissed, then live as node A steps the run', async () => {
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const token = await a.app.token('jane.smith');
    const created = await a.app.request('POST', '/api/campaigns', { token, body: { name: 'Snapshot', artifactCount: 3 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = (created.body as CampaignDetails).campaignId;
    const step = async (times: number) => {
      for (let i = 0; i < times; i++) await a.campaigns.orchestrator!.step(id);
    };
    const gate = tokenGate(token);
    const follower = followCampaign(relay.url('/hubs/campaigns'), id, { accessTokenFactory: gate.factory, retryEvery: 50 });
    hub = follower.hub;
    await within(follower.subscription.joined, 5000, 'subscribe on A');
    await step(1);
    await until(() => follower.sequences.length === 1, 5000, 'a step');

    gate.hold();
    relay.pointTo(portOf(b.app));
    assert.ok(relay.cut() >= 1, 'the WebSocket cut');
    await until(() => follower.hub.state === 'reconnecting', 5000, 'reconnecting');
    await step(6);
    gate.release();
    await until(() => follower.missed.length === 1, 5000, 'onMissed on B');
    const at = follower.subscription.position!.offset;
    await step(2);
    await until(() => follower.sequences.length === 3, 5000, 'two live steps');

    assert.deepEqual(follower.log.slice(1, 3), [`snapshot ${at}`, 'onMissed'], 'the snapshot, then onMissed, before any live message');
    assert.deepEqual(follower.sequences, [2, at + 1, at + 2]);
    assert.ok(at >= 8, `the snapshot stands at the run's top (${at}), past the 6 steps away`);
    assert.deepEqual([follower.missed[0]!.reason, follower.missed[0]!.since?.offset, follower.joins[1]!.recovered], ['reconnect', 2, false]);
    assert.ok(relay.open.every((port) => port === portOf(b.app)), 'connected to B only');
  });
});
