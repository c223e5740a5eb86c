/**
 * The data-plane operations that answer with data or guard against repeats, on one node with
 * official clients: paged lists (a group's connections with nextLink and top, the hub's
 * connections and users, a user's connections and groups), `:invoke` (result, client error,
 * timeout, missing connection), `:execute` with an OData filter, and Idempotency-Key retries.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  addConnectionToGroup,
  addUserToGroup,
  execute,
  invokeConnection,
  listGroupConnections,
  listHubConnections,
  listHubUsers,
  listUserConnections,
  listUserGroups,
  parseFilter,
  sendToGroup,
  sendToHub,
  type DataPlaneResult,
  type HubTarget,
} from '../../apps/server/src/modules/data-plane/index.js';
import { closed, flush, inbox, startNode, type DataPlaneNode } from './data-plane-harness.js';

interface Listed {
  value: { connectionId: string; userId?: string }[];
  nextLink?: string;
}

describe('data-plane lists, invoke, execute and idempotency on one node', () => {
  let node: DataPlaneNode;
  before(async () => {
    node = await startNode({ invokeTimeoutMs: 300 });
  });
  after(() => node.stop());

  const call = (path: string, operation: (hub: HubTarget) => Promise<DataPlaneResult>) => node.call(path, operation, { since: '2024-12-01' });

  /** Follows nextLinks from `first`, running `list` with each link's query; answers every page. */
  async function pages(first: string, list: (query: URLSearchParams) => (hub: HubTarget) => Promise<DataPlaneResult>): Promise<Listed[]> {
    const seen: Listed[] = [];
    let path: string | undefined = first;
    while (path !== undefined && seen.length < 20) {
      const query = new URL(`${node.base}${path}`).searchParams;
      const answer = await call(path, list(query));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const page = answer.body as Listed;
      seen.push(page);
      path = page.nextLink === undefined ? undefined : page.nextLink.slice(node.base.length);
    }
    return seen;
  }

  const paging = (query: URLSearchParams) => ({
    maxpagesize: query.has('maxpagesize') ? Number(query.get('maxpagesize')) : undefined,
    top: query.has('top') ? Number(query.get('top')) : undefined,
    continuationToken: query.get('continuationToken') ?? undefined,
  });

  test("a group's connections come in pages of maxpagesize, each once, ordered, with nextLink; top caps the total", async () => {
    const group = `g-${randomUUID()}`;
    const members: Awaited<ReturnType<DataPlaneNode['connect']>>[] = [];
    for (let index = 0; index < 5; index++) members.push(await node.connect(index === 4 ? undefined : `member-${index}`));
    for (const member of members) await call('', (hub) => addConnectionToGroup(hub, group, member.connectionId!));
    const path = `/api/hubs/chat/groups/${group}/connections?maxpagesize=2&api-version=2024-12-01`;
    const all = await pages(path, (query) => (hub) => listGroupConnections(hub, group, paging(query)));
    assert.deepEqual(all.map((page) => page.value.length), [2, 2, 1]);
    assert.equal(all[2]!.nextLink, undefined);
    const listed = all.flatMap((page) => page.value);
    assert.deepEqual(listed.map((member) => member.connectionId), members.map((member) => member.connectionId!).sort());
    const anonymous = listed.find((member) => member.connectionId === members[4]!.connectionId)!;
    assert.deepEqual(anonymous, { connectionId: members[4]!.connectionId });
    assert.equal(listed.find((member) => member.connectionId === members[0]!.connectionId)!.userId, 'member-0');
    const next = new URL(all[0]!.nextLink!);
    assert.deepEqual([next.searchParams.get('maxpagesize'), next.searchParams.get('api-version')], ['2', '2024-12-01']);

    const capped = await pages(`/api/hubs/chat/groups/${group}/connections?maxpagesize=2&top=3`, (query) => (hub) => listGroupConnections(hub, group, paging(query)));
    assert.deepEqual(capped.map((page) => page.value.length), [2, 1]);
    assert.equal(new URL(capped[0]!.nextLink!).searchParams.get('top'), '1');

    const bad = await call('', (hub) => listGroupConnections(hub, group, { maxpagesize: 201 }));
    assert.deepEqual([bad.status, (bad.body as { target: string }).target], [400, 'maxpagesize']);
    const badToken = await call('', (hub) => listGroupConnections(hub, group, { continuationToken: 'not/a token' }));
    assert.deepEqual([badToken.status, (badToken.body as { target: string }).target], [400, 'continuationToken']);
    assert.deepEqual((await call('', (hub) => listGroupConnections(hub, `empty-${randomUUID()}`))).body, { value: [] });
  });

  test("member listing: the hub's connections and users, paged; a user's connections and its groups", async () => {
    const user = `lister-${randomUUID()}`;
    const [a, b] = [await node.connect(user), await node.connect(user)];
    const group = `g-${randomUUID()}`;
    await call('', (hub) => addUserToGroup(hub, user, group, 600));
    const connections = (await pages('/api/hubs/chat/connections?maxpagesize=3', (query) => (hub) => listHubConnections(hub, paging(query)))).flatMap((page) => page.value);
    const ids = connections.map((connection) => connection.connectionId);
    assert.deepEqual(ids, [...ids].sort());
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(ids.length, node.hubwire.connectionCount('/hubs/chat'));
    assert.ok(ids.includes(a.connectionId!) && ids.includes(b.connectionId!));

    const users = (await pages('/api/hubs/chat/users?maxpagesize=2', (query) => (hub) => listHubUsers(hub, paging(query)))).flatMap((page) => page.value as unknown as { userId: string }[]);
    assert.ok(users.some((entry) => entry.userId === user));
    assert.equal(new Set(users.map((entry) => entry.userId)).size, users.length);

    const mine = await call('', (hub) => listUserConnections(hub, user));
    assert.deepEqual((mine.body as Listed).value.map((entry) => entry.connectionId).sort(), [a.connectionId!, b.connectionId!].sort());
    assert.deepEqual((await call('', (hub) => listUserGroups(hub, user))).body, { value: [{ group }] });
  });

  test(':invoke answers the client result; a client error is 502, no answer 504, a missing connection 404', async () => {
    const client = await node.connect('invoked');
    client.on('GetLocation', (city: string) => ({ city, lat: 52.5 }));
    client.on('Fail', () => {
      throw new Error('no location here');
    });
    client.on('Slow', () => new Promise(() => undefined));
    const id = client.connectionId!;
    assert.deepEqual(await call('', (hub) => invokeConnection(hub, id, { target: 'GetLocation', arguments: ['Berlin'] })), { status: 200, body: { result: { city: 'Berlin', lat: 52.5 } } });
    const failed = await call('', (hub) => invokeConnection(hub, id, { target: 'Fail', arguments: [] }));
    assert.equal(failed.status, 502);
    assert.equal((failed.body as { code: string }).code, 'ClientInvocationFailed');
    assert.match((failed.body as { message: string }).message, /no location here/);
    const slow = await call('', (hub) => invokeConnection(hub, id, { target: 'Slow', arguments: [] }));
    assert.deepEqual([slow.status, (slow.body as { code: string }).code], [504, 'ClientInvocationTimeout']);
    const missing = await call('', (hub) => invokeConnection(hub, 'no-such-connection', { target: 'GetLocation', arguments: [] }));
    assert.deepEqual([missing.status, missing.headers?.['x-ms-error-code']], [404, 'Warning.Connection.NotExisted']);
    // The client is still fine after the timeout.
    assert.deepEqual((await call('', (hub) => invokeConnection(hub, id, { target: 'GetLocation', arguments: ['Oslo'] }))).body, { result: { city: 'Oslo', lat: 52.5 } });
  });

  test(':execute runs its commands in order on the connections the filter matches, and checks all of them first', async () => {
    const tag = randomUUID().slice(0, 8);
    const [listenerA, listenerB, other] = [await node.connect(`listener-${tag}-a`), await node.connect(`listener-${tag}-b`), await node.connect(`other-${tag}`)];
    const [newsA, newsB, newsOther] = [inbox(listenerA, 'news'), inbox(listenerB, 'news'), inbox(other, 'news')];
    const [marksA, marksB, marksOther] = [inbox(listenerA, 'mark'), inbox(listenerB, 'mark'), inbox(other, 'mark')];
    const muted = `muted-${tag}`;
    const room = `room-${tag}`;
    await call('', (hub) => addConnectionToGroup(hub, muted, listenerB.connectionId!));
    const filter = `startswith(userId, 'listener-${tag}') and not ('${muted}' in groups)`;
    const commands = [
      { type: 'JoinGroup', group: room },
      { type: 'SendMessage', message: { target: 'news', arguments: ['welcome'] } },
    ];
    assert.deepEqual(await call('', (hub) => execute(hub, commands, filter)), { status: 202 });
    await call('', (hub) => sendToGroup(hub, room, { target: 'news', arguments: ['room'] }));
    for (const [connection, marks] of [[listenerA, marksA], [listenerB, marksB], [other, marksOther]] as const) await flush(node, connection, marks);
    assert.deepEqual(newsA, ['welcome', 'room']);
    assert.deepEqual(newsB, []);
    assert.deepEqual(newsOther, []);

    const invalid = await call('', (hub) => execute(hub, [{ type: 'LeaveGroup', group: room }, { type: 'Explode' }], filter));
    assert.deepEqual([invalid.status, (invalid.body as { target: string }).target], [400, 'commands[1].type']);
    await call('', (hub) => sendToGroup(hub, room, { target: 'news', arguments: ['still in room'] }));
    await flush(node, listenerA, marksA);
    assert.deepEqual(newsA, ['welcome', 'room', 'still in room']);
    assert.equal((await call('', (hub) => execute(hub, commands, "userId eq 'unclosed"))).status, 400);

    const closing = closed(other);
    assert.deepEqual(await call('', (hub) => execute(hub, [{ type: 'CloseConnection', reason: 'done' }], `userId eq 'other-${tag}'`)), { status: 202 });
    await closing;
    assert.equal(listenerA.state, 'Connected');
  });

  test('Idempotency-Key: a retried send is delivered once; the key with another message is 422; a send without a key always goes', async () => {
    const client = await node.connect('retrier');
    const news = inbox(client, 'news');
    const marks = inbox(client, 'mark');
    const key = `retry-${randomUUID()}`;
    const body = { target: 'news', arguments: ['once'] };
    assert.deepEqual(await call('', (hub) => sendToHub(hub, body, { idempotencyKey: key })), { status: 202 });
    assert.deepEqual(await call('', (hub) => sendToHub(hub, body, { idempotencyKey: key })), { status: 202, headers: { 'idempotent-replayed': 'true' } });
    const reused = await call('', (hub) => sendToHub(hub, { target: 'news', arguments: ['other'] }, { idempotencyKey: key }));
    assert.deepEqual([reused.status, (reused.body as { code: string }).code], [422, 'IdempotencyKeyReused']);
    await call('', (hub) => sendToHub(hub, { target: 'news', arguments: ['twice'] }));
    await call('', (hub) => sendToHub(hub, { target: 'news', arguments: ['twice'] }));
    await flush(node, client, marks);
    assert.deepEqual(news, ['once', 'twice', 'twice']);
  });
});

