/**
 * The operator API on one process (issue 12): the overview's connections by transport and
 * protocol, nodes and counts; the series the sampler takes on a fake clock; groups and members;
 * a user's connections; a test message to each kind of target; a disconnect; and the refusals
 * (no token, a member's token, unknown hubs, connections and bad input). Official clients over
 * WebSockets (JSON), long polling (MessagePack) and server-sent events (JSON).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { adminModule } from '../../apps/server/src/modules/admin/index.js';
import { chatModule } from '../../apps/server/src/modules/chat/index.js';
import { eventsModule } from '../../apps/server/src/modules/events/index.js';
import { createOperatorModule, type OperatorModule } from '../../apps/server/src/modules/operator/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { within } from '../support/wait.js';
import { signalR, startTestApp, type RestAnswer, type TestApp } from '../server/support.js';

/** Reads until `accept` holds (bounded): counters follow the handshake by a tick. */
async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}: ${JSON.stringify(value).slice(0, 600)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function inbox(connection: signalR.HubConnection, method: string): unknown[][] {
  const received: unknown[][] = [];
  connection.on(method, (...args: unknown[]) => received.push(args));
  return received;
}

describe('operator API on one node', () => {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const operator: OperatorModule = createOperatorModule({ sampleIntervalMs: 5000, seriesWindowMs: 60_000 });
  let server: TestApp;
  let admin: string;
  let jane: signalR.HubConnection;
  let janeSse: signalR.HubConnection;
  let john: signalR.HubConnection;
  let before_: number;
  let after_: number;
  const get = (path: string) => server.request('GET', path, { token: admin });

  before(async () => {
    server = await startTestApp({ REST_RATE_LIMIT_PER_SECOND: '0' }, { clock, modules: [eventsModule, adminModule, chatModule, operator] });
    admin = await server.token('admin');
    const janeToken = await server.token('jane.smith');
    const johnToken = await server.token('john.doe');
    before_ = Date.now();
    jane = await server.connect('/hubs/chat', { token: janeToken, transport: signalR.HttpTransportType.WebSockets });
    janeSse = await server.connect('/hubs/chat', { token: janeToken, transport: signalR.HttpTransportType.ServerSentEvents });
    john = await server.connect('/hubs/chat', {
      token: johnToken,
      transport: signalR.HttpTransportType.LongPolling,
      configure: (builder) => builder.withHubProtocol(new MessagePackHubProtocol()),
    });
    await server.connect('/hubs/events', { transport: signalR.HttpTransportType.ServerSentEvents });
    after_ = Date.now();
    await within(jane.invoke('JoinWorkflow', 'w1'), 5000, 'jane joins w1');
    await within(john.invoke('JoinWorkflow', 'w1'), 5000, 'john joins w1');
    await within(jane.invoke('JoinWorkflow', 'w2'), 5000, 'jane joins w2');
    for (let i = 0; i < 3; i++) await within(jane.invoke('SendMessage', `hello ${i}`), 5000, 'send');
    await assert.rejects(within(jane.invoke('SendMessage', ''), 5000, 'empty send'), 'an empty message is refused');
  });
  after(() => server?.stop());

  test('every route refuses a caller without a token (401) and a member (403)', async () => {
    const member = await server.token('jane.smith');
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/operator/overview'],
      ['GET', '/api/operator/series'],
      ['GET', '/api/operator/hubs/chat/groups'],
      ['GET', '/api/operator/hubs/chat/groups/workflow:w1'],
      ['GET', '/api/operator/users/jane.smith/connections'],
      ['POST', '/api/operator/hubs/chat/send', { target: { all: true }, method: 'Ping' }],
      ['DELETE', `/api/operator/hubs/chat/connections/${jane.connectionId}`],
    ];
    for (const [method, path, body] of routes) {
      const anonymous = await server.request(method, path, { body });
      assert.equal(anonymous.status, 401, `${method} ${path} without a token`);
      assert.equal(typeof anonymous.body.error, 'string');
      const refused = await server.request(method, path, { body, token: member });
      assert.equal(refused.status, 403, `${method} ${path} as a member`);
      assert.equal(typeof refused.body.error, 'string');
    }
    assert.equal(jane.state, signalR.HubConnectionState.Connected, 'the refused disconnect did nothing');
  });

  test('overview: connections per hub by transport and protocol, groups, the node, invocation errors', async () => {
    const overview = await eventually(
      async () => (await get('/api/operator/overview')).body,
      (body) => body.hubs.find((hub: { hub: string }) => hub.hub === 'chat')?.byProtocol.messagepack === 1 && body.totals.errors.invocations === 1,
      'the three chat connections and the failed invocation in the figures',
    );
    assert.equal(overview.scope, 'cluster');
    const chat = overview.hubs.find((hub: { hub: string }) => hub.hub === 'chat');
    assert.equal(chat.path, '/hubs/chat');
    assert.equal(chat.connections, 3);
    assert.deepEqual(chat.byTransport, { web_sockets: 1, server_sent_events: 1, long_polling: 1 });
    assert.deepEqual(chat.byProtocol, { json: 2, messagepack: 1 });
    assert.equal(chat.groups, 2, 'workflow:w1 and workflow:w2');
    assert.equal(chat.invocations, 7, 'three joins, three sends and the refused one');
    assert.equal(chat.errors.invocations, 1);
    assert.equal(chat.errors.total, chat.errors.invocations + chat.errors.protocol + chat.errors.handshakes + chat.errors.clientTimeouts + chat.errors.backplane + chat.errors.presence);
    assert.deepEqual(chat.slowConsumer, { disconnects: 0, sendTimeouts: 0, drops: 0, conflated: 0, total: 0 });
    assert.ok(chat.messagesReceived >= 7 && chat.messagesSent >= 6, `${chat.messagesReceived} in, ${chat.messagesSent} out`);
    const events = overview.hubs.find((hub: { hub: string }) => hub.hub === 'events');
    assert.equal(events.connections, 1);
    assert.deepEqual(events.byTransport, { web_sockets: 0, server_sent_events: 1, long_polling: 0 });
    assert.deepEqual(overview.hubs.map((hub: { path: string }) => hub.path), server.app.hubPaths);
    assert.equal(overview.totals.connections, 4);
    assert.deepEqual(overview.totals.byTransport, { web_sockets: 1, server_sent_events: 2, long_polling: 1 });
    assert.equal(overview.totals.errors.invocations, 1);
    assert.equal(overview.totals.groups, 2);
    const [presenceNode] = await server.app.hubwire.hubContext('/hubs/chat').presence.nodes();
    assert.deepEqual(
      overview.nodes.map((node: { nodeId: string; alive: boolean; connections: number; url: string }) => [node.nodeId, node.alive, node.connections, node.url]),
      [[presenceNode!.nodeId, true, 4, server.app.url]],
      "one node, named as presence names it, so members' nodes match",
    );
    assert.equal(overview.nodeId, presenceNode!.nodeId);
  });

  test("groups: the hub's groups with counts, paged; a group's connections and users, paged; unknown hubs and bad cursors", async () => {
    const groups = (await get('/api/operator/hubs/chat/groups')).body;
    assert.deepEqual(groups, {
      hub: 'chat',
      path: '/hubs/chat',
      groupCount: 2,
      groups: { items: [{ group: 'workflow:w1', connections: 2 }, { group: 'workflow:w2', connections: 1 }], cursor: null },
    });
    const first = (await get('/api/operator/hubs/chat/groups?limit=1')).body.groups;
    assert.deepEqual(first.items, [{ group: 'workflow:w1', connections: 2 }]);
    const second = (await get(`/api/operator/hubs/chat/groups?limit=1&cursor=${first.cursor}`)).body.groups;
    assert.deepEqual(second, { items: [{ group: 'workflow:w2', connections: 1 }], cursor: null });

    const group = (await get('/api/operator/hubs/Chat/groups/workflow%3Aw1')).body;
    const members = [
      { connectionId: jane.connectionId, userId: 'jane.smith' },
      { connectionId: john.connectionId, userId: 'john.doe' },
    ].sort((a, b) => (a.connectionId! < b.connectionId! ? -1 : 1));
    assert.equal(group.group, 'workflow:w1');
    assert.equal(group.path, '/hubs/chat', 'hub names ignore case');
    assert.deepEqual([group.connectionCount, group.userCount], [2, 2]);
    assert.deepEqual(group.connections.items.map(({ connectionId, userId }: { connectionId: string; userId: string }) => ({ connectionId, userId })), members);
    assert.equal(group.connections.items[0].nodeId, (await get('/api/operator/overview')).body.nodeId);
    assert.deepEqual(group.users, { items: ['jane.smith', 'john.doe'], cursor: null });
    const paged = (await get('/api/operator/hubs/chat/groups/workflow%3Aw1?limit=1')).body;
    assert.deepEqual(paged.users.items, ['jane.smith']);
    const rest = (await get(`/api/operator/hubs/chat/groups/workflow%3Aw1?limit=1&userCursor=${paged.users.cursor}&connectionCursor=${paged.connections.cursor}`)).body;
    assert.deepEqual(rest.users, { items: ['john.doe'], cursor: null });
    assert.equal(rest.connections.items[0].connectionId, members[1]!.connectionId);
    const empty = (await get('/api/operator/hubs/chat/groups/nobody-here')).body;
    assert.deepEqual([empty.connectionCount, empty.userCount, empty.connections.items, empty.users.items], [0, 0, [], []]);

    const unknown = await get('/api/operator/hubs/nope/groups');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error, /nope/);
    const badCursor = await get('/api/operator/hubs/chat/groups?cursor=not%20a%20cursor');
    assert.deepEqual([badCursor.status, badCursor.body.field], [400, 'cursor']);
    const badLimit = await get('/api/operator/hubs/chat/groups/workflow%3Aw1?limit=0');
    assert.deepEqual([badLimit.status, badLimit.body.field], [400, 'limit']);
  });

  test("a user's connections: hub, node, transport, protocol, groups and when they connected", async () => {
    const answer = (await get('/api/operator/users/jane.smith/connections')).body;
    assert.equal(answer.user, 'jane.smith');
    assert.equal(answer.online, true);
    const byId = new Map(answer.connections.map((connection: { connectionId: string }) => [connection.connectionId, connection]));
    assert.equal(byId.size, 2);
    const ws = byId.get(jane.connectionId) as Record<string, unknown>;
    const sse = byId.get(janeSse.connectionId) as Record<string, unknown>;
    assert.deepEqual([ws['hub'], ws['path'], ws['transport'], ws['protocol'], ws['userId']], ['chat', '/hubs/chat', 'web_sockets', 'json', 'jane.smith']);
    assert.deepEqual([sse['transport'], sse['protocol']], ['server_sent_events', 'json']);
    assert.deepEqual([...(ws['groups'] as string[])].sort(), ['workflow:w1', 'workflow:w2']);
    assert.deepEqual(sse['groups'], []);
    for (const connection of [ws, sse]) {
      const since = Date.parse(connection['connectedAt'] as string);
      assert.ok(since >= before_ && since <= after_, `connected at ${connection['connectedAt']}`);
    }
    const john_ = (await get('/api/operator/users/john.doe/connections')).body.connections;
    assert.deepEqual(john_.map((connection: Record<string, unknown>) => [connection['transport'], connection['protocol']]), [['long_polling', 'messagepack']]);
    assert.deepEqual((await get('/api/operator/users/nobody/connections')).body, { user: 'nobody', online: false, connections: [] });
  });

  test('a test message to a group, a user, a connection and the whole hub reaches exactly them', async () => {
    const [atJane, atJaneSse, atJohn] = [inbox(jane, 'OperatorTest'), inbox(janeSse, 'OperatorTest'), inbox(john, 'OperatorTest')];
    const send = (body: unknown) => server.request('POST', '/api/operator/hubs/chat/send', { token: admin, body });
    const sent: RestAnswer[] = [];
    sent.push(await send({ target: { group: 'workflow:w2' }, method: 'OperatorTest', args: ['group', { n: 1 }] }));
    sent.push(await send({ target: { user: 'john.doe' }, method: 'OperatorTest', args: ['user'] }));
    sent.push(await send({ target: { connection: janeSse.connectionId }, method: 'OperatorTest', args: ['connection'] }));
    sent.push(await send({ target: { all: true }, method: 'OperatorTest' }));
    assert.deepEqual(sent.map((answer) => answer.status), [202, 202, 202, 202]);
    assert.deepEqual(sent.map((answer) => answer.body.recipients), [1, 1, 1, 3]);
    assert.deepEqual(sent[0]!.body, { sent: true, target: { group: 'workflow:w2' }, method: 'OperatorTest', recipients: 1, hub: 'chat', path: '/hubs/chat' });
    await eventually(async () => atJane.length + atJaneSse.length + atJohn.length, (count) => count === 6, 'six deliveries');
    // A recoverable group's message carries its position as a last argument, like every message of the group.
    assert.deepEqual(atJane.map((args) => args.slice(0, 2)), [['group', { n: 1 }], []]);
    assert.equal((atJane[0]![2] as { group: string }).group, 'workflow:w2');
    assert.deepEqual(atJohn, [['user'], []]);
    assert.deepEqual(atJaneSse, [['connection'], []]);

    const missing = await send({ target: { connection: 'no-such-connection' }, method: 'OperatorTest' });
    assert.equal(missing.status, 404);
    for (const [body, field] of [
      [{ target: {}, method: 'M' }, 'target'],
      [{ target: { group: 'a', user: 'b' }, method: 'M' }, 'target'],
      [{ target: { all: false }, method: 'M' }, 'target.all'],
      [{ target: { everyone: true }, method: 'M' }, 'target'],
      [{ target: { all: true } }, 'method'],
      [{ target: { all: true }, method: 'M', args: 'not a list' }, 'args'],
    ] as const) {
      const refused = await send(body);
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.ok(String(refused.body.field).startsWith(field), `${JSON.stringify(body)}: field ${refused.body.field}`);
    }
    assert.equal((await server.request('POST', '/api/operator/hubs/nope/send', { token: admin, body: { target: { all: true }, method: 'M' } })).status, 404);
  });

  test('series: rates per hub from the sampler on the fake clock, cut to a window and a hub', async () => {
    // The sampler took its baseline when the app started; everything in before() is in this interval.
    await eventually(async () => (await get('/api/operator/overview')).body.totals.errors.invocations, (errors) => errors === 1, 'the error counted');
    clock.advance(5000);
    const series = await eventually(async () => (await get('/api/operator/series')).body, (body) => body.points.length >= 1, 'the first point');
    assert.deepEqual([series.intervalSeconds, series.windowSeconds], [5, 60]);
    assert.deepEqual(series.hubs.map((hub: { path: string }) => hub.path), server.app.hubPaths);
    const [point] = series.points;
    assert.equal(point.seconds, 5);
    assert.equal(point.scope, 'cluster');
    assert.equal(point.timestamp, new Date(clock.now()).toISOString());
    const chat = point.hubs['/hubs/chat'];
    assert.equal(chat.invocations, 7 / 5, 'three joins, three sends and the refused one in 5 s');
    assert.equal(chat.invocationErrors, 1 / 5);
    assert.ok(chat.messagesIn >= chat.invocations && chat.messagesOut > 0, JSON.stringify(chat));
    assert.equal(chat.slowConsumerActions, 0);
    assert.equal(chat.connections, 3);
    assert.equal(point.totals.connections, 4);

    await within(jane.invoke('GetWorkflows'), 5000, 'one more invocation');
    clock.advance(5000);
    const two = await eventually(async () => (await get('/api/operator/series?hub=chat')).body, (body) => body.points.length === 2, 'the second point');
    assert.deepEqual(Object.keys(two.points[1].hubs), ['/hubs/chat']);
    assert.equal(two.points[1].hubs['/hubs/chat'].invocations, 1 / 5);
    assert.equal(two.points[1].hubs['/hubs/chat'].invocationErrors, 0, 'the error was in the first interval');
    assert.equal((await get('/api/operator/series?window=5s')).body.points.length, 1, 'the last 5 s hold one point');
    assert.equal((await get('/api/operator/series?window=1m')).body.points.length, 2);
    for (let i = 0; i < 14; i++) {
      clock.advance(5000);
      await within(operator.sampler!.sample(), 5000, 'a sample');
    }
    assert.equal(operator.sampler!.points(Number.MAX_SAFE_INTEGER).length, 12, 'the ring keeps 60 s: 12 points of 5 s');
    assert.equal((await get('/api/operator/series')).body.points.length, 12);
    for (const window of ['0', '5h', '-1', 'soon']) assert.equal((await get(`/api/operator/series?window=${window}`)).status, 400, window);
    assert.equal((await get('/api/operator/series?hub=nope')).status, 404);
  });

  test('disconnect: the connection gets a Close and is gone; a second time and an unknown hub are 404', async () => {
    const closed = new Promise<Error | undefined>((resolve) => janeSse.onclose(resolve));
    const id = janeSse.connectionId!;
    const answer = await server.request('DELETE', `/api/operator/hubs/chat/connections/${id}?reason=operator%20test`, { token: admin });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { closed: true, hub: 'chat', path: '/hubs/chat', connectionId: id, reason: 'operator test' });
    assert.equal(await within(closed, 5000, 'the close'), undefined, 'a Close without error');
    const again = await server.request('DELETE', `/api/operator/hubs/chat/connections/${id}`, { token: admin });
    assert.equal(again.status, 404);
    assert.match(again.body.error, /does not exist/);
    assert.equal((await server.request('DELETE', `/api/operator/hubs/nope/connections/${jane.connectionId}`, { token: admin })).status, 404);
    assert.equal(jane.state, signalR.HubConnectionState.Connected, 'only that connection');
    const logged = server.logs.find((line) => line.msg === 'operator disconnected a connection');
    assert.equal(logged?.['by'], 'admin');
  });

  test('the sampler stops with the app', async () => {
    const sampler = operator.sampler!;
    const kept = sampler.points(Number.MAX_SAFE_INTEGER).length;
    await server.stop();
    clock.advance(20_000);
    await sampler.sample();
    assert.equal(sampler.points(Number.MAX_SAFE_INTEGER).length, kept, 'no sample after the stop');
    assert.ok(kept > 0);
  });
});
