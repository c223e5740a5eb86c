/**
 * The data-plane operations on one node with official clients connected: each operation's
 * answer in Azure's terms and its effect on the clients (what they receive, which groups they
 * are in, whether they are still connected).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  addConnectionToGroup,
  addUserToGroup,
  closeAllConnections,
  closeConnection,
  closeGroupConnections,
  closeUserConnections,
  connectionExists,
  groupExists,
  removeConnectionFromGroup,
  removeUserFromAllGroups,
  removeUserFromGroup,
  sendToConnection,
  sendToGroup,
  sendToHub,
  sendToUser,
  userExists,
  userInGroup,
  type HubTarget,
  type DataPlaneResult,
} from '../../apps/server/src/modules/data-plane/index.js';
import { closed, eventually, flush, inbox, startNode, type DataPlaneNode } from './data-plane-harness.js';
import { until } from '../support/wait.js';

const message = (text: string) => ({ target: 'news', arguments: [text] });

describe('data-plane operations on one node', () => {
  let node: DataPlaneNode;
  let now = Date.now();
  before(async () => {
    node = await startNode({ now: () => now });
  });
  after(() => node.stop());

  const call = (path: string, operation: (hub: HubTarget) => Promise<DataPlaneResult>) => node.call(path, operation);

  /** A client as `user` with its inboxes of `news` and `mark`. */
  async function client(user?: string) {
    const connection = await node.connect(user);
    return { connection, id: connection.connectionId!, news: inbox(connection, 'news'), marks: inbox(connection, 'mark') };
  }

  test('sends reach the hub but the excluded, one connection, a group but the excluded, and a user, answered 202', async () => {
    const jane = await client('jane');
    const janeAgain = await client('jane');
    const john = await client('john');
    const anonymous = await client();
    const group = `g-${randomUUID()}`;
    assert.deepEqual(await call(`/api/hubs/chat/groups/${group}/connections/${jane.id}`, (hub) => addConnectionToGroup(hub, group, jane.id)), { status: 200 });
    await call('', (hub) => addConnectionToGroup(hub, group, john.id));

    assert.deepEqual(await call('/api/hubs/chat/:send', (hub) => sendToHub(hub, message('to all'), { excluded: [john.id] })), { status: 202 });
    assert.deepEqual(await call('', (hub) => sendToConnection(hub, anonymous.id, message('to one'))), { status: 202 });
    assert.deepEqual(await call('', (hub) => sendToGroup(hub, group, message('to group'), { excluded: [jane.id] })), { status: 202 });
    assert.deepEqual(await call('', (hub) => sendToUser(hub, 'jane', message('to jane'))), { status: 202 });
    for (const each of [jane, janeAgain, john, anonymous]) await flush(node, each.connection, each.marks);
    assert.deepEqual(jane.news, ['to all', 'to jane']);
    assert.deepEqual(janeAgain.news, ['to all', 'to jane']);
    assert.deepEqual(john.news, ['to group']);
    assert.deepEqual(anonymous.news, ['to all', 'to one']);
  });

  test('a bad payload or group name is 400 InvalidArgument naming the field; nothing is sent', async () => {
    const jane = await client('jane');
    const noTarget = await call('', (hub) => sendToHub(hub, { arguments: [1] }));
    assert.deepEqual([noTarget.status, noTarget.body], [
      400,
      { code: 'InvalidArgument', level: 'Error', scope: 'Request', errorKind: 'Invalid', message: 'The payload needs a non-empty string "target" (the client method).', isSuccess: false, statusCode: 400, target: 'payload.target' },
    ]);
    assert.equal((await call('', (hub) => sendToHub(hub, { target: 'news', arguments: 'x' }))).status, 400);
    assert.equal(((await call('', (hub) => sendToGroup(hub, '   ', message('x')))).body as { target: string }).target, 'group');
    assert.equal(((await call('', (hub) => sendToGroup(hub, 'g'.repeat(1025), message('x')))).body as { target: string }).target, 'group');
    await flush(node, jane.connection, jane.marks);
    assert.deepEqual(jane.news, []);
  });

  test('connection group membership: add and remove take effect; a missing connection is 404 with Azure codes', async () => {
    const jane = await client('jane');
    const group = `g-${randomUUID()}`;
    await call('', (hub) => addConnectionToGroup(hub, group, jane.id));
    assert.deepEqual(await call('', (hub) => groupExists(hub, group)), { status: 200 });
    await call('', (hub) => sendToGroup(hub, group, message('in')));
    assert.deepEqual(await call('', (hub) => removeConnectionFromGroup(hub, group, jane.id)), { status: 200 });
    await call('', (hub) => sendToGroup(hub, group, message('out')));
    await flush(node, jane.connection, jane.marks);
    assert.deepEqual(jane.news, ['in']);

    const missingGroup = await call('', (hub) => groupExists(hub, group));
    assert.equal(missingGroup.status, 404);
    assert.equal(missingGroup.headers?.['x-ms-error-code'], 'Warning.Group.NotExisted');
    const add = await call('', (hub) => addConnectionToGroup(hub, group, 'no-such-connection'));
    assert.equal(add.status, 404);
    assert.deepEqual(add.body, {
      code: 'Error.Connection.NotExisted',
      level: 'Error',
      scope: 'Connection',
      errorKind: 'NotExisted',
      message: "Connection 'no-such-connection' does not exist.",
      isSuccess: false,
      statusCode: 404,
    });
    const remove = await call('', (hub) => removeConnectionFromGroup(hub, group, 'no-such-connection'));
    assert.deepEqual([remove.status, remove.headers?.['x-ms-error-code']], [404, 'Warning.Connection.NotExisted']);
  });

  test('existence checks: connection, user, user in group (404 with errorKind when missing)', async () => {
    const jane = await client(`jane-${randomUUID()}`);
    const user = `nobody-${randomUUID()}`;
    assert.deepEqual(await call('', (hub) => connectionExists(hub, jane.id)), { status: 200 });
    const noConnection = await call('', (hub) => connectionExists(hub, 'nope'));
    assert.deepEqual([noConnection.status, (noConnection.body as { errorKind: string }).errorKind], [404, 'NotExisted']);
    const noUser = await call('', (hub) => userExists(hub, user));
    assert.deepEqual([noUser.status, noUser.headers?.['x-ms-error-code']], [404, 'Warning.User.NotExisted']);
    const notInGroup = await call('', (hub) => userInGroup(hub, user, 'room'));
    assert.deepEqual([notInGroup.status, (notInGroup.body as { errorKind: string }).errorKind, notInGroup.headers?.['x-ms-error-code']], [404, 'NotInGroup', 'Info.User.NotInGroup']);
    await jane.connection.stop();
    // The server learns of the stop a moment after the client resolves it.
    await eventually(async () => (await call('', (hub) => connectionExists(hub, jane.id))).status === 404, 5000, 'the stopped connection to be gone');
  });

  test("a user's group membership covers its connections of now and its later ones, until the ttl runs out", async () => {
    const user = `u-${randomUUID()}`;
    const [group, brief] = [`g-${randomUUID()}`, `b-${randomUUID()}`];
    const first = await client(user);
    assert.deepEqual(await call('', (hub) => addUserToGroup(hub, user, group)), { status: 200 });
    assert.deepEqual(await call('', (hub) => addUserToGroup(hub, user, brief, 60)), { status: 200 });
    assert.deepEqual(await call('', (hub) => userInGroup(hub, user, group)), { status: 200 });
    const second = await client(user);
    await call('', (hub) => sendToGroup(hub, group, message('g1')));
    await call('', (hub) => sendToGroup(hub, brief, message('b1')));
    for (const each of [first, second]) await flush(node, each.connection, each.marks);
    assert.deepEqual(first.news, ['g1', 'b1']);
    assert.deepEqual(second.news, ['g1', 'b1']);

    now += 61_000; // the ttl of `brief` runs out: a connection opened now joins only `group`
    assert.equal((await call('', (hub) => userInGroup(hub, user, brief))).status, 404);
    const third = await client(user);
    await call('', (hub) => sendToGroup(hub, brief, message('b2')));
    await call('', (hub) => sendToGroup(hub, group, message('g2')));
    await flush(node, third.connection, third.marks);
    assert.deepEqual(third.news, ['g2']);

    assert.deepEqual(await call('', (hub) => removeUserFromGroup(hub, user, group)), { status: 204 });
    await call('', (hub) => sendToGroup(hub, group, message('g3')));
    for (const each of [first, second, third]) await flush(node, each.connection, each.marks);
    assert.ok([first, second, third].every((each) => !each.news.includes('g3')));
    assert.equal((await call('', (hub) => userInGroup(hub, user, group))).status, 404);
  });

  test('ttl=0 adds only the connections of now; removing a user from all groups takes its connections out of them', async () => {
    const user = `u-${randomUUID()}`;
    const [now0, kept, other] = [`z-${randomUUID()}`, `k-${randomUUID()}`, `o-${randomUUID()}`];
    const first = await client(user);
    await call('', (hub) => addUserToGroup(hub, user, now0, 0));
    await call('', (hub) => addUserToGroup(hub, user, kept));
    await call('', (hub) => addUserToGroup(hub, user, other, 3600));
    assert.equal((await call('', (hub) => userInGroup(hub, user, now0))).status, 404);
    const later = await client(user);
    await call('', (hub) => sendToGroup(hub, now0, message('zero')));
    await flush(node, later.connection, later.marks);
    await flush(node, first.connection, first.marks);
    assert.deepEqual(first.news, ['zero']);
    assert.deepEqual(later.news, []);

    assert.equal((await call('', (hub) => addUserToGroup(hub, user, kept, -1))).status, 400);
    assert.deepEqual(await call('', (hub) => removeUserFromAllGroups(hub, user)), { status: 204 });
    await call('', (hub) => sendToGroup(hub, kept, message('kept')));
    await call('', (hub) => sendToGroup(hub, other, message('other')));
    for (const each of [first, later]) await flush(node, each.connection, each.marks);
    assert.deepEqual(later.news, []);
    assert.deepEqual(first.news, ['zero']);
  });

  test('closing: one connection (404 when missing), the hub but the excluded, a group, a user; each client gets a Close without error', async () => {
    const one = await client('closer-1');
    const oneClosed = closed(one.connection);
    assert.deepEqual(await call('', (hub) => closeConnection(hub, one.id, { reason: 'bye' })), { status: 200 });
    assert.equal(await oneClosed, undefined);
    const again = await call('', (hub) => closeConnection(hub, one.id));
    assert.deepEqual([again.status, again.headers?.['x-ms-error-code']], [404, 'Warning.Connection.NotExisted']);

    const group = `g-${randomUUID()}`;
    const [inGroup, outside] = [await client('closer-2'), await client('closer-3')];
    await call('', (hub) => addConnectionToGroup(hub, group, inGroup.id));
    await call('', (hub) => addConnectionToGroup(hub, group, outside.id));
    const groupClosed = closed(inGroup.connection);
    assert.deepEqual(await call('', (hub) => closeGroupConnections(hub, group, { excluded: [outside.id] })), { status: 204 });
    await groupClosed;
    assert.equal(outside.connection.state, 'Connected');

    const [userA, userB] = [await client('closer-4'), await client('closer-4')];
    const both = Promise.all([closed(userA.connection), closed(userB.connection)]);
    assert.deepEqual(await call('', (hub) => closeUserConnections(hub, 'closer-4', { reason: 'user done' })), { status: 204 });
    await both;
    assert.equal(outside.connection.state, 'Connected');

    const keep = await client('closer-5');
    const outsideClosed = closed(outside.connection);
    assert.deepEqual(await call('', (hub) => closeAllConnections(hub, { excluded: [keep.id] })), { status: 204 });
    await outsideClosed;
    assert.equal(keep.connection.state, 'Connected');
    assert.deepEqual(await call('', (hub) => connectionExists(hub, keep.id)), { status: 200 });
    await until(() => node.hubwire.connectionCount('/hubs/chat') === 1, 5000, 'one connection left');
  });
});
