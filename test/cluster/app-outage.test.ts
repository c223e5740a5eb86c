/**
 * The server app's modules during a Redis outage, on a redis-server of the test's own: the
 * leaders step down within the lease TTL (no simulator runs anywhere, none runs twice), admin
 * figures answer for the asking node alone marked `partial`, GetRecentEvents still answers and
 * the synaxis endpoint answers 503 (a notification goes out only with its place in the
 * organization's history, which is in Redis); when Redis is back, one leader again, the figures
 * are whole and notifications go out again.
 * @module
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAdminModule } from '../../apps/server/src/modules/admin/index.js';
import type { PlatformStats } from '../../apps/server/src/modules/admin/stats.js';
import { createEventsModule, type EventsModule } from '../../apps/server/src/modules/events/index.js';
import type { MockEvent } from '../../apps/server/src/modules/events/generator.js';
import { createSynaxisModule } from '../../apps/server/src/modules/synaxis/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { OwnRedisServer } from '../support/redis-server.js';
import { until, within } from '../support/wait.js';
import { startTestApp, type TestApp } from '../server/support.js';

const LEASE_TTL = 600;

describe('the server app during a Redis outage', () => {
  let redis: OwnRedisServer;
  const apps: TestApp[] = [];
  const events: EventsModule[] = [createEventsModule(), createEventsModule()];
  const clock = new FakeClock(Date.UTC(2025, 5, 1, 12));

  before(async () => {
    redis = await OwnRedisServer.start();
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'outage', REDIS_LEASE_TTL_MS: String(LEASE_TTL), REDIS_HEARTBEAT_MS: '100', EVENTS_ENABLED: 'true', EVENTS_MIN_DELAY_MS: '1000', EVENTS_MAX_DELAY_MS: '1000' };
    for (const module of events) apps.push(await startTestApp(env, { clock, modules: [module, createAdminModule(), createSynaxisModule()] }));
  });
  after(async () => {
    for (const app of apps) await app.stop();
    await redis?.stop();
  });

  test('leaders step down, figures go partial, reads still answer; after the restart one leader and whole figures again', async () => {
    const [a, b] = apps as [TestApp, TestApp];
    const running = () => events.filter((module) => module.simulator!.running).length;
    await until(() => running() === 1, LEASE_TTL * 2, 'one leader');
    const admin = await a.connect('/hubs/admin', { token: await a.token('admin') });
    const watchers = [await a.connect('/hubs/events'), await b.connect('/hubs/events')];
    const seen: MockEvent[][] = [[], []];
    watchers.forEach((watcher, index) => watcher.on('ReceiveEvent', (event: MockEvent) => seen[index]!.push(event)));
    const stats = () => within(admin.invoke('GetPlatformStats'), 5000, 'stats') as Promise<PlatformStats>;
    const adminToken = await b.token('admin');

    const downAt = Date.now();
    await redis.stop();
    await until(() => running() === 0 && events.every((module) => !module.lease!.held), LEASE_TTL + 100, 'every leader steps down');
    assert.ok(Date.now() - downAt <= LEASE_TTL + 100, `stepped down ${Date.now() - downAt} ms after the outage began`);
    const sent = events[0]!.simulator!.sent + events[1]!.simulator!.sent;
    clock.advance(3000);
    assert.equal(events[0]!.simulator!.sent + events[1]!.simulator!.sent, sent, 'no simulator runs during the outage');

    const partial = await stats();
    assert.equal(partial.partial, true);
    assert.deepEqual(partial.nodes.map((node) => node.nodeId), [a.app.cluster!.nodeId]);
    assert.equal(partial.connections.total, a.app.hubwire.connectionCount());
    assert.ok(Array.isArray(await within(watchers[1]!.invoke('GetRecentEvents'), 5000, 'recent during the outage')));
    const notified = await b.request('POST', '/api/synaxis/organizations/acme/notifications', { token: adminToken, body: { type: 'AuditEvent', payload: { actor: 'a', action: 'b', resource: 'c', outcome: 'success' } } });
    assert.equal(notified.status, 503, JSON.stringify(notified.body));
    assert.equal(notified.headers.get('retry-after'), '1');
    assert.match(notified.body.error, /Notifications cannot be sent right now \(the organization's history cannot be reached\)/);

    await redis.restart();
    await until(() => running() === 1, 10_000, 'one leader again');
    const deadline = Date.now() + 10_000;
    let whole = await stats();
    while (whole.partial || whole.nodes.length !== 2) {
      if (Date.now() > deadline) throw new Error(`figures not whole again: ${JSON.stringify({ partial: whole.partial, nodes: whole.nodes.length })}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      whole = await stats();
    }
    // Cross-node delivery resumes once the backplane has resubscribed; events before that are lost, not queued.
    const delivered = Date.now() + 10_000;
    while (!(seen[0]!.length > 0 && seen[1]!.length > 0 && seen[0]!.at(-1)!.timestamp === seen[1]!.at(-1)!.timestamp)) {
      if (Date.now() > delivered) throw new Error('events do not reach both nodes after the outage');
      clock.advance(1000);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(running(), 1);
    const back = await b.request('POST', '/api/synaxis/organizations/acme/notifications', { token: adminToken, body: { type: 'AuditEvent', payload: { actor: 'a', action: 'b', resource: 'c', outcome: 'success' } } });
    assert.equal(back.status, 202, JSON.stringify(back.body));
  });
});
