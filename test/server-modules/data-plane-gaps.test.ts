/**
 * The data plane's 2024-12-01 additions over HTTP, end to end on the server app: `:generateToken`
 * (an Azure-style client token, checked by decoding it), `DELETE …/connections/{id}/groups`
 * (a connection leaves the groups a hub method, the REST API, its user's groups and app code put it in,
 * also from another node of a cluster), the error body (ServiceResponse and ErrorDetail fields)
 * with `x-ms-error-code` on the 401 answered before the body is read, and `:invoke`'s
 * ClientInvocationResponse.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { decodeJwt, jwtVerify } from 'jose';
import { Hub, jsonHubProtocol, type HubProtocol } from 'hubwire';
import { invokeConnection } from '../../apps/server/src/modules/data-plane/index.js';
import type { AppModule } from '../../apps/server/src/app-context.js';
import { DEMO_ACCESS_KEY } from '../../apps/server/src/config.js';
import { startTestApp, type RestAnswer, type TestApp } from '../server/support.js';
import { signalR } from '../support/signalr-client.js';
import { until, within } from '../support/wait.js';
import { deleteKeys, inbox, REDIS_URL, startNode, testPrefix, type DataPlaneNode } from './data-plane-harness.js';

/** JSON under another name: a protocol that is neither `json` nor `messagepack`. */
const JSON2: HubProtocol = {
  name: 'json2',
  version: jsonHubProtocol.version,
  transferFormat: jsonHubProtocol.transferFormat,
  parse: (input, maxMessageSize, maxMessages) => jsonHubProtocol.parse(input, maxMessageSize, maxMessages),
  write: (message) => jsonHubProtocol.write(message),
};

/** The official client's JSON protocol, asking for `json2` in the handshake. */
function json2Client(builder: signalR.HubConnectionBuilder): signalR.HubConnectionBuilder {
  const protocol = new signalR.JsonHubProtocol();
  (protocol as { name: string }).name = 'json2';
  return builder.withHubProtocol(protocol);
}

/** Clients join groups through a hub method too: the data plane must see those joins. */
class GroupsHub extends Hub {
  echo(text: string): string {
    return text;
  }

  async join(group: string): Promise<void> {
    await this.groups.add(this.context.connectionId, group);
  }
}

const groupsModule: AppModule = {
  name: 'groups-probe',
  register(app) {
    app.hubwire.mapHub('/hubs/groups', GroupsHub);
  },
};

/** A REST call with the demo access key as the bearer (api-version 2024-12-01 unless the path has one). */
function call(server: TestApp, method: string, path: string, options: { body?: unknown; authorization?: string | null } = {}): Promise<RestAnswer> {
  const url = new URL(server.url(path));
  if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', '2024-12-01');
  const authorization = options.authorization === null ? undefined : (options.authorization ?? `Bearer ${DEMO_ACCESS_KEY}`);
  return server.request(method, `${url.pathname}${url.search}`, {
    ...(options.body === undefined ? {} : { body: options.body }),
    headers: authorization === undefined ? {} : { authorization },
  });
}

async function connect(server: TestApp, user?: string, configure?: (builder: signalR.HubConnectionBuilder) => signalR.HubConnectionBuilder): Promise<signalR.HubConnection> {
  const connection = await server.connect('/hubs/groups', { ...(user === undefined ? {} : { token: await server.token(user) }), ...(configure === undefined ? {} : { configure }) });
  await within(connection.invoke('Echo', 'connected'), 5000, 'first invocation');
  return connection;
}

/** Sends a marker to the connection and waits for it: what was sent before it has arrived. */
async function flush(server: TestApp, connection: signalR.HubConnection, marks: unknown[]): Promise<void> {
  const marker = `marker:${randomUUID()}`;
  assert.equal((await call(server, 'POST', `/api/hubs/groups/connections/${connection.connectionId}/:send`, { body: { target: 'mark', arguments: [marker] } })).status, 202);
  await until(() => marks.includes(marker), 5000, 'marker');
}

/**
 * Puts the connection in four groups four ways: a hub method, the REST API of `server`, its
 * user's groups, and app code's hub context on `server` (outside any hub method).
 */
