import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Inbox, nextMessage } from '../support/e2e.js';
import { FakeClock } from '../support/fake-clock.js';
import { until, within } from '../support/wait.js';
import { signalR, startTestApp, type TestApp } from './support.js';

type Connection = signalR.HubConnection;

/** Waits until a ReceiveTestMessage sent after everything else reaches `connection`: what was sent before has arrived too. */
async function flush(admin: Connection, connection: Connection, marker: string): Promise<void> {
  const arrived = nextMessage(connection, 'ReceiveTestMessage');
  await within(admin.invoke('BroadcastTestMessage', marker), 5000, 'test message');
  const [message] = (await arrived) as [{ message: string }];
  assert.equal(message.message, marker);
}

describe('/hubs/admin', () => {
  let server: TestApp;
  let adminToken: string;
  before(async () => {
    server = await startTestApp();
    adminToken = await server.token('admin');
  });
  after(() => server.stop());

  test('Subscribe/Unsubscribe manage the user-activity, analytics and alerts groups', async () => {
    const admin = await server.connect('/hubs/admin', { token: adminToken });
    const watcher = await server.connect('/hubs/admin', { token: adminToken });
    const alerts = new Inbox(watcher, 'ReceiveAlert');
    const analytics = new Inbox(watcher, 'ReceiveUserCount');
    const activity = new Inbox(watcher, 'ReceiveUserAction');
    const sendAll = async (round: number) => {
      await admin.invoke('BroadcastAlert', { title: `alert ${round}`, message: 'm', severity: 'success' });
      await admin.invoke('BroadcastUserCount', { total: 10 + round, active: 5 });
      await admin.invoke('BroadcastUserAction', { userId: 'u-1', action: `action ${round}` });
    };
    await sendAll(1);
    await flush(admin, watcher, 'marker:1');
    assert.deepEqual([alerts.received.length, analytics.received.length, activity.received.length], [0, 0, 0], 'not subscribed yet');

    await watcher.invoke('SubscribeToAlerts');
    await watcher.invoke('SubscribeToAnalytics');
    await watcher.invoke('SubscribeToUserActivity');
    await sendAll(2);
    await until(() => alerts.received.length === 1 && analytics.received.length === 1 && activity.received.length === 1, 5000, 'one of each');
    const alert = alerts.received[0] as Record<string, unknown>;
    assert.equal(alert['title'], 'alert 2');
    assert.equal(alert['severity'], 'success');
    assert.equal(typeof alert['alertId'], 'string');
    assert.deepEqual((analytics.received[0] as Record<string, unknown>)['total'], 12);
    assert.equal((activity.received[0] as Record<string, unknown>)['action'], 'action 2');

    await watcher.invoke('UnsubscribeFromAlerts');
    await watcher.invoke('UnsubscribeFromAnalytics');
    await watcher.invoke('UnsubscribeFromUserActivity');
    await sendAll(3);
    await flush(admin, watcher, 'marker:3');
    assert.deepEqual([alerts.received.length, analytics.received.length, activity.received.length], [1, 1, 1], 'unsubscribed');
  });

  test('every broadcast method reaches its group with its client method, and returns the payload', async () => {
    const admin = await server.connect('/hubs/admin', { token: adminToken });
    await admin.invoke('SubscribeToAlerts');
    await admin.invoke('SubscribeToAnalytics');
    await admin.invoke('SubscribeToUserActivity');
    const cases: [string, unknown, string, Record<string, unknown>][] = [
      ['BroadcastPlatformStatus', { status: 'degraded', message: 'DB slow' }, 'ReceivePlatformStatus', { status: 'degraded', message: 'DB slow' }],
      ['BroadcastAnalytics', { metrics: { pageViews: 1200, signups: 14 }, period: 'hour' }, 'ReceiveAnalytics', { metrics: { pageViews: 1200, signups: 14 } }],
      ['BroadcastUserCount', { total: 100, active: 40, newToday: 3 }, 'ReceiveUserCount', { total: 100, active: 40, newToday: 3 }],
      ['BroadcastGenerationMetrics', { totalGenerations: 512, successRate: 0.97, averageDurationMs: 1830 }, 'ReceiveGenerationMetrics', { successRate: 0.97 }],
      ['BroadcastRevenue', { amount: 1234.5, currency: 'EUR', period: 'week' }, 'ReceiveRevenueUpdate', { amount: 1234.5, currency: 'EUR', period: 'week' }],
      ['BroadcastUserAction', { userId: 'u-7', action: 'exported report' }, 'ReceiveUserAction', { userId: 'u-7', action: 'exported report' }],
      ['BroadcastRoleAssignment', { userId: 'u-7', role: 'editor' }, 'ReceiveRoleAssignment', { role: 'editor', action: 'granted', assignedBy: 'admin' }],
      ['BroadcastSystemEvent', { eventType: 'deploy', message: 'v1.2.3 deployed' }, 'ReceiveSystemEvent', { eventType: 'deploy', severity: 'info' }],
      ['BroadcastAlert', { title: 'Disk', message: '90% full', severity: 'warning' }, 'ReceiveAlert', { title: 'Disk', severity: 'warning' }],
      ['BroadcastPerformanceAlert', { metric: 'p95 latency', value: 1900, threshold: 800, unit: 'ms' }, 'ReceivePerformanceAlert', { severity: 'error', message: 'p95 latency is 1900 ms (threshold 800 ms).' }],
      ['BroadcastTestMessage', 'hello admins', 'ReceiveTestMessage', { message: 'hello admins', from: 'admin' }],
    ];
    for (const [method, argument, clientMethod, expected] of cases) {
      const received = nextMessage(admin, clientMethod);
      const returned = (await within(admin.invoke(method, argument), 5000, method)) as Record<string, unknown>;
      const [payload] = (await received) as [Record<string, unknown>];
      assert.deepEqual(payload, returned, `${method} returns what it sent`);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(payload[key], value, `${method}: ${key}`);
      assert.equal(typeof payload['timestamp'], 'string');
    }
  });

  test('invalid broadcast arguments fail the invocation naming the field', async () => {
    const admin = await server.connect('/hubs/admin', { token: adminToken });
    await assert.rejects(admin.invoke('BroadcastUserCount', { total: 5, active: 9 }), /Invalid 'active': 'active' must not exceed 'total'/);
    await assert.rejects(admin.invoke('BroadcastAlert', { title: 'x', severity: 'loud' }), /Invalid 'severity'/);
    await assert.rejects(admin.invoke('BroadcastAlert', { title: 'x' }), /Invalid 'message': 'message' is required/);
    await assert.rejects(admin.invoke('BroadcastRevenue', 'lots'), /Invalid 'update'/);
    await assert.rejects(admin.invoke('BroadcastAnalytics', { metrics: { views: 'many' } }), /Invalid 'metrics\.views'/);
  });

  test('GetPlatformStats gives real figures; GetConnectionCount the live count', async () => {
    const admin = await server.connect('/hubs/admin', { token: adminToken });
    const events = [await server.connect('/hubs/events'), await server.connect('/hubs/events')];
    const chat = await server.connect('/hubs/chat', { token: await server.token('jane.smith') });
    await chat.invoke('SendMessage', 'counted');
    const stats = (await within(admin.invoke('GetPlatformStats'), 5000, 'stats')) as any;
    const live = server.app.hubwire.connectionCount();
    assert.equal(stats.connections.total, live);
    assert.ok(stats.connections.byHub['/hubs/events'] >= 2);
    assert.ok(stats.connections.byHub['/hubs/admin'] >= 1);
    assert.ok(stats.connections.byHub['/hubs/chat'] >= 1);
    assert.deepEqual(stats.hubs.map((hub: { path: string }) => hub.path), server.app.hubPaths);
    for (const path of ['/hubs/events', '/hubs/admin', '/hubs/chat']) assert.ok(server.app.hubPaths.includes(path), path);
    const chatStats = stats.hubs.find((hub: { path: string }) => hub.path === '/hubs/chat');
    assert.ok(chatStats.invocations >= 1 && chatStats.messagesReceived >= 1 && chatStats.messagesSent >= 1);
    assert.ok(stats.messages.received >= 1 && stats.messages.sent >= 1 && stats.invocations.total >= 1);
    assert.ok(stats.memory.rssBytes > 0 && stats.memory.heapUsedBytes > 0);
    assert.ok(stats.uptimeSeconds >= 0);
    assert.equal(stats.process.pid, process.pid);
    assert.equal(await admin.invoke('GetConnectionCount'), server.app.hubwire.connectionCount());
    await within(events[0]!.stop(), 5000, 'stop');
    await until(() => server.app.hubwire.connectionCount() === live - 1, 5000, 'one connection fewer');
    assert.equal(await admin.invoke('GetConnectionCount'), live - 1);
  });
});

