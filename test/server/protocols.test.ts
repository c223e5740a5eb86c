/**
 * Every hub of the server speaks JSON and MessagePack, over WebSockets and long polling: the
 * official client with `@microsoft/signalr-protocol-msgpack` runs one real flow per hub, and the
 * four protocol × transport clients receive the same values (timestamps as ISO strings, integers
 * beyond 32 bits and floats intact, Unicode text, nulls).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import type { MockEvent } from '../../apps/server/src/modules/events/generator.js';
import { createAdminModule } from '../../apps/server/src/modules/admin/index.js';
import { createCampaignsModule, type CampaignsModule } from '../../apps/server/src/modules/campaigns/index.js';
import type { CampaignDetails, CampaignSnapshot, OrchestrationEvent } from '../../apps/server/src/modules/campaigns/model.js';
import { chatModule } from '../../apps/server/src/modules/chat/index.js';
import { createEventsModule, type EventsModule } from '../../apps/server/src/modules/events/index.js';
import { createSynaxisModule } from '../../apps/server/src/modules/synaxis/index.js';
import type { SynaxisNotification } from '../../apps/server/src/modules/synaxis/model.js';
import { nextMessage, stopAll } from '../support/e2e.js';
import { clientFor } from '../support/signalr-client.js';
import { FakeClock } from '../support/fake-clock.js';
import { until, within } from '../support/wait.js';
import { logLine, signalR, startTestApp, type TestApp } from './support.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The four ways a client may talk to a hub of the server. */
const VARIANTS = [
  { name: 'json/WebSockets', protocolName: 'json', transportName: 'WebSockets', transport: signalR.HttpTransportType.WebSockets, protocol: () => new signalR.JsonHubProtocol() },
  { name: 'messagepack/WebSockets', protocolName: 'messagepack', transportName: 'WebSockets', transport: signalR.HttpTransportType.WebSockets, protocol: () => new MessagePackHubProtocol() },
  { name: 'json/LongPolling', protocolName: 'json', transportName: 'LongPolling', transport: signalR.HttpTransportType.LongPolling, protocol: () => new signalR.JsonHubProtocol() },
  { name: 'messagepack/LongPolling', protocolName: 'messagepack', transportName: 'LongPolling', transport: signalR.HttpTransportType.LongPolling, protocol: () => new MessagePackHubProtocol() },
] as const;

interface Client {
  readonly variant: string;
  readonly connection: signalR.HubConnection;
}

