import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NOTIFICATION_TYPES, type SynaxisNotification, type SynaxisNotificationType } from '../../apps/server/src/modules/synaxis/model.js';
import { createSynaxisModule, type SynaxisModule } from '../../apps/server/src/modules/synaxis/index.js';
import { stopAll } from '../support/e2e.js';
import { FakeClock } from '../support/fake-clock.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { until, within } from '../support/wait.js';
import { demoTokens, startHarness, testConfig, tokenFor, type Harness } from './harness.js';

/** A valid payload of every type, as the admin endpoint takes it. */
const PAYLOADS: { [T in SynaxisNotificationType]: Record<string, unknown> } = {
  ProviderHealthChanged: { provider: 'openai', status: 'degraded', previousStatus: 'healthy', latencyMs: 2300, errorRate: 0.12 },
  CostOptimizationApplied: { policy: 'semantic-cache', description: 'Cache repeated prompts', estimatedMonthlySavingsUsd: 420.5 },
  ModelDiscovered: { provider: 'mistral', modelId: 'mistral-large-2411', contextWindow: 128000, capabilities: ['chat', 'tools'] },
  SecurityAlert: { severity: 'high', category: 'authentication', message: 'Repeated failed sign-ins', sourceIp: '203.0.113.7' },
  AuditEvent: { actor: 'jane.smith', action: 'policy.updated', resource: 'routing/default', outcome: 'success' },
};

/** A client of /hubs/synaxis that records every notification. */
interface Member {
  readonly connection: signalR.HubConnection;
  readonly received: SynaxisNotification[];
}

describe('/hubs/synaxis', () => {
  let harness: Harness;
  let module: SynaxisModule;
  let tokens: Awaited<ReturnType<typeof demoTokens>>;
  const open: signalR.HubConnection[] = [];

  before(async () => {
    module = createSynaxisModule();
    harness = await startHarness([module]);
    tokens = await demoTokens(harness.config);
  });
  after(async () => {
    await stopAll(open);
    await harness.close();
  });

  async function connect(token: string | undefined): Promise<Member> {
    const connection = clientFor(harness.url('/hubs/synaxis'), token === undefined ? {} : { accessTokenFactory: () => token }).build();
    const received: SynaxisNotification[] = [];
    for (const type of NOTIFICATION_TYPES) connection.on(type, (notification: SynaxisNotification) => received.push(notification));
    await within(connection.start(), 5000, 'synaxis client start');
    open.push(connection);
    return { connection, received };
  }

  async function trigger(organizationId: string, type: SynaxisNotificationType, payload: unknown = PAYLOADS[type], token = tokens.admin) {
    return harness.request('POST', `/api/synaxis/organizations/${organizationId}/notifications`, { body: { type, payload }, token });
  }

  test('no token, a bad signature or an expired token: negotiate answers 401', async () => {
    await assert.rejects(connect(undefined), /Status code '401'/);
    await assert.rejects(connect(await tokenFor(harness.config, 'jane.smith', { orgs: ['acme'], secret: 'some-other-secret-that-is-long-enough!!' })), /Status code '401'/);
    await assert.rejects(connect(await tokenFor(harness.config, 'jane.smith', { orgs: ['acme'], expired: true })), /Status code '401'/);
  });

  test('a member joins its organization and receives every notification type from the REST trigger', async () => {
    const jane = await connect(tokens.jane);
    const joined = await jane.connection.invoke('JoinOrganization', 'acme');
    assert.equal(joined.organizationId, 'acme');
    for (const type of NOTIFICATION_TYPES) {
      const response = await trigger('acme', type);
      assert.equal(response.status, 202, JSON.stringify(response.body));
      assert.equal(response.body.members, 1);
      assert.equal(response.body.notification.type, type);
    }
    await until(() => jane.received.length === NOTIFICATION_TYPES.length, 5000, 'five notifications');
    assert.deepEqual(jane.received.map((notification) => notification.type), NOTIFICATION_TYPES);
    for (const notification of jane.received) {
      assert.equal(notification.organizationId, 'acme');
      assert.match(notification.notificationId, /^[0-9a-f-]{36}$/);
      assert.ok(!Number.isNaN(Date.parse(notification.timestamp)));
      for (const [field, value] of Object.entries(PAYLOADS[notification.type])) assert.deepEqual((notification as unknown as Record<string, unknown>)[field], value, `${notification.type}.${field}`);
    }
  });

  test('a non-member cannot join: HubError, and it receives nothing sent to that organization', async () => {
    const john = await connect(tokens.john);
    await assert.rejects(john.connection.invoke('JoinOrganization', 'acme'), /HubException: You are not a member of organization 'acme'\./);
    await assert.rejects(john.connection.invoke('JoinOrganization', 'Not An Id'), /HubException: An organization id is/);
    await john.connection.invoke('JoinOrganization', 'globex');
    assert.equal((await trigger('acme', 'SecurityAlert')).status, 202);
    // A marker to its own organization, sent after: once it arrives, the acme one would have too.
    assert.equal((await trigger('globex', 'AuditEvent')).status, 202);
    await until(() => john.received.length >= 1, 5000, 'the globex marker');
    assert.deepEqual(john.received.map((notification) => notification.organizationId), ['globex']);
  });

  test('after LeaveOrganization nothing more arrives', async () => {
    const jane = await connect(tokens.jane);
    const witness = await connect(tokens.jane);
    await jane.connection.invoke('JoinOrganization', 'acme');
    await witness.connection.invoke('JoinOrganization', 'acme');
    await trigger('acme', 'ModelDiscovered');
    await until(() => jane.received.length === 1, 5000, 'first notification');
    await jane.connection.invoke('LeaveOrganization', 'acme');
    assert.equal((await trigger('acme', 'CostOptimizationApplied')).status, 202);
    // The witness, still a member, got it; had jane been one, it was written to her before the round trip below.
    await until(() => witness.received.length === 2, 5000, 'the witness to get the second one');
    await jane.connection.invoke('LeaveOrganization', 'acme'); // a round trip on jane's own connection: anything sent before it is in
    assert.deepEqual(jane.received.map((notification) => notification.type), ['ModelDiscovered']);
  });

  test('the notifier sends from outside the hub', async () => {
    const jane = await connect(tokens.jane);
    await jane.connection.invoke('JoinOrganization', 'acme');
    const sent = await module.notifier!.securityAlert('acme', { severity: 'critical', category: 'data-exfiltration', message: 'Large export', sourceIp: null });
    await until(() => jane.received.length === 1, 5000, 'notification');
    assert.deepEqual(jane.received[0], sent);
  });

  test('the REST trigger needs an admin token: 401 without or with a bad one, 403 for a member', async () => {
    assert.equal((await harness.request('POST', '/api/synaxis/organizations/acme/notifications', { body: { type: 'AuditEvent', payload: PAYLOADS.AuditEvent } })).status, 401);
    const forged = await tokenFor(harness.config, 'admin', { roles: ['admin'], secret: 'some-other-secret-that-is-long-enough!!' });
    assert.equal((await trigger('acme', 'AuditEvent', PAYLOADS.AuditEvent, forged)).status, 401);
    assert.equal((await trigger('acme', 'AuditEvent', PAYLOADS.AuditEvent, await tokenFor(harness.config, 'admin', { roles: ['admin'], expired: true }))).status, 401);
    const forbidden = await trigger('acme', 'AuditEvent', PAYLOADS.AuditEvent, tokens.jane);
    assert.equal(forbidden.status, 403);
  });

  test('the REST trigger validates its body: 400 naming the field', async () => {
    const post = (body: unknown, organizationId = 'acme') =>
      harness.request('POST', `/api/synaxis/organizations/${organizationId}/notifications`, { body, token: tokens.admin });
    const cases: [unknown, string][] = [
      [{ payload: {} }, 'type'],
      [{ type: 'Bogus', payload: {} }, 'type'],
      [{ type: 'AuditEvent' }, 'payload'],
      [{ type: 'AuditEvent', payload: [] }, 'payload'],
      [{ type: 'ProviderHealthChanged', payload: { ...PAYLOADS.ProviderHealthChanged, status: 'on-fire' } }, 'payload.status'],
      [{ type: 'ProviderHealthChanged', payload: { ...PAYLOADS.ProviderHealthChanged, errorRate: 2 } }, 'payload.errorRate'],
      [{ type: 'CostOptimizationApplied', payload: { ...PAYLOADS.CostOptimizationApplied, estimatedMonthlySavingsUsd: '12' } }, 'payload.estimatedMonthlySavingsUsd'],
      [{ type: 'ModelDiscovered', payload: { ...PAYLOADS.ModelDiscovered, capabilities: 'chat' } }, 'payload.capabilities'],
      [{ type: 'SecurityAlert', payload: { ...PAYLOADS.SecurityAlert, message: '' } }, 'payload.message'],
      [{ type: 'AuditEvent', payload: { ...PAYLOADS.AuditEvent, outcome: undefined } }, 'payload.outcome'],
      ['not an object', 'body'],
    ];
    for (const [body, field] of cases) {
      const response = await post(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.field, field, JSON.stringify(body));
    }
    const badOrg = await post({ type: 'AuditEvent', payload: PAYLOADS.AuditEvent }, 'Bad%20Org');
    assert.equal(badOrg.status, 400);
    assert.equal(badOrg.body.field, 'id');
  });
});