describe('/api/admin/realtime', () => {
  let server: TestApp;
  let adminToken: string;
  let memberToken: string;
  before(async () => {
    server = await startTestApp();
    adminToken = await server.token('admin');
    memberToken = await server.token('john.doe');
  });
  after(() => server.stop());

  test('GET health and status need no token', async () => {
    const health = await server.request('GET', '/api/admin/realtime/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'healthy');
    assert.equal(health.body.hub, '/hubs/admin');
    const status = await server.request('GET', '/api/admin/realtime/status');
    assert.equal(status.status, 200);
    assert.equal(status.body.status, 'running');
    assert.deepEqual(status.body.hubs, server.app.hubPaths);
    for (const path of ['/hubs/events', '/hubs/admin', '/hubs/chat']) assert.ok(status.body.hubs.includes(path), path);
    assert.equal(typeof status.body.connections.total, 'number');
  });

  test('every POST endpoint delivers to the right group with the right method', async () => {
    const admin = await server.connect('/hubs/admin', { token: adminToken });
    await admin.invoke('SubscribeToAlerts');
    await admin.invoke('SubscribeToAnalytics');
    await admin.invoke('SubscribeToUserActivity');
    const cases: [string, Record<string, unknown>, string, string, Record<string, unknown>][] = [
      ['broadcast/platform-update', { status: 'maintenance', message: 'Upgrade at 22:00' }, 'ReceivePlatformStatus', 'admins', { status: 'maintenance' }],
      ['broadcast/user-count', { total: 10, active: 4 }, 'ReceiveUserCount', 'analytics', { total: 10, active: 4, newToday: null }],
      ['broadcast/generation-metrics', { totalGenerations: 3, successRate: 1, averageDurationMs: 20, activeJobs: 1 }, 'ReceiveGenerationMetrics', 'analytics', { activeJobs: 1 }],
      ['broadcast/revenue', { amount: 99.5 }, 'ReceiveRevenueUpdate', 'analytics', { amount: 99.5, currency: 'USD', period: 'day' }],
      ['broadcast/analytics', { metrics: { views: 3 } }, 'ReceiveAnalytics', 'analytics', { metrics: { views: 3 } }],
      ['alert', { title: 'Hello', message: 'info alert' }, 'ReceiveAlert', 'alerts', { severity: 'info' }],
      ['alert', { title: 'Yay', message: 'done', severity: 'success' }, 'ReceiveAlert', 'alerts', { severity: 'success' }],
      ['alert/warning', { title: 'Careful', message: 'w', severity: 'info' }, 'ReceiveAlert', 'alerts', { severity: 'warning' }],
      ['alert/error', { title: 'Broken', message: 'e', source: 'billing' }, 'ReceiveAlert', 'alerts', { severity: 'error', source: 'billing' }],
      ['alert/performance', { metric: 'cpu', value: 85, threshold: 80, unit: '%' }, 'ReceivePerformanceAlert', 'alerts', { severity: 'warning' }],
      ['notify/user-action', { userId: 'u-1', action: 'login', details: { ip: '203.0.113.9' } }, 'ReceiveUserAction', 'user-activity', { details: { ip: '203.0.113.9' } }],
      ['notify/role-assignment', { userId: 'u-1', role: 'editor', action: 'revoked' }, 'ReceiveRoleAssignment', 'user-activity', { action: 'revoked', assignedBy: 'admin' }],
      ['notify/system-event', { eventType: 'backup', message: 'Backup done', severity: 'info' }, 'ReceiveSystemEvent', 'admins', { eventType: 'backup' }],
    ];
    for (const [path, body, method, group, expected] of cases) {
      const received = nextMessage(admin, method);
      const answer = await server.request('POST', `/api/admin/realtime/${path}`, { token: adminToken, body });
      assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.delivered, true);
      assert.equal(answer.body.method, method, path);
      assert.equal(answer.body.group, group, path);
      const [payload] = (await received) as [Record<string, unknown>];
      assert.deepEqual(payload, answer.body.payload, `${path}: the client gets the answered payload`);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(payload[key], value, `${path}: ${key}`);
    }
  });

  test('GET platform-snapshot: admin only', async () => {
    const snapshot = await server.request('GET', '/api/admin/realtime/platform-snapshot', { token: adminToken });
    assert.equal(snapshot.status, 200);
    assert.ok(snapshot.body.memory.rssBytes > 0);
    assert.equal(typeof snapshot.body.connections.total, 'number');
  });

  test('without a token 401, with a member token 403, for every protected endpoint', async () => {
    const protectedRoutes = [
      ['GET', 'platform-snapshot'],
      ...['broadcast/platform-update', 'broadcast/user-count', 'broadcast/generation-metrics', 'broadcast/revenue', 'alert', 'alert/warning', 'alert/error', 'alert/performance', 'notify/user-action', 'notify/role-assignment', 'notify/system-event'].map((path) => ['POST', path]),
    ] as const;
    for (const [method, path] of protectedRoutes) {
      const body = method === 'POST' ? {} : undefined;
      assert.equal((await server.request(method, `/api/admin/realtime/${path}`, { body })).status, 401, `${path} without token`);
      assert.equal((await server.request(method, `/api/admin/realtime/${path}`, { body, token: memberToken })).status, 403, `${path} as member`);
    }
  });

  test('invalid bodies: 400 naming the field', async () => {
    const cases: [string, unknown, string][] = [
      ['broadcast/platform-update', { status: 'on fire' }, 'status'],
      ['broadcast/platform-update', [], 'body'],
      ['broadcast/user-count', { total: -1, active: 0 }, 'total'],
      ['broadcast/user-count', { total: 3, active: 1.5 }, 'active'],
      ['broadcast/user-count', { total: 3, active: 1, newToday: 'x' }, 'newToday'],
      ['broadcast/generation-metrics', { totalGenerations: 1, successRate: 1.2, averageDurationMs: 1 }, 'successRate'],
      ['broadcast/generation-metrics', { successRate: 1, averageDurationMs: 1 }, 'totalGenerations'],
      ['broadcast/revenue', { amount: 5, currency: 'euro' }, 'currency'],
      ['broadcast/revenue', { amount: 5, period: 'decade' }, 'period'],
      ['broadcast/revenue', {}, 'amount'],
      ['alert', { message: 'no title' }, 'title'],
      ['alert', { title: 'x', message: 'm', severity: 'critical' }, 'severity'],
      ['alert/warning', { title: 'x' }, 'message'],
      ['alert/error', { title: '', message: 'm' }, 'title'],
      ['alert/performance', { metric: 'cpu', value: '90', threshold: 80 }, 'value'],
      ['alert/performance', { metric: 'cpu', value: 90 }, 'threshold'],
      ['notify/user-action', { action: 'login' }, 'userId'],
      ['notify/user-action', { userId: 'u', action: 'x', details: 'not an object' }, 'details'],
      ['notify/role-assignment', { userId: 'u', role: 'editor', action: 'maybe' }, 'action'],
      ['notify/role-assignment', { userId: 'u', role: '<script>' }, 'role'],
      ['notify/system-event', { eventType: 'deploy' }, 'message'],
      ['notify/system-event', { eventType: 'deploy', message: 'x', severity: 'fatal' }, 'severity'],
    ];
    for (const [path, body, field] of cases) {
      const answer = await server.request('POST', `/api/admin/realtime/${path}`, { token: adminToken, body });
      assert.equal(answer.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.equal(answer.body.field, field, `${path} ${JSON.stringify(body)}: ${answer.body.error}`);
      assert.equal(typeof answer.body.error, 'string');
    }
    const empty = await server.request('POST', '/api/admin/realtime/alert', { token: adminToken });
    assert.deepEqual([empty.status, empty.body.field], [400, 'body']);
  });
});

describe('admin stats push', () => {
  test('live platform stats go to the analytics group every ADMIN_STATS_INTERVAL_MS', async () => {
    const clock = new FakeClock();
    const server = await startTestApp({ ADMIN_STATS_INTERVAL_MS: '10000' }, { clock });
    try {
      const admin = await server.connect('/hubs/admin', { token: await server.token('admin') });
      await admin.invoke('SubscribeToAnalytics');
      const received = nextMessage(admin, 'ReceivePlatformStats');
      clock.advance(10_000);
      const [stats] = (await received) as [{ connections: { total: number }; uptimeSeconds: number }];
      assert.equal(stats.connections.total, 1);
      assert.equal(stats.uptimeSeconds, 10);
    } finally {
      await server.stop();
    }
  });
});