async function joinFourWays(server: TestApp, client: signalR.HubConnection, user: string, tag: string): Promise<string[]> {
  const groups = [`hub-${tag}`, `rest-${tag}`, `user-${tag}`, `context-${tag}`];
  await within(client.invoke('Join', groups[0]), 5000, 'hub method join');
  assert.equal((await call(server, 'PUT', `/api/hubs/groups/groups/${groups[1]}/connections/${client.connectionId}`)).status, 200);
  assert.equal((await call(server, 'PUT', `/api/hubs/groups/users/${user}/groups/${groups[2]}?ttl=0`)).status, 200);
  await server.app.hubwire.hubContext('/hubs/groups').groups.add(client.connectionId!, groups[3]!);
  for (const group of groups) assert.equal((await call(server, 'HEAD', `/api/hubs/groups/groups/${group}`)).status, 200, group);
  return groups;
}

describe('data-plane 2024-12-01 additions on one app', () => {
  let server: TestApp;
  before(async () => {
    server = await startTestApp({ REST_RATE_LIMIT_PER_SECOND: '0' }, { modules: [groupsModule] });
  });
  after(() => server.stop());

  test(':generateToken answers an Azure client token: aud = origin/client/?hub=, user id claims, roles, lifetime', async () => {
    const answer = await call(server, 'POST', '/api/hubs/Groups/:generateToken?userId=jane.smith&minutesToExpire=5&role=admin&role=ops&group=g1');
    assert.equal(answer.status, 200);
    assert.deepEqual(Object.keys(answer.body), ['token']);
    const origin = new URL(server.url('/')).origin;
    const { payload, protectedHeader } = await jwtVerify(answer.body.token as string, new TextEncoder().encode(DEMO_ACCESS_KEY), { audience: `${origin}/client/?hub=groups` });
    assert.equal(protectedHeader.alg, 'HS256');
    assert.deepEqual([payload['asrs.s.uid'], payload['nameid'], payload['role'], payload['group']], ['jane.smith', 'jane.smith', ['admin', 'ops'], 'g1']);
    assert.equal(payload.exp! - payload.iat!, 5 * 60);
    await assert.rejects(jwtVerify(answer.body.token as string, new TextEncoder().encode('another-access-key-0123456789abcdef')), /signature/);

    const anonymous = decodeJwt((await call(server, 'POST', '/api/hubs/groups/:generateToken')).body.token as string);
    assert.equal(anonymous.exp! - anonymous.iat!, 60 * 60);
    assert.equal(anonymous['asrs.s.uid'], undefined);
    const tooShort = await call(server, 'POST', '/api/hubs/groups/:generateToken?minutesToExpire=0');
    assert.deepEqual([tooShort.status, tooShort.body.target, tooShort.headers.get('x-ms-error-code')], [400, 'minutesToExpire', 'InvalidArgument']);
    assert.equal((await call(server, 'POST', '/api/hubs/groups/:generateToken?api-version=2022-06-01')).body.code, 'UnsupportedApiVersion');
    assert.equal((await call(server, 'POST', '/api/hubs/groups/:generateToken', { authorization: 'Bearer wrong-key' })).status, 401);
  });

  test('DELETE …/connections/{id}/groups: the connection leaves groups joined by a hub method, REST, its user and app code', async () => {
    const client = await connect(server, 'jane.smith');
    const [news, marks] = [inbox(client, 'news'), inbox(client, 'mark')];
    const groups = await joinFourWays(server, client, 'jane.smith', randomUUID());
    const removed = await call(server, 'DELETE', `/api/hubs/groups/connections/${client.connectionId}/groups`);
    assert.equal(removed.status, 200);
    for (const group of groups) {
      assert.equal((await call(server, 'HEAD', `/api/hubs/groups/groups/${group}`)).status, 404, group);
      assert.equal((await call(server, 'POST', `/api/hubs/groups/groups/${group}/:send`, { body: { target: 'news', arguments: [group] } })).status, 202);
    }
    await flush(server, client, marks);
    assert.deepEqual(news, []);
    const missing = await call(server, 'DELETE', '/api/hubs/groups/connections/no-such-connection/groups');
    assert.deepEqual([missing.status, missing.body.errorKind, missing.headers.get('x-ms-error-code')], [404, 'NotExisted', 'Warning.Connection.NotExisted']);
    await client.stop();
  });

  test('the 401 answered before the body is read has x-ms-error-code and the Azure error body', async () => {
    const path = '/api/hubs/groups/:send?api-version=2022-06-01';
    const refused = await server.request('POST', path, { rawBody: '{not json', headers: { 'content-type': 'application/json' } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('x-ms-error-code'), 'Unauthorized');
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer');
    assert.deepEqual(
      [refused.body.code, refused.body.level, refused.body.scope, refused.body.errorKind, refused.body.isSuccess, refused.body.statusCode, typeof refused.body.message],
      ['Unauthorized', 'Error', 'Request', 'Unknown', false, 401, 'string'],
    );
    const unreadable = await server.request('POST', path, { rawBody: '{not json', headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_ACCESS_KEY}` } });
    assert.deepEqual([unreadable.status, unreadable.headers.get('x-ms-error-code'), unreadable.body.errorKind, unreadable.body.target], [400, 'InvalidArgument', 'Invalid', 'body']);
  });

  test(':invoke answers ClientInvocationResponse: the result, no protocol for json and messagepack clients', async () => {
    const json = await connect(server);
    const msgpack = await connect(server, undefined, (builder) => builder.withHubProtocol(new MessagePackHubProtocol()));
    for (const [client, name] of [[json, 'json'], [msgpack, 'messagepack']] as const) {
      client.on('Where', (city: string) => ({ city, via: name }));
      const invoked = await call(server, 'POST', `/api/hubs/groups/connections/${client.connectionId}/:invoke`, { body: { target: 'Where', arguments: ['Oslo'] } });
      assert.deepEqual([invoked.status, invoked.body], [200, { result: { city: 'Oslo', via: name } }]);
    }
    await Promise.all([json.stop(), msgpack.stop()]);
  });
});

describe('data-plane remove-from-all-groups on two app instances on Redis', () => {
  const prefix = testPrefix();
  let [one, two]: TestApp[] = [];
  before(async () => {
    const env = { REDIS_URL, REDIS_PREFIX: prefix, REST_RATE_LIMIT_PER_SECOND: '0' };
    [one, two] = [await startTestApp(env, { modules: [groupsModule] }), await startTestApp(env, { modules: [groupsModule] })];
  });
  after(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await deleteKeys(prefix);
  });

  test('a call to the node without the connection removes it from every group, joins made on either node', async () => {
    const client = await connect(one!, 'john.doe');
    const [news, marks] = [inbox(client, 'news'), inbox(client, 'mark')];
    // The REST joins reach node two, which does not have the connection.
    const groups = await joinFourWays(two!, client, 'john.doe', randomUUID());
    assert.equal((await call(two!, 'DELETE', `/api/hubs/groups/connections/${client.connectionId}/groups`)).status, 200);
    for (const group of groups) {
      assert.equal((await call(one!, 'HEAD', `/api/hubs/groups/groups/${group}`)).status, 404, group);
      assert.equal((await call(two!, 'POST', `/api/hubs/groups/groups/${group}/:send`, { body: { target: 'news', arguments: [group] } })).status, 202);
    }
    await flush(two!, client, marks);
    assert.deepEqual(news, []);
    await client.stop();
  });
});

describe('data-plane :invoke names a protocol other than json and messagepack, from any node', () => {
  const prefix = testPrefix();
  let nodes: DataPlaneNode[] = [];
  before(async () => {
    nodes = [await startNode({ prefix, protocols: [jsonHubProtocol, JSON2] }), await startNode({ prefix, protocols: [jsonHubProtocol, JSON2] })];
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await deleteKeys(prefix);
  });

  test('a json2 client on node one, invoked through either node, answers { result, protocol: "json2" }; a json client has no protocol', async () => {
    const [one, two] = nodes as [DataPlaneNode, DataPlaneNode];
    const custom = await one.connect('jane', json2Client);
    const plain = await one.connect('john');
    custom.on('Where', () => 'custom');
    plain.on('Where', () => 'plain');
    const payload = { target: 'Where', arguments: [] };
    for (const node of [one, two]) {
      const answer = await node.call('/api/hubs/chat/connections/x/:invoke', (hub) => invokeConnection(hub, custom.connectionId!, payload), { since: '2024-12-01' });
      assert.deepEqual([answer.status, answer.body], [200, { result: 'custom', protocol: 'json2' }], node.base);
      const json = await node.call('/api/hubs/chat/connections/x/:invoke', (hub) => invokeConnection(hub, plain.connectionId!, payload), { since: '2024-12-01' });
      assert.deepEqual([json.status, json.body], [200, { result: 'plain' }], node.base);
    }
  });
});
