/**
 * The data plane on two nodes sharing a Redis (backplane, user groups, idempotency keys and the
 * node mesh under one prefix): every operation runs on node A while the connections it concerns
 * are on node B (or on both), and has the effect it has on one node.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  addConnectionToGroup,
  addUserToGroup,
  closeConnection,
  closeUserConnections,
  connectionExists,
  invokeConnection,
  listHubConnections,
  sendToConnection,
  sendToGroup,
  sendToHub,
  userInGroup,
} from '../../apps/server/src/modules/data-plane/index.js';
import { closed, deleteKeys, flush, inbox, startNode, testPrefix, type DataPlaneNode } from './data-plane-harness.js';

describe('data plane across two nodes on Redis', () => {
  const prefix = testPrefix();
  let a: DataPlaneNode;
  let b: DataPlaneNode;
  before(async () => {
    a = await startNode({ prefix });
    b = await startNode({ prefix });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await deleteKeys(prefix);
  });

  test('from A: a connection on B exists, gets a send, joins a group, answers an invoke and is closed; a missing one is 404', async () => {
    const onB = await b.connect(`bob-${randomUUID()}`);
    onB.on('Whoami', () => 'on B');
    const [news, marks] = [inbox(onB, 'news'), inbox(onB, 'mark')];
    const id = onB.connectionId!;
    assert.notEqual(a.nodeId, b.nodeId);
    assert.equal(a.hubwire.connectionCount('/hubs/chat'), 0, 'the connection is not on A');

    assert.deepEqual(await a.call('', (hub) => connectionExists(hub, id)), { status: 200 });
    assert.equal((await a.call('', (hub) => connectionExists(hub, 'nowhere'))).status, 404);
    assert.deepEqual(await a.call('', (hub) => sendToConnection(hub, id, { target: 'news', arguments: ['direct'] })), { status: 202 });
    const group = `g-${randomUUID()}`;
    assert.deepEqual(await a.call('', (hub) => addConnectionToGroup(hub, group, id)), { status: 200 });
    await a.call('', (hub) => sendToGroup(hub, group, { target: 'news', arguments: ['group'] }));
    await flush(a, onB, marks);
    assert.deepEqual(news, ['direct', 'group']);
    assert.equal((await a.call('', (hub) => addConnectionToGroup(hub, group, 'nowhere'))).status, 404);

    assert.deepEqual(await a.call('', (hub) => invokeConnection(hub, id, { target: 'Whoami', arguments: [] }), { since: '2024-12-01' }), { status: 200, body: { result: 'on B' } });

    const ended = closed(onB);
    assert.deepEqual(await a.call('', (hub) => closeConnection(hub, id, { reason: 'from A' })), { status: 200 });
    await ended;
    assert.equal((await a.call('', (hub) => closeConnection(hub, id))).status, 404);
  });

  test("a user added to a group on A: its connection on B joins, and so does the one it opens later on B", async () => {
    const user = `carol-${randomUUID()}`;
    const group = `g-${randomUUID()}`;
    const first = await b.connect(user);
    assert.deepEqual(await a.call('', (hub) => addUserToGroup(hub, user, group)), { status: 200 });
    assert.deepEqual(await b.call('', (hub) => userInGroup(hub, user, group)), { status: 200 }, 'B sees the membership A stored');
    const later = await b.connect(user);
    const inboxes = [first, later].map((connection) => ({ connection, news: inbox(connection, 'news'), marks: inbox(connection, 'mark') }));
    await a.call('', (hub) => sendToGroup(hub, group, { target: 'news', arguments: ['to the group'] }));
    for (const { connection, marks } of inboxes) await flush(a, connection, marks);
    assert.deepEqual(inboxes.map(({ news }) => news), [['to the group'], ['to the group']]);

    const both = Promise.all([closed(first), closed(later)]);
    const onA = await a.connect(user);
    const endedOnA = closed(onA);
    assert.deepEqual(await a.call('', (hub) => closeUserConnections(hub, user)), { status: 204 });
    await both;
    await endedOnA;
  });

  test("A lists the connections of both nodes, merged in order, a page at a time", async () => {
    const tag = randomUUID();
    const mine = [await a.connect(`dave-${tag}`), await b.connect(`erin-${tag}`), await b.connect(), await a.connect()];
    const listed: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const answer = await a.call('', (hub) => listHubConnections(hub, { maxpagesize: 2, ...(token === undefined ? {} : { continuationToken: token }) }));
      const body = answer.body as { value: { connectionId: string }[]; nextLink?: string };
      listed.push(...body.value.map((entry) => entry.connectionId));
      token = body.nextLink === undefined ? undefined : new URL(body.nextLink).searchParams.get('continuationToken')!;
      pages++;
    } while (token !== undefined && pages < 10);
    assert.deepEqual(listed, [...listed].sort());
    assert.equal(new Set(listed).size, listed.length);
    for (const connection of mine) assert.ok(listed.includes(connection.connectionId!));
    assert.equal(listed.length, a.hubwire.connectionCount('/hubs/chat') + b.hubwire.connectionCount('/hubs/chat'));
  });

  test('a send retried on the other node with the same Idempotency-Key is delivered once', async () => {
    const client = await b.connect('frank');
    const [news, marks] = [inbox(client, 'news'), inbox(client, 'mark')];
    const key = `k-${randomUUID()}`;
    const body = { target: 'news', arguments: ['exactly once'] };
    assert.deepEqual(await a.call('', (hub) => sendToHub(hub, body, { idempotencyKey: key })), { status: 202 });
    assert.deepEqual(await b.call('', (hub) => sendToHub(hub, body, { idempotencyKey: key })), { status: 202, headers: { 'idempotent-replayed': 'true' } });
    await flush(a, client, marks);
    assert.deepEqual(news, ['exactly once']);
  });
});
