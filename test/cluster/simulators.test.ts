/**
 * Background work runs once per cluster: the events simulator, the synaxis agents and the admin
 * stats push each run on the node holding their lease; clients on every node get each event
 * once; when the leader goes, the other node takes over and continues where it left off.
 * Both apps share one fake clock for their schedules; the leases run on real time (short TTLs).
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createAdminModule } from '../../apps/server/src/modules/admin/index.js';
import type { PlatformStats } from '../../apps/server/src/modules/admin/stats.js';
import { createEventsModule, type EventsModule } from '../../apps/server/src/modules/events/index.js';
import type { MockEvent } from '../../apps/server/src/modules/events/generator.js';
import { NOTIFICATION_TYPES, type SynaxisNotification } from '../../apps/server/src/modules/synaxis/model.js';
import { createSynaxisModule, type SynaxisModule } from '../../apps/server/src/modules/synaxis/index.js';
import { seededRandom } from '../../apps/server/src/random.js';
import { FakeClock } from '../support/fake-clock.js';
import { until, within } from '../support/wait.js';
import { startTestApp, type TestApp } from '../server/support.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
// Long enough that a renewal delayed by a busy machine does not hand the lease over mid-test.
const LEASE_TTL = 1500;

function cluster(extra: Record<string, string>): Record<string, string> {
  return { REDIS_URL, REDIS_LEASE_TTL_MS: String(LEASE_TTL), REDIS_HEARTBEAT_MS: '100', ...extra };
}

describe('the events simulator runs once per cluster', () => {
  const apps: TestApp[] = [];
  after(async () => {
    for (const app of apps) await app.stop();
  });

  test('one leader; every client on either node gets each event once; GetRecentEvents is the same on both; the follower takes over and continues the stream', async () => {
    const clock = new FakeClock(Date.UTC(2025, 5, 1, 12));
    const env = cluster({ REDIS_PREFIX: `hubwire-test-${randomUUID()}`, EVENTS_ENABLED: 'true', EVENTS_MIN_DELAY_MS: '1000', EVENTS_MAX_DELAY_MS: '1000' });
    const modules = [createEventsModule(), createEventsModule()];
    for (const [index, module] of modules.entries()) apps.push(await startTestApp(env, { clock, random: seededRandom(index + 1), modules: [module] }));
    const [a, b] = apps as [TestApp, TestApp];
    const [ma, mb] = modules as [EventsModule, EventsModule];
    await until(() => ma.simulator!.running || mb.simulator!.running, LEASE_TTL * 2, 'a leader');
    assert.equal(Number(ma.simulator!.running) + Number(mb.simulator!.running), 1, 'exactly one simulator runs');
    assert.equal(Number(ma.lease!.held) + Number(mb.lease!.held), 1, 'exactly one lease is held');
    const onA = await a.connect('/hubs/events');
    const onB = await b.connect('/hubs/events');
    const seenA: MockEvent[] = [];
    const seenB: MockEvent[] = [];
    onA.on('ReceiveEvent', (event: MockEvent) => seenA.push(event));
    onB.on('ReceiveEvent', (event: MockEvent) => seenB.push(event));
    const sent = () => ma.simulator!.sent + mb.simulator!.sent;
    for (let round = 1; round <= 5; round++) {
      clock.advance(1000);
      assert.equal(sent(), round, `one event in the cluster per second (round ${round})`);
      await until(() => seenA.length === round && seenB.length === round, 5000, `event ${round} at both clients`);
    }
    assert.deepEqual(seenA, seenB);
    const recentA = (await within(onA.invoke('GetRecentEvents'), 5000, 'recent on a')) as MockEvent[];
    const recentB = (await within(onB.invoke('GetRecentEvents'), 5000, 'recent on b')) as MockEvent[];
    assert.deepEqual(recentA, seenA, 'the leader and the follower answer with the cluster\'s events');
    assert.deepEqual(recentB, seenA);

    const [leader, follower] = ma.lease!.held ? [ma, mb] : [mb, ma];
    const [leaderApp, seenF] = leader === ma ? [a, seenB] : [b, seenA];
    const onFollower = leader === ma ? onB : onA;
    const lastOrder = await leader.simulator!.emit('NewOrder');
    assert.equal(lastOrder.type, 'NewOrder');
    await until(() => seenF.length === 6, 5000, 'the order at the follower');
    const stoppedAt = Date.now();
    await leaderApp.stop();
    await until(() => follower.simulator!.running, LEASE_TTL * 2, 'the follower takes over');
    assert.ok(Date.now() - stoppedAt <= LEASE_TTL * 2, `took over after ${Date.now() - stoppedAt} ms`);
    assert.equal(follower.lease!.held, true);
    const next = await follower.simulator!.emit('NewOrder');
    assert.ok(next.type === 'NewOrder' && lastOrder.type === 'NewOrder');
    assert.equal(next.payload.orderId, lastOrder.payload.orderId + 1, 'order ids continue across the takeover');
    const before = follower.simulator!.sent;
    clock.advance(1000);
    assert.equal(follower.simulator!.sent, before + 1, 'the new leader runs the schedule');
    await until(() => seenF.length === 8, 5000, 'events of the new leader');
    const recent = (await within(onFollower.invoke('GetRecentEvents'), 5000, 'recent after the takeover')) as MockEvent[];
    assert.deepEqual(recent.slice(-8), seenF, 'one recent list across the takeover');
  });
});

describe('the synaxis agents run once per cluster', () => {
  const apps: TestApp[] = [];
  after(async () => {
    for (const app of apps) await app.stop();
  });

  test('organizations with members on either node get one notification per interval, the types in turn across a takeover', async () => {
    const clock = new FakeClock(Date.now());
    const env = cluster({ REDIS_PREFIX: `hubwire-test-${randomUUID()}`, SYNAXIS_ENABLED: 'true', SYNAXIS_INTERVAL_MS: '1000' });
    const modules = [createSynaxisModule(), createSynaxisModule()];
    for (const module of modules) apps.push(await startTestApp(env, { clock, modules: [module] }));
    const [a, b] = apps as [TestApp, TestApp];
    await until(() => modules[0]!.agents!.running || modules[1]!.agents!.running, LEASE_TTL * 2, 'a leader');
    assert.equal(Number(modules[0]!.agents!.running) + Number(modules[1]!.agents!.running), 1, 'exactly one set of agents runs');
    const [leader, follower] = (modules[0]!.agents!.running ? [modules[0], modules[1]] : [modules[1], modules[0]]) as [SynaxisModule, SynaxisModule];
    const [leaderApp, followerApp] = leader === modules[0] ? [a, b] : [b, a];

    // jane (acme) only on the follower: the leader must learn of her membership from Redis.
    const jane = await followerApp.connect('/hubs/synaxis', { token: await followerApp.token('jane.smith') });
    const john = await leaderApp.connect('/hubs/synaxis', { token: await leaderApp.token('john.doe') });
    const toJane: SynaxisNotification[] = [];
    const toJohn: SynaxisNotification[] = [];
    for (const type of NOTIFICATION_TYPES) {
      jane.on(type, (notification: SynaxisNotification) => toJane.push(notification));
      john.on(type, (notification: SynaxisNotification) => toJohn.push(notification));
    }
    await within(jane.invoke('JoinOrganization', 'acme'), 5000, 'jane joins');
    await within(john.invoke('JoinOrganization', 'globex'), 5000, 'john joins');
    assert.deepEqual((await leader.members!.organizations()).sort(), ['acme', 'globex']);
    for (let round = 1; round <= 3; round++) {
      clock.advance(1000);
      await until(() => toJane.length === round && toJohn.length === round, 5000, `notification ${round} at both members`);
    }
    assert.ok(toJane.every((notification) => notification.organizationId === 'acme'));
    assert.ok(toJohn.every((notification) => notification.organizationId === 'globex'));

    await leaderApp.stop();
    await until(() => follower.agents!.running, LEASE_TTL * 2, 'the follower takes over');
    // The leader's members are gone with it; jane's organization goes on with the next types.
    assert.deepEqual(await follower.members!.organizations(), ['acme']);
    for (let round = 4; round <= 5; round++) {
      clock.advance(1000);
      await until(() => toJane.length === round, 5000, `notification ${round} after the takeover`);
    }
    assert.deepEqual(toJane.map((notification) => notification.type), NOTIFICATION_TYPES, 'the five types in turn, across the takeover');
  });
});

describe('the admin stats push runs once per cluster', () => {
  const apps: TestApp[] = [];
  after(async () => {
    for (const app of apps) await app.stop();
  });

  test('admins in analytics on either node get one ReceivePlatformStats per interval, with the figures of both nodes', async () => {
    const clock = new FakeClock();
    const env = cluster({ REDIS_PREFIX: `hubwire-test-${randomUUID()}`, ADMIN_STATS_INTERVAL_MS: '1000' });
    const modules = [createAdminModule(), createAdminModule()];
    for (const module of modules) apps.push(await startTestApp(env, { clock, modules: [module] }));
    const [a, b] = apps as [TestApp, TestApp];
    const watchers = [await a.connect('/hubs/admin', { token: await a.token('admin') }), await b.connect('/hubs/admin', { token: await b.token('admin') })];
    const received: PlatformStats[][] = [[], []];
    for (const [index, watcher] of watchers.entries()) {
      watcher.on('ReceivePlatformStats', (stats: PlatformStats) => received[index]!.push(stats));
      await within(watcher.invoke('SubscribeToAnalytics'), 5000, 'subscribe');
    }
    await until(() => a.logs.concat(b.logs).some((line) => line.msg === 'lease acquired: this node leads' && line['lease'] === 'admin-stats'), LEASE_TTL * 2, 'a pusher');
    // Both admins in the registry before the pushed figures are judged.
    const deadline = Date.now() + 5000;
    while (((await within(watchers[0]!.invoke('GetPlatformStats'), 5000, 'stats')) as PlatformStats).connections.byHub['/hubs/admin'] !== 2) {
      if (Date.now() > deadline) throw new Error('the registry never counted both admins');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (let round = 1; round <= 3; round++) {
      clock.advance(1000);
      await until(() => received[0]!.length === round && received[1]!.length === round, 5000, `push ${round} at both admins`);
    }
    const pushers = new Set(received.flat().map((stats) => stats.nodeId));
    assert.equal(pushers.size, 1, 'one node pushes');
    const last = received[0]![2]!;
    assert.equal(last.connections.byHub['/hubs/admin'], 2, 'the figures count the admins of both nodes');
    assert.equal(last.nodes.length, 2);
  });
});
