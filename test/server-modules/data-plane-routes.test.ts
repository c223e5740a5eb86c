/**
 * The data plane over HTTP, end to end: the server app with its Fastify routes, official clients
 * connected to a hub, Azure-style REST calls (an HS256 JWT signed with the demo access key, `aud`
 * = the URL as Azure's SDK forms it: no port, `?api-version=` signed), and the effect on the
 * clients checked — for every Azure path, the api-version, auth and not-found answers, paging
 * through `nextLink`, idempotent retries, and two app instances on Redis where the call reaches
 * the node without the connection.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Hub } from 'hubwire';
import type { AppModule } from '../../apps/server/src/app-context.js';
import { DEMO_ACCESS_KEY } from '../../apps/server/src/config.js';
import { startTestApp, type RestAnswer, type TestApp } from '../server/support.js';
import type { signalR } from '../support/signalr-client.js';
import { until, within } from '../support/wait.js';
import { azureToken, closed, deleteKeys, eventually, inbox, REDIS_URL, testPrefix } from './data-plane-harness.js';

/** The hub under test: clients call `Echo`; everything else is the data plane's doing. */
class ProbeHub extends Hub {
  echo(text: string): string {
    return text;
  }
}

const probeModule: AppModule = {
  name: 'probe',
  register(app) {
    app.hubwire.mapHub('/hubs/probe', ProbeHub);
  },
};

interface CallOptions {
  readonly body?: unknown;
  readonly version?: string;
  /** The Authorization header; default an Azure-style token for the URL; null: none. */
  readonly authorization?: string | null;
  readonly headers?: Record<string, string>;
}

/** A REST call to `server` with an Azure-style token (api-version 2022-06-01 unless the path has one). */
async function call(server: TestApp, method: string, path: string, options: CallOptions = {}): Promise<RestAnswer> {
  const url = new URL(server.url(path));
  if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', options.version ?? '2022-06-01');
  const authorization = options.authorization === null ? undefined : (options.authorization ?? `Bearer ${await tokenFor(url.toString())}`);
  return server.request(method, `${url.pathname}${url.search}`, {
    ...(options.body === undefined ? {} : { body: options.body }),
    headers: { ...(authorization === undefined ? {} : { authorization }), ...options.headers },
  });
}

/** As Azure's .NET SDK signs: scheme and host without the port, the path, `?api-version=` only. */
function tokenFor(url: string, key = DEMO_ACCESS_KEY, expiresIn?: number): Promise<string> {
  const parsed = new URL(url);
  const aud = `${parsed.protocol}//${parsed.hostname}${parsed.pathname}?api-version=${parsed.searchParams.get('api-version')}`;
  return azureToken(url, { key, aud, ...(expiresIn === undefined ? {} : { expiresIn }) });
}

/** A client on /hubs/probe as a demo user (anonymous without), once the server finished connecting it. */
async function connect(server: TestApp, user?: string): Promise<signalR.HubConnection> {
  const connection = await server.connect('/hubs/probe', user === undefined ? {} : { token: await server.token(user) });
  await within(connection.invoke('Echo', 'connected'), 5000, 'first invocation');
  return connection;
}

/** Sends a marker to `connection` and waits for it: what was sent before it has arrived. */
async function flush(server: TestApp, connection: signalR.HubConnection, marks: unknown[]): Promise<void> {
  const marker = `marker:${randomUUID()}`;
  const answer = await call(server, 'POST', `/api/hubs/probe/connections/${connection.connectionId}/:send`, { body: { target: 'mark', arguments: [marker] } });
  assert.equal(answer.status, 202);
  await until(() => marks.includes(marker), 5000, 'marker');
}

