/**
 * `JoinOrganization(id, fromPosition)` on one node (memory history), with the official client:
 * notifications carry their position as a trailing argument; a member that comes back with the
 * last one is replayed what it missed, in order, then goes on live with no gap and no repeat,
 * also with notifications racing the join; a wrong epoch (a history that started again) gets
 * `recovered: false` and nothing replayed; positions are validated.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import type { GroupPosition } from 'hubwire';
import { NOTIFICATION_TYPES, type OrganizationJoin, type SynaxisNotification } from '../../apps/server/src/modules/synaxis/model.js';
import { createSynaxisModule } from '../../apps/server/src/modules/synaxis/index.js';
import { stopAll } from '../support/e2e.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { until, within } from '../support/wait.js';
import { demoTokens, startHarness, tokenFor, type Harness } from './harness.js';

const ALERT = { type: 'SecurityAlert', payload: { severity: 'high', category: 'authentication', message: 'Repeated failed sign-ins', sourceIp: null } };

interface Member {
  readonly connection: signalR.HubConnection;
  readonly received: { readonly notification: SynaxisNotification; readonly extra: readonly unknown[] }[];
  invoke<T>(method: string, ...args: unknown[]): Promise<T>;
  /** The trailing positions, in arrival order (one per notification, or the test fails). */
  positions(): GroupPosition[];
  ids(): string[];
}

