/**
 * The RealtimeService example (packages/client/examples/realtime-service.ts) against the real
 * server app's /hubs/synaxis: JWT, organization switching (refused and accepted), handlers added
 * and removed, the connection state, and a reconnect after the socket is cut (a fresh token, the
 * organization joined again).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LogLevel } from '@microsoft/signalr';
import type { HubState, JoinInfo } from '@hubwire/client';
import { exponentialDelays, RealtimeService, type SynaxisNotification } from '../../packages/client/examples/realtime-service.js';
import { Deferred } from '../support/deferred.js';
import { UpgradedSockets } from '../support/e2e.js';
import { until, within } from '../support/wait.js';
import { startTestApp, type TestApp } from '../server/support.js';

describe('RealtimeService over /hubs/synaxis', () => {
  let server: TestApp;
  let sockets: UpgradedSockets;
  let admin: string;
  let jane: string;
  const services: RealtimeService[] = [];

  before(async () => {
    server = await startTestApp();
    sockets = new UpgradedSockets(server.app.http);
    admin = await server.token('admin');
    jane = await server.token('jane.smith');
  });

  after(async () => {
    await Promise.all(services.map((service) => within(service.disconnect(), 5000, 'disconnect').catch(() => undefined)));
    await server.stop();
  });

  /** Posts a SecurityAlert to the organization as the admin; resolves with how many members it reached. */
  async function alert(organizationId: string, message: string): Promise<number> {
    const answer = await server.request('POST', `/api/synaxis/organizations/${organizationId}/notifications`, {
      token: admin,
      body: { type: 'SecurityAlert', payload: { severity: 'high', category: 'auth', message, sourceIp: null } },
    });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    return answer.body.members as number;
  }

  function service(tokens: { count: number; gate?: Promise<void> }, errors: unknown[] = []): RealtimeService {
    const realtime = new RealtimeService({
      baseUrl: server.url(''),
      getToken: async () => {
        tokens.count++;
        await tokens.gate;
        return jane;
      },
      backoff: { initialMs: 20, maxMs: 80, jitter: 0 },
      onError: (error) => errors.push(error),
      connection: { logger: LogLevel.None },
    });
    services.push(realtime);
    return realtime;
  }

  it('exponential backoff: at once, then doubling up to the maximum, which repeats', () => {
    assert.deepEqual(exponentialDelays(), { delays: [0, 1000, 2000, 4000, 8000, 16_000], then: 30_000 });
    assert.deepEqual(exponentialDelays({ initialMs: 20, maxMs: 80 }), { delays: [0, 20, 40], then: 80 });
  });

  it('connects with the JWT, switches organizations (a refused one keeps the current), and routes handlers', async () => {
    const tokens = { count: 0 };
    const realtime = service(tokens);
    const states: HubState[] = [];
    realtime.onStateChange((state) => void states.push(state));
    const alerts: string[] = [];
    const everything: SynaxisNotification[] = [];
    const offAlerts = realtime.on('SecurityAlert', (notification) => void alerts.push(notification['message'] as string));
    realtime.onAny((notification) => void everything.push(notification));

    await within(realtime.connect(), 5000, 'connect');
    assert.equal(realtime.state, 'connected');
    assert.ok(tokens.count >= 1);
    const joined = await within(realtime.switchOrganization('acme'), 5000, 'join acme');
    assert.equal(joined?.organizationId, 'acme');
    assert.equal(realtime.organizationId, 'acme');

    assert.equal(await alert('acme', 'first'), 1);
    await until(() => alerts.length === 1, 5000, 'the first alert');

    // jane.smith is no member of globex: refused, and acme stays joined.
    await assert.rejects(realtime.switchOrganization('globex'), /not a member of organization 'globex'/);
    assert.equal(realtime.organizationId, 'acme');
    assert.equal(await alert('acme', 'second'), 1);
    await until(() => alerts.length === 2, 5000, 'the second alert');

    offAlerts();
    assert.equal(await alert('acme', 'third'), 1);
    await until(() => everything.length === 3, 5000, 'the third notification, to onAny only');
    assert.deepEqual(alerts, ['first', 'second']);
    assert.deepEqual(
      everything.map((n) => [n.type, n.organizationId, n['message']]),
      [
        ['SecurityAlert', 'acme', 'first'],
        ['SecurityAlert', 'acme', 'second'],
        ['SecurityAlert', 'acme', 'third'],
      ],
    );

    // Leaving: the organization has no member any more, nothing more arrives.
    await realtime.switchOrganization(null);
    assert.equal(realtime.organizationId, null);
    assert.equal(await alert('acme', 'after leaving'), 0);
    await realtime.disconnect();
    assert.deepEqual(states, ['connecting', 'connected', 'disconnected']);
  });

  it('after a cut socket: reconnecting, a fresh token, the organization joined again, notifications flow', async () => {
    const tokens = { count: 0 };
    const errors: unknown[] = [];
    const realtime = service(tokens, errors);
    const states: HubState[] = [];
    realtime.onStateChange((state) => void states.push(state));
    const messages: string[] = [];
    realtime.on('SecurityAlert', (notification) => void messages.push(notification['message'] as string));
    const joins: [string, string][] = [];
    realtime.onJoined((organizationId, _answer, info) => void joins.push([organizationId, info.reason]));
    // Switching before connecting: the join happens once connected.
    const switching = realtime.switchOrganization('acme');
    await within(realtime.connect(), 5000, 'connect');
    await within(switching, 5000, 'join acme');
    assert.equal(await alert('acme', 'before'), 1);
    await until(() => messages.length === 1, 5000, 'before the cut');

    const tokensBefore = tokens.count;
    sockets.destroyAll();
    await until(() => joins.length === 2, 5000, 'the re-join after the reconnect');
    assert.deepEqual(joins, [
      ['acme', 'connect'],
      ['acme', 'reconnect'],
    ]);
    assert.ok(tokens.count > tokensBefore, 'the token factory was asked again');
    assert.equal(await alert('acme', 'after'), 1);
    await until(() => messages.length === 2, 5000, 'after the reconnect');
    assert.deepEqual(messages, ['before', 'after']);
    assert.deepEqual(states, ['connecting', 'connected', 'reconnecting', 'connected']);
    assert.deepEqual(errors, []);
  });

  it('notifications sent while the client was away are replayed after the reconnect, once and in order', async () => {
    const tokens: { count: number; gate?: Promise<void> } = { count: 0 };
    const realtime = service(tokens);
    const messages: string[] = [];
    realtime.on('SecurityAlert', (notification) => void messages.push(notification['message'] as string));
    const joins: JoinInfo[] = [];
    realtime.onJoined((_organizationId, _answer, info) => void joins.push(info));
    await within(realtime.connect(), 5000, 'connect');
    const first = await within(realtime.switchOrganization('acme'), 5000, 'join acme');
    assert.equal(first?.position.group, 'org:acme');
    await alert('acme', 'a1');
    await until(() => messages.length === 1, 5000, 'a1');

    const away = new Deferred<void>();
    tokens.gate = away.promise; // the reconnect waits for its token
    sockets.destroyAll();
    await until(() => realtime.state === 'reconnecting', 5000, 'reconnecting');
    await alert('acme', 'a2');
    await alert('acme', 'a3');
    away.resolve();
    await until(() => joins.length === 2, 5000, 'the re-join');
    await alert('acme', 'a4');
    await until(() => messages.length === 4, 5000, 'a4');
    assert.deepEqual(messages, ['a1', 'a2', 'a3', 'a4']);
    assert.equal(joins[1]!.reason, 'reconnect');
    assert.equal(joins[1]!.recovered, true);
    assert.equal(joins[1]!.replayed, 2);
  });
});
