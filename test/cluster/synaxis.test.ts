/**
 * /hubs/synaxis with members on two nodes: joins on one node are counted by the admin endpoint
 * on the other, notifications reach members wherever they are, and leaving or disconnecting is
 * seen cluster-wide.
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { NOTIFICATION_TYPES, type SynaxisNotification } from '../../apps/server/src/modules/synaxis/model.js';
import { until, within } from '../support/wait.js';
import { signalR, startTestApp, type TestApp } from '../server/support.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const ALERT = { type: 'SecurityAlert', payload: { severity: 'high', category: 'authentication', message: 'Repeated failed sign-ins', sourceIp: null } };

interface Member {
  readonly connection: signalR.HubConnection;
  readonly received: SynaxisNotification[];
}

describe('/hubs/synaxis across two nodes', () => {
  let a: TestApp;
  let b: TestApp;
  let adminToken: string;

  before(async () => {
    const env = { REDIS_URL, REDIS_PREFIX: `hubwire-test-${randomUUID()}`, REDIS_HEARTBEAT_MS: '100' };
    a = await startTestApp(env);
    b = await startTestApp(env);
    adminToken = await a.token('admin');
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
  });

  async function member(app: TestApp, user: string): Promise<Member> {
    const connection = await app.connect('/hubs/synaxis', { token: await app.token(user) });
    const received: SynaxisNotification[] = [];
    for (const type of NOTIFICATION_TYPES) connection.on(type, (notification: SynaxisNotification) => received.push(notification));
    return { connection, received };
  }

  const notify = async (app: TestApp, organizationId: string) => {
    const answer = await app.request('POST', `/api/synaxis/organizations/${organizationId}/notifications`, { token: adminToken, body: ALERT });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    return answer.body as { notification: SynaxisNotification; members: number };
  };

  test('members on either node are counted and notified from the other; other organizations hear nothing', async () => {
    const janeOnB = await member(b, 'jane.smith');
    const janeOnA = await member(a, 'jane.smith');
    const johnOnA = await member(a, 'john.doe');
    assert.equal((await notify(a, 'acme')).members, 0);
    await within(janeOnB.connection.invoke('JoinOrganization', 'acme'), 5000, 'join on b');
    const first = await notify(a, 'acme');
    assert.equal(first.members, 1, 'a join on node b is counted at once by node a');
    await within(janeOnA.connection.invoke('JoinOrganization', 'acme'), 5000, 'join on a');
    await within(johnOnA.connection.invoke('JoinOrganization', 'globex'), 5000, 'john joins globex');
    const second = await notify(b, 'acme');
    assert.equal(second.members, 2, 'both nodes\' members');
    assert.equal((await notify(b, 'globex')).members, 1);
    const ids = [first.notification.notificationId, second.notification.notificationId];
    await until(() => ids.every((id) => janeOnB.received.some((n) => n.notificationId === id)), 5000, 'both notifications on node b');
    await until(() => janeOnA.received.some((n) => n.notificationId === ids[1]), 5000, 'the second on node a');
    assert.equal(janeOnA.received.some((n) => n.notificationId === ids[0]), false, 'node a\'s jane joined after the first');
    assert.deepEqual(janeOnB.received.find((n) => n.notificationId === ids[0]), first.notification, 'what the endpoint answered is what arrived');
    await until(() => johnOnA.received.length === 1, 5000, 'globex notification');
    assert.equal(johnOnA.received[0]!.organizationId, 'globex', 'globex members hear only globex');

    await within(janeOnB.connection.invoke('LeaveOrganization', 'acme'), 5000, 'leave on b');
    const third = await notify(a, 'acme');
    assert.equal(third.members, 1, 'the leave on node b is counted at once');
    await until(() => janeOnA.received.some((n) => n.notificationId === third.notification.notificationId), 5000, 'third on node a');
    assert.equal(janeOnB.received.some((n) => n.notificationId === third.notification.notificationId), false, 'node b\'s jane left');

    await within(janeOnA.connection.stop(), 5000, 'jane on a disconnects');
    await until(() => a.app.hubwire.connectionCount('/hubs/synaxis') === 1, 5000, 'the disconnect at node a');
    const deadline = Date.now() + 2000;
    let members = (await notify(b, 'acme')).members;
    while (members !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      members = (await notify(b, 'acme')).members;
    }
    assert.equal(members, 0, 'a disconnected member is no longer counted anywhere');
  });

  test('a member of one organization cannot join another, on any node', async () => {
    const john = await member(b, 'john.doe');
    await assert.rejects(john.connection.invoke('JoinOrganization', 'acme'), /You are not a member of organization 'acme'/);
    assert.equal((await notify(a, 'acme')).members, 0);
  });
});