describe('every hub speaks JSON and MessagePack over WebSockets and long polling', () => {
  let server: TestApp;
  const clock = new FakeClock(Date.UTC(2025, 5, 1, 12));
  const events: EventsModule = createEventsModule({ autoStart: false });
  const campaigns: CampaignsModule = createCampaignsModule({ autoRun: false });
  const open: signalR.HubConnection[] = [];

  before(async () => {
    server = await startTestApp({}, { clock, modules: [events, createAdminModule(), chatModule, campaigns, createSynaxisModule()] });
  });
  after(async () => {
    await stopAll(open);
    await server.stop();
  });

  /** One started client per variant on `path`; `register` adds handlers before the start. */
  async function clients(path: string, token?: string, register: (connection: signalR.HubConnection) => void = () => undefined): Promise<Client[]> {
    return Promise.all(
      VARIANTS.map(async (variant) => {
        const options: signalR.IHttpConnectionOptions = { transport: variant.transport };
        if (token !== undefined) options.accessTokenFactory = () => token;
        const connection = clientFor(server.url(path), options).withHubProtocol(variant.protocol()).build();
        open.push(connection);
        register(connection);
        await within(connection.start(), 5000, `${variant.name} start on ${path}`);
        // The server's own account of the connection: the protocol and transport asked for.
        const line = await logLine(server.logs, (entry) => entry.msg === 'client connected' && entry['connectionId'] === connection.connectionId, 5000, `${variant.name} connected`);
        assert.deepEqual({ hub: line['hub'], protocol: line['protocol'], transport: line['transport'] }, { hub: path, protocol: variant.protocolName, transport: variant.transportName });
        return { variant: variant.name, connection };
      }),
    );
  }

  /** Waits for `method` at every client and checks they all got the same arguments. */
  async function receivedByAll(all: readonly Client[], method: string, send: () => Promise<unknown>): Promise<unknown[]> {
    const waits = all.map((client) => nextMessage(client.connection, method, 10_000));
    try {
      await send();
    } catch (error) {
      for (const wait of waits) wait.catch(() => undefined);
      throw error;
    }
    const received = await Promise.all(waits);
    for (const [index, client] of all.entries()) assert.deepEqual(received[index], received[0], `${client.variant} got what ${all[0]!.variant} got`);
    return received[0]!;
  }

  test('/hubs/events: Connected, ReceiveEvent and GetRecentEvents', async () => {
    const connected = new Map<signalR.HubConnection, unknown[]>();
    const all = await clients('/hubs/events', undefined, (connection) => connection.on('Connected', (...args: unknown[]) => connected.set(connection, args)));
    await until(() => connected.size === all.length, 5000, 'Connected at every client');
    for (const { variant, connection } of all) {
      assert.deepEqual(connected.get(connection), [{ message: 'Connected to the Hubwire event stream.', timestamp: new Date(clock.now()).toISOString() }], variant);
    }
    const [event] = (await receivedByAll(all, 'ReceiveEvent', () => events.simulator!.emit('NewOrder'))) as [MockEvent];
    assert.equal(event.type, 'NewOrder');
    assert.match(event.timestamp, ISO);
    assert.ok(event.type === 'NewOrder');
    assert.equal(event.payload.currency, 'USD');
    assert.ok(event.payload.items.length >= 1);
    const total = event.payload.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
    assert.ok(Math.abs(event.payload.total - total) < 0.01, `total ${event.payload.total} = Σ quantity × unitPrice ${total}`);
    const recent = await Promise.all(all.map(({ connection }) => within(connection.invoke<MockEvent[]>('GetRecentEvents'), 5000, 'GetRecentEvents')));
    for (const list of recent) assert.deepEqual(list[list.length - 1], event);
  });

  test('/hubs/admin: an admin broadcast reaches every admin with the same values', async () => {
    const admin = await server.token('admin');
    const all = await clients('/hubs/admin', admin);
    for (const { connection } of all) await within(connection.invoke('SubscribeToAlerts'), 5000, 'SubscribeToAlerts');
    const sender = all[1]!; // MessagePack over WebSockets
    let returned: unknown;
    const [alert] = (await receivedByAll(all, 'ReceivePerformanceAlert', async () => {
      returned = await sender.connection.invoke('BroadcastPerformanceAlert', { metric: 'p99 latency', value: 2 ** 40, threshold: 0.25, unit: 'µs' });
    })) as [Record<string, unknown>];
    assert.deepEqual(alert, returned);
    assert.equal(alert['value'], 2 ** 40);
    assert.equal(alert['threshold'], 0.25);
    assert.equal(alert['unit'], 'µs');
    assert.equal(alert['severity'], 'error');
    assert.equal(alert['timestamp'], new Date(clock.now()).toISOString());
    const stats = (await Promise.all(all.map(({ connection }) => connection.invoke('GetPlatformStats')))) as { connections: { total: number; byHub: Record<string, number> }; timestamp: string }[];
    for (const figures of stats) {
      assert.ok(figures.connections.total >= 4);
      assert.ok((figures.connections.byHub['/hubs/admin'] ?? 0) >= 4);
      assert.match(figures.timestamp, ISO);
    }
  });

  test('a Date a MessagePack client puts in a free-form object reaches everyone as the same ISO string; binary is refused', async () => {
    const admin = await server.token('admin');
    const all = await clients('/hubs/admin', admin);
    const sender = all[3]!; // MessagePack over long polling
    const checkedAt = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678));
    const [status] = (await receivedByAll(all, 'ReceivePlatformStatus', async () => {
      await sender.connection.invoke('BroadcastPlatformStatus', { status: 'degraded', components: { database: { healthy: false, checkedAt, retries: [1, 2] } } });
    })) as [{ components: unknown }];
    assert.deepEqual(status.components, { database: { healthy: false, checkedAt: '2025-01-02T03:04:05.678Z', retries: [1, 2] } });
    await assert.rejects(
      sender.connection.invoke('BroadcastPlatformStatus', { status: 'degraded', components: { dump: new Uint8Array([1, 2, 3]) } }),
      /HubException: Invalid 'components\.dump': 'components\.dump' must not be binary data/,
    );
  });

  test('/hubs/chat: a message in a workflow reaches its members with the same values', async () => {
    const token = await server.token('jane.smith');
    const all = await clients('/hubs/chat', token);
    for (const { connection } of all) await within(connection.invoke('JoinWorkflow', 'wf-7'), 5000, 'JoinWorkflow');
    let ack: { messageId: string; receivedAt: string } | undefined;
    const text = 'Grüße 👋 — "quoted" \u2028 line';
    const [message] = (await receivedByAll(all, 'ReceiveMessage', async () => {
      ack = await all[3]!.connection.invoke('SendMessage', text); // MessagePack over long polling
    })) as [Record<string, unknown>];
    assert.deepEqual(message, { messageId: ack!.messageId, user: 'jane.smith', text, workflowId: 'wf-7', timestamp: ack!.receivedAt });
    assert.match(ack!.receivedAt, ISO);
  });

  test('/hubs/campaigns: a created campaign is followed by every client', async () => {
    const token = await server.token('jane.smith');
    const created = await server.request('POST', '/api/campaigns', { token, body: { name: 'Protocols', artifactCount: 2 } });
    assert.equal(created.status, 201);
    const campaign = created.body as CampaignDetails;
    const all = await clients('/hubs/campaigns');
    const snapshots = (await Promise.all(all.map(({ connection }) => connection.invoke('SubscribeToCampaign', campaign.campaignId)))) as CampaignSnapshot[];
    for (const snapshot of snapshots) {
      assert.deepEqual(snapshot, snapshots[0]);
      assert.equal(snapshot.campaignId, campaign.campaignId);
      assert.equal(snapshot.currentState, 'created');
      assert.equal(snapshot.lastEventSequence, 1);
      assert.deepEqual(snapshot.completedArtifacts, []);
      assert.match(snapshot.timestamp, ISO);
    }
    const [event] = (await receivedByAll(all, 'ReceiveOrchestrationEvent', async () => {
      assert.equal(await campaigns.orchestrator!.step(campaign.campaignId), true);
    })) as [OrchestrationEvent];
    assert.deepEqual(
      { sequence: event.sequence, eventType: event.eventType, state: event.state, previousState: event.previousState, auditStatus: event.auditStatus },
      { sequence: 2, eventType: 'StateChanged', state: 'planning', previousState: 'created', auditStatus: 'not-started' },
    );
    assert.match(event.timestamp, ISO);
    const [first] = (await receivedByAll(all, 'ReceiveArtifactUpdate', async () => {
      assert.equal(await campaigns.orchestrator!.step(campaign.campaignId), true);
    })) as [{ sequence: number; artifact: { status: string; progress: number } }];
    assert.equal(first.sequence, 3);
    assert.equal(first.artifact.status, 'planned');
    assert.equal(first.artifact.progress, 0);
  });

  test('/hubs/synaxis: a notification reaches the members with the values the endpoint sent', async () => {
    const token = await server.token('jane.smith');
    const all = await clients('/hubs/synaxis', token);
    for (const { connection } of all) {
      const joined = (await within(connection.invoke('JoinOrganization', 'acme'), 5000, 'JoinOrganization')) as { organizationId: string; joinedAt: string };
      assert.equal(joined.organizationId, 'acme');
      assert.match(joined.joinedAt, ISO);
    }
    const admin = await server.token('admin');
    let answer: { notification: SynaxisNotification; members: number } | undefined;
    const [notification] = (await receivedByAll(all, 'ProviderHealthChanged', async () => {
      const response = await server.request('POST', '/api/synaxis/organizations/acme/notifications', {
        token: admin,
        body: { type: 'ProviderHealthChanged', payload: { provider: 'openai', status: 'degraded', previousStatus: null, latencyMs: 599_999.5, errorRate: 0.125 } },
      });
      assert.equal(response.status, 202);
      answer = response.body as typeof answer;
    })) as [SynaxisNotification];
    assert.equal(answer!.members, 4);
    assert.deepEqual(notification, answer!.notification);
    assert.equal((notification as unknown as Record<string, unknown>)['latencyMs'], 599_999.5);
    assert.equal((notification as unknown as Record<string, unknown>)['previousStatus'], null);
  });
});