describe('OData filter', () => {
  const subject = (connectionId: string, userId: string | undefined, groups: string[] = []) => ({ connectionId, userId, inGroup: (group: string) => groups.includes(group) });

  test('comparisons, in, functions, not/and/or with precedence, null for anonymous', () => {
    const cases: [string, ReturnType<typeof subject>, boolean][] = [
      ["userId eq 'a'", subject('c1', 'a'), true],
      ["userId ne 'a'", subject('c1', 'a'), false],
      ['userId eq null', subject('c1', undefined), true],
      ["connectionId gt 'c1'", subject('c2', 'a'), true],
      ["userId in ('x', 'a')", subject('c1', 'a'), true],
      ["'vip' in groups", subject('c1', 'a', ['vip']), true],
      ["'vip' in groups", subject('c1', 'a'), false],
      ["endswith(userId, '-7') or contains(connectionId, 'zz')", subject('azzb', 'user-1'), true],
      ["userId eq 'a' or userId eq 'b' and connectionId eq 'c9'", subject('c1', 'a'), true],
      ["(userId eq 'a' or userId eq 'b') and connectionId eq 'c9'", subject('c1', 'a'), false],
      ["NOT (userId EQ 'it''s')", subject('c1', "it's"), false],
      ['true and not false', subject('c1', undefined), true],
      ["startswith(userId, 'a')", subject('c1', undefined), false],
    ];
    for (const [filter, who, expected] of cases) assert.equal(parseFilter(filter).matches(who), expected, filter);
    assert.deepEqual(parseFilter("'a' in groups or 'b' in groups").groups, ['a', 'b']);
  });

  test('malformed filters are 400 InvalidArgument on filter', () => {
    for (const filter of ["userId eq 'x", 'userId eq', 'groups eq 1', "userId like 'a'", "userId eq 'a')", "userId in groups"]) {
      assert.throws(() => parseFilter(filter), (error: Error & { target?: string; code?: string }) => error.code === 'InvalidArgument' && error.target === 'filter', filter);
    }
  });
});