describe('JoinOrganization(id, fromPosition) on one node', () => {
  let harness: Harness;
  let admin: string;
  const open: signalR.HubConnection[] = [];

  before(async () => {
    harness = await startHarness([createSynaxisModule()]);
    admin = (await demoTokens(harness.config)).admin;
  });
  after(async () => {
    await stopAll(open);
    await harness.close();
  });

  /** An organization of the test's own, and a member's token for it. */
  async function organization(): Promise<{ id: string; token: string }> {
    const id = `org-${randomUUID().slice(0, 8)}`;
    return { id, token: await tokenFor(harness.config, 'jane.smith', { orgs: [id] }) };
  }

  async function member(token: string, protocol: 'json' | 'messagepack' = 'json'): Promise<Member> {
    const builder = clientFor(harness.url('/hubs/synaxis'), { accessTokenFactory: () => token });
    if (protocol === 'messagepack') builder.withHubProtocol(new MessagePackHubProtocol());
    const connection = builder.build();
    const received: Member['received'] = [];
    for (const type of NOTIFICATION_TYPES) connection.on(type, (notification: SynaxisNotification, ...extra: unknown[]) => received.push({ notification, extra }));
    await within(connection.start(), 5000, 'synaxis client start');
    open.push(connection);
    return {
      connection,
      received,
      invoke: <T>(method: string, ...args: unknown[]) => within(connection.invoke<T>(method, ...args), 5000, method),
      positions: () =>
        received.map(({ notification, extra }) => {
          assert.equal(extra.length, 1, `one trailing argument with ${notification.notificationId}`);
          return extra[0] as GroupPosition;
        }),
      ids: () => received.map(({ notification }) => notification.notificationId),
    };
  }

  async function notify(organizationId: string, times = 1): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < times; i++) {
      const answer = await harness.request('POST', `/api/synaxis/organizations/${organizationId}/notifications`, { body: ALERT, token: admin });
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      ids.push((answer.body.notification as SynaxisNotification).notificationId);
    }
    return ids;
  }

  test('a join answers the position; every notification carries the next one', async () => {
    const org = await organization();
    await notify(org.id, 2); // before anyone joined: in the history all the same
    const jane = await member(org.token);
    const joined = await jane.invoke<OrganizationJoin>('JoinOrganization', org.id);
    assert.deepEqual(Object.keys(joined).sort(), ['joinedAt', 'organizationId', 'position']);
    assert.equal(joined.organizationId, org.id);
    assert.deepEqual({ ...joined.position, epoch: '' }, { group: `org:${org.id}`, offset: 2, epoch: '' });
    const sent = await notify(org.id, 3);
    await until(() => jane.received.length === 3, 5000, 'three notifications');
    assert.deepEqual(jane.ids(), sent);
    assert.deepEqual(
      jane.positions(),
      [3, 4, 5].map((offset) => ({ group: `org:${org.id}`, offset, epoch: joined.position.epoch })),
    );
    // Joining again (no position) changes nothing: the same answer, no second copy of anything.
    const again = await jane.invoke<OrganizationJoin>('JoinOrganization', org.id);
    assert.deepEqual(again.position, { ...joined.position, offset: 5 });
    const [next] = await notify(org.id);
    await until(() => jane.received.length === 4, 5000, 'the next one');
    assert.equal(jane.ids()[3], next);
    await jane.invoke('LeaveOrganization', org.id); // a round trip: a duplicate would have arrived by now
    assert.equal(jane.received.length, 4);
  });

  test('a member that comes back with its last position is replayed what it missed, then goes on live; notifications race the join', async () => {
    const org = await organization();
    const first = await member(org.token);
    await first.invoke('JoinOrganization', org.id);
    const before = await notify(org.id, 2);
    await until(() => first.received.length === 2, 5000, 'the first two');
    const last = first.positions().at(-1)!;
    await within(first.connection.stop(), 5000, 'first client stop');

    const missed = await notify(org.id, 4);
    const back = await member(org.token, 'messagepack');
    const racing = notify(org.id, 5);
    const result = await back.invoke<OrganizationJoin>('JoinOrganization', org.id, last);
    const raced = await racing;
    const live = await notify(org.id, 1);
    await until(() => back.ids().includes(live[0]!), 5000, 'the live one');

    assert.equal(result.recovered, true);
    assert.ok(result.replayed! >= missed.length, `replayed ${result.replayed}`);
    assert.equal(result.position.epoch, last.epoch);
    assert.deepEqual(back.ids(), [...missed, ...raced, ...live], 'every notification after the position, once, in order');
    assert.deepEqual(
      back.positions().map((position) => position.offset),
      Array.from({ length: missed.length + raced.length + live.length }, (_, i) => last.offset + 1 + i),
    );
    assert.equal(before.length, 2);
  });

  test('a position of another epoch (the history started again) is not recovered: nothing replayed, live from the answer on', async () => {
    const org = await organization();
    await notify(org.id, 3);
    const back = await member(org.token);
    const result = await back.invoke<OrganizationJoin>('JoinOrganization', org.id, { group: `org:${org.id}`, offset: 2, epoch: 'not-the-epoch' });
    assert.equal(result.recovered, false);
    assert.equal(result.replayed, 0);
    assert.equal(result.position.offset, 3);
    assert.notEqual(result.position.epoch, 'not-the-epoch');
    const live = await notify(org.id, 2);
    await until(() => back.received.length === 2, 5000, 'the live ones');
    assert.deepEqual(back.ids(), live);
    assert.deepEqual(
      back.positions().map((position) => [position.offset, position.epoch]),
      [
        [4, result.position.epoch],
        [5, result.position.epoch],
      ],
    );
  });

  test('fromPosition is validated; null is the same as leaving it out; non-members are refused first', async () => {
    const org = await organization();
    const jane = await member(org.token);
    for (const bad of [42, 'x', { offset: -1, epoch: 'e' }, { offset: 1.5, epoch: 'e' }, { offset: 1 }, { offset: 1, epoch: '' }, { offset: 1, epoch: 'e'.repeat(65) }, [1, 'e']]) {
      await assert.rejects(
        jane.invoke('JoinOrganization', org.id, bad),
        /HubException: fromPosition is the last position the client received, \{offset, epoch\} as it came \(offset an integer of at least 0, epoch a string\), or null\./,
        JSON.stringify(bad),
      );
    }
    const joined = await jane.invoke<OrganizationJoin>('JoinOrganization', org.id, null);
    assert.equal(joined.recovered, undefined);
    assert.equal(joined.position.offset, 0);
    const outsider = await member(await tokenFor(harness.config, 'john.doe', { orgs: ['elsewhere'] }));
    await assert.rejects(outsider.invoke('JoinOrganization', org.id, joined.position), /HubException: You are not a member of organization/);
  });
});