describe('data-plane routes on one app', () => {
  let server: TestApp;
  before(async () => {
    // Every call here comes from one address: the app's per-address rate limit would count them all.
    server = await startTestApp({ REST_RATE_LIMIT_PER_SECOND: '0' }, { modules: [probeModule] });
  });
  after(() => server.stop());

  test('sends to the hub (with excluded), a connection, a group and a user answer 202 and arrive', async () => {
    const [a, b] = [await connect(server, 'jane.smith'), await connect(server)];
    const [newsA, newsB, marksB] = [inbox(a, 'news'), inbox(b, 'news'), inbox(b, 'mark')];
    assert.equal((await call(server, 'POST', `/api/hubs/probe/:send?excluded=${b.connectionId}`, { body: { target: 'news', arguments: ['all'] } })).status, 202);
    await until(() => newsA.includes('all'), 5000, 'hub send');
    await flush(server, b, marksB);
    assert.equal(newsB.length, 0);

    assert.equal((await call(server, 'POST', `/api/hubs/Probe/connections/${b.connectionId}/:send`, { body: { target: 'news', arguments: ['one'] } })).status, 202);
    await until(() => newsB.includes('one'), 5000, 'connection send');

    assert.equal((await call(server, 'PUT', `/api/hubs/probe/groups/room/connections/${b.connectionId}`)).status, 200);
    assert.equal((await call(server, 'POST', '/api/hubs/probe/groups/room/:send', { body: { target: 'news', arguments: ['room'] } })).status, 202);
    await until(() => newsB.includes('room'), 5000, 'group send');

    assert.equal((await call(server, 'POST', '/api/hubs/probe/users/jane.smith/:send', { body: { target: 'news', arguments: ['jane'] } })).status, 202);
    await until(() => newsA.includes('jane'), 5000, 'user send');
    await flush(server, b, marksB);
    assert.deepEqual(newsB, ['one', 'room']);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('a connection joins and leaves a group; HEAD answers 200/404 for connections, groups and users', async () => {
    const client = await connect(server, 'john.doe');
    const id = client.connectionId!;
    assert.equal((await call(server, 'HEAD', `/api/hubs/probe/groups/g-${id}`)).status, 404);
    assert.equal((await call(server, 'PUT', `/api/hubs/probe/groups/g-${id}/connections/${id}`)).status, 200);
    const group = await call(server, 'HEAD', `/api/hubs/probe/groups/g-${id}`);
    assert.deepEqual([group.status, group.body], [200, '']);
    assert.equal((await call(server, 'HEAD', `/api/hubs/probe/connections/${id}`)).status, 200);
    assert.equal((await call(server, 'HEAD', '/api/hubs/probe/users/john.doe')).status, 200);
    const missing = await call(server, 'HEAD', '/api/hubs/probe/connections/no-such-connection');
    assert.deepEqual([missing.status, missing.headers.get('x-ms-error-code'), missing.body], [404, 'Warning.Connection.NotExisted', '']);
    assert.equal((await call(server, 'HEAD', '/api/hubs/probe/users/nobody')).headers.get('x-ms-error-code'), 'Warning.User.NotExisted');
    assert.equal((await call(server, 'DELETE', `/api/hubs/probe/groups/g-${id}/connections/${id}`)).status, 200);
    assert.equal((await call(server, 'HEAD', `/api/hubs/probe/groups/g-${id}`)).headers.get('x-ms-error-code'), 'Warning.Group.NotExisted');
    await client.stop();
  });

  test('a missing connection is 404 with errorKind; an unknown hub is 404 Error.Hub.NotExisted', async () => {
    const add = await call(server, 'PUT', '/api/hubs/probe/groups/room/connections/no-such-connection');
    assert.equal(add.status, 404);
    assert.equal(add.headers.get('x-ms-error-code'), 'Error.Connection.NotExisted');
    assert.deepEqual([add.body.code, add.body.errorKind, add.body.scope, add.body.isSuccess], ['Error.Connection.NotExisted', 'NotExisted', 'Connection', false]);
    const close = await call(server, 'DELETE', '/api/hubs/probe/connections/no-such-connection');
    assert.deepEqual([close.status, close.body.errorKind], [404, 'NotExisted']);
    const hub = await call(server, 'POST', '/api/hubs/nohub/:send', { body: { target: 'x' } });
    assert.deepEqual([hub.status, hub.body.code], [404, 'Error.Hub.NotExisted']);
  });

  test('a user joins a group with ttl (its later connections too), is checked, leaves one and all groups', async () => {
    const first = await connect(server, 'admin');
    assert.equal((await call(server, 'PUT', '/api/hubs/probe/users/admin/groups/ops?ttl=60')).status, 200);
    assert.equal((await call(server, 'PUT', '/api/hubs/probe/users/admin/groups/staff')).status, 200);
    assert.equal((await call(server, 'HEAD', '/api/hubs/probe/users/admin/groups/ops')).status, 200);
    assert.equal((await call(server, 'GET', '/api/hubs/probe/users/admin/groups/ops')).status, 200);
    const later = await connect(server, 'admin');
    const [early, late] = [inbox(first, 'ops'), inbox(later, 'ops')];
    assert.equal((await call(server, 'POST', '/api/hubs/probe/groups/ops/:send', { body: { target: 'ops', arguments: ['up'] } })).status, 202);
    await until(() => early.includes('up') && late.includes('up'), 5000, 'both connections of the user in the group');
    assert.equal((await call(server, 'PUT', '/api/hubs/probe/users/admin/groups/ops?ttl=soon')).body.target, 'ttl');

    assert.equal((await call(server, 'DELETE', '/api/hubs/probe/users/admin/groups/ops')).status, 204);
    const notIn = await call(server, 'GET', '/api/hubs/probe/users/admin/groups/ops');
    assert.deepEqual([notIn.status, notIn.body.errorKind, notIn.body.code], [404, 'NotInGroup', 'Info.User.NotInGroup']);
    assert.equal((await call(server, 'DELETE', '/api/hubs/probe/users/admin/groups')).status, 204);
    assert.equal((await call(server, 'HEAD', '/api/hubs/probe/users/admin/groups/staff')).status, 404);
    await Promise.all([first.stop(), later.stop()]);
  });

  test('closes: a connection (then 404), a group\'s, a user\'s and the hub\'s but the excluded', async () => {
    const one = await connect(server);
    const oneClosed = closed(one);
    assert.equal((await call(server, 'DELETE', `/api/hubs/probe/connections/${one.connectionId}?reason=bye`)).status, 200);
    assert.equal(await oneClosed, undefined);
    await eventually(async () => (await call(server, 'HEAD', `/api/hubs/probe/connections/${one.connectionId}`)).status === 404, 5000, 'closed connection gone');

    const member = await connect(server);
    assert.equal((await call(server, 'PUT', `/api/hubs/probe/groups/closing/connections/${member.connectionId}`)).status, 200);
    const memberClosed = closed(member);
    assert.equal((await call(server, 'POST', '/api/hubs/probe/groups/closing/:closeConnections?reason=done')).status, 204);
    await memberClosed;

    const user = await connect(server, 'john.doe');
    const userClosed = closed(user);
    assert.equal((await call(server, 'POST', '/api/hubs/probe/users/john.doe/:closeConnections')).status, 204);
    await userClosed;

    const [kept, gone] = [await connect(server), await connect(server)];
    const goneClosed = closed(gone);
    assert.equal((await call(server, 'POST', `/api/hubs/probe/:closeConnections?excluded=${kept.connectionId}`)).status, 204);
    await goneClosed;
    assert.equal((await call(server, 'HEAD', `/api/hubs/probe/connections/${kept.connectionId}`)).status, 200);
    await kept.stop();
  });

  test("a group's connections are paged with nextLink (2024-12-01 only)", async () => {
    const clients = [await connect(server), await connect(server, 'jane.smith'), await connect(server)];
    for (const client of clients) assert.equal((await call(server, 'PUT', `/api/hubs/probe/groups/paged/connections/${client.connectionId}`)).status, 200);
    assert.equal((await call(server, 'GET', '/api/hubs/probe/groups/paged/connections')).body.code, 'UnsupportedApiVersion');
    const first = await call(server, 'GET', '/api/hubs/probe/groups/paged/connections?maxpagesize=2', { version: '2024-12-01' });
    assert.equal(first.status, 200);
    assert.equal(first.body.value.length, 2);
    assert.equal(typeof first.body.nextLink, 'string');
    const next = new URL(first.body.nextLink as string);
    const second = await call(server, 'GET', `${next.pathname}${next.search}`);
    assert.equal(second.status, 200);
    assert.equal(second.body.nextLink, undefined);
    const ids = [...first.body.value, ...second.body.value].map((item: { connectionId: string }) => item.connectionId).sort();
    assert.deepEqual(ids, clients.map((client) => client.connectionId).sort());
    assert.ok([...first.body.value, ...second.body.value].some((item: { userId?: string }) => item.userId === 'jane.smith'));
    await Promise.all(clients.map((client) => client.stop()));
  });

  test(':invoke answers the client result; :execute applies commands to the filtered connections', async () => {
    const [jane, other] = [await connect(server, 'jane.smith'), await connect(server)];
    jane.on('GetLocation', (city: string) => ({ city }));
    const invoked = await call(server, 'POST', `/api/hubs/probe/connections/${jane.connectionId}/:invoke`, { version: '2024-12-01', body: { target: 'GetLocation', arguments: ['Berlin'] } });
    assert.deepEqual([invoked.status, invoked.body], [200, { result: { city: 'Berlin' } }]);
    assert.equal((await call(server, 'POST', `/api/hubs/probe/connections/${jane.connectionId}/:invoke`, { body: { target: 'GetLocation' } })).status, 400);

    const [janeWelcome, otherWelcome, otherMarks] = [inbox(jane, 'welcome'), inbox(other, 'welcome'), inbox(other, 'mark')];
    const filter = encodeURIComponent("userId eq 'jane.smith'");
    const commands = [{ type: 'JoinGroup', group: 'vip' }, { type: 'SendMessage', message: { target: 'welcome', arguments: ['hi'] } }];
    assert.equal((await call(server, 'POST', `/api/hubs/probe/:execute?filter=${filter}`, { version: '2024-12-01', body: commands })).status, 202);
    await until(() => janeWelcome.includes('hi'), 5000, 'execute send');
    await flush(server, other, otherMarks);
    assert.equal(otherWelcome.length, 0);
    assert.equal((await call(server, 'HEAD', '/api/hubs/probe/groups/vip')).status, 200);
    const bad = await call(server, 'POST', '/api/hubs/probe/:execute', { version: '2024-12-01', body: [{ type: 'Explode' }] });
    assert.deepEqual([bad.status, bad.body.target], [400, 'commands[0].type']);
    await Promise.all([jane.stop(), other.stop()]);
  });

  test('a missing or unknown api-version is 400 with its code, before the credential', async () => {
    const missing = await server.request('POST', '/api/hubs/probe/:send', { body: { target: 'x' } });
    assert.deepEqual([missing.status, missing.body.code, missing.headers.get('x-ms-error-code')], [400, 'ApiVersionUnspecified', 'ApiVersionUnspecified']);
    const unknown = await call(server, 'POST', '/api/hubs/probe/:send', { version: '2019-01-01', body: { target: 'x' } });
    assert.deepEqual([unknown.status, unknown.body.code, unknown.body.target], [400, 'UnsupportedApiVersion', 'api-version']);
    assert.equal((await server.request('HEAD', '/api/health?api-version=2024-12-01')).status, 200);
    assert.equal((await server.request('HEAD', '/api/health?api-version=1999-01-01')).status, 400);
  });

  test('no credential, another key, a wrong audience or an expired token is 401; the plain key passes', async () => {
    const path = '/api/hubs/probe/:send';
    const url = `${server.url(path)}?api-version=2022-06-01`;
    const body = { target: 'x' };
    const none = await call(server, 'POST', path, { authorization: null, body });
    assert.deepEqual([none.status, none.body.code, none.headers.get('www-authenticate')], [401, 'Unauthorized', 'Bearer']);
    const otherKey = await call(server, 'POST', path, { authorization: `Bearer ${await tokenFor(url, 'another-access-key-0123456789abcdefghij')}`, body });
    assert.equal(otherKey.status, 401);
    const wrongAud = await call(server, 'POST', path, { authorization: `Bearer ${await tokenFor(server.url('/api/hubs/probe/users/jane/:send?api-version=2022-06-01'))}`, body });
    assert.equal(wrongAud.status, 401);
    const expired = await call(server, 'POST', path, { authorization: `Bearer ${await tokenFor(url, DEMO_ACCESS_KEY, -60)}`, body });
    assert.deepEqual([expired.status, /expired/.test(expired.body.message as string)], [401, true]);
    assert.equal((await call(server, 'POST', path, { authorization: 'Bearer not-the-key', body })).status, 401);
    assert.equal((await call(server, 'POST', path, { authorization: `Bearer ${DEMO_ACCESS_KEY}`, body })).status, 202);
  });

  test('a caller without a credential is refused before its body is read; with one, a bad body is 400 InvalidArgument', async () => {
    const path = '/api/hubs/probe/:send?api-version=2022-06-01';
    const headers = { 'content-type': 'application/json' };
    const anonymous = await server.request('POST', path, { rawBody: '{not json', headers });
    assert.deepEqual([anonymous.status, anonymous.body.code], [401, 'Unauthorized']);
    const known = await server.request('POST', path, { rawBody: '{not json', headers: { ...headers, authorization: `Bearer ${DEMO_ACCESS_KEY}` } });
    assert.deepEqual([known.status, known.body.code, known.body.target], [400, 'InvalidArgument', 'body']);
    const noTarget = await call(server, 'POST', '/api/hubs/probe/:send', { body: { arguments: [] } });
    assert.deepEqual([noTarget.status, noTarget.body.target, noTarget.headers.get('x-ms-error-code')], [400, 'payload.target', 'InvalidArgument']);
  });

  test('a retried send with the same Idempotency-Key is delivered once; another body with it is 422', async () => {
    const client = await connect(server);
    const [news, marks] = [inbox(client, 'once'), inbox(client, 'mark')];
    const key = `retry-${randomUUID()}`;
    const send = (text: string) => call(server, 'POST', `/api/hubs/probe/connections/${client.connectionId}/:send`, { body: { target: 'once', arguments: [text] }, headers: { 'idempotency-key': key } });
    assert.equal((await send('a')).status, 202);
    const retry = await send('a');
    assert.deepEqual([retry.status, retry.headers.get('idempotent-replayed')], [202, 'true']);
    await flush(server, client, marks);
    assert.deepEqual(news, ['a']);
    const reused = await send('b');
    assert.deepEqual([reused.status, reused.body.code], [422, 'IdempotencyKeyReused']);
    await client.stop();
  });
});

describe('data-plane routes on two app instances on Redis', () => {
  const prefix = testPrefix();
  let [one, two]: TestApp[] = [];
  before(async () => {
    const env = { REDIS_URL, REDIS_PREFIX: prefix, REST_RATE_LIMIT_PER_SECOND: '0' };
    [one, two] = [await startTestApp(env, { modules: [probeModule] }), await startTestApp(env, { modules: [probeModule] })];
  });
  after(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await deleteKeys(prefix);
  });

  test('a call to the node without the connection finds, reaches and closes it', async () => {
    const client = await connect(one!, 'jane.smith');
    const id = client.connectionId!;
    const news = inbox(client, 'news');
    assert.equal((await call(two!, 'HEAD', `/api/hubs/probe/connections/${id}`)).status, 200);
    assert.equal((await call(two!, 'POST', `/api/hubs/probe/connections/${id}/:send`, { body: { target: 'news', arguments: ['from two'] } })).status, 202);
    await until(() => news.includes('from two'), 5000, 'cross-node send');
    assert.equal((await call(two!, 'PUT', `/api/hubs/probe/groups/far/connections/${id}`)).status, 200);
    assert.equal((await call(two!, 'HEAD', '/api/hubs/probe/groups/far')).status, 200);
    const ended = closed(client);
    assert.equal((await call(two!, 'DELETE', `/api/hubs/probe/connections/${id}`)).status, 200);
    await ended;
  });
});