describe('/hubs/synaxis simulated agents', () => {
  let harness: Harness;
  const open: signalR.HubConnection[] = [];
  const clock = new FakeClock(Date.now());

  before(async () => {
    harness = await startHarness([createSynaxisModule()], { clock, config: testConfig({ SYNAXIS_ENABLED: 'true', SYNAXIS_INTERVAL_MS: '1000' }) });
  });
  after(async () => {
    await stopAll(open);
    await harness.close();
  });

  test('every interval, each organization with a member gets its next notification type, in turn', async () => {
    const tokens = await demoTokens(harness.config);
    const members = await Promise.all(
      [tokens.jane, tokens.john].map(async (token) => {
        const connection = clientFor(harness.url('/hubs/synaxis'), { accessTokenFactory: () => token }).build();
        const received: SynaxisNotification[] = [];
        for (const type of NOTIFICATION_TYPES) connection.on(type, (notification: SynaxisNotification) => received.push(notification));
        await within(connection.start(), 5000, 'start');
        open.push(connection);
        return { connection, received };
      }),
    );
    await members[0]!.connection.invoke('JoinOrganization', 'acme');
    await members[1]!.connection.invoke('JoinOrganization', 'globex');
    for (let tick = 0; tick < NOTIFICATION_TYPES.length; tick++) clock.advance(1000);
    for (const [member, organizationId] of [[members[0]!, 'acme'], [members[1]!, 'globex']] as const) {
      await until(() => member.received.length === NOTIFICATION_TYPES.length, 5000, `${organizationId} notifications`);
      assert.deepEqual(member.received.map((notification) => notification.type), NOTIFICATION_TYPES);
      assert.ok(member.received.every((notification) => notification.organizationId === organizationId));
    }
    const health = members[0]!.received[0] as SynaxisNotification<'ProviderHealthChanged'>;
    assert.equal(health.previousStatus, 'healthy');
    assert.notEqual(health.status, 'healthy');
  });
});
