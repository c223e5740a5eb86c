/**
 * Serverless hubs end to end: the server app in-process with SERVERLESS_HUBS=notes and UPSTREAM
 * pointing at a local upstream that verifies X-ASRS-Signature, official clients (JSON and
 * MessagePack) connecting at Azure's client URL with Azure-format client tokens, and what the
 * upstream answers coming back as results; retries on 5xx, failures, connection events, token
 * refusals, an app-owned negotiate redirecting the client, and a data-plane REST send reaching
 * the serverless hub's clients.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { clientAccessToken, messagePackHubProtocol, MessageType } from 'hubwire';
import { startApp } from '../../apps/server/src/app.js';
import { ConfigError, DEMO_ACCESS_KEY, loadConfig } from '../../apps/server/src/config.js';
import { startTestApp, type TestApp } from '../server/support.js';
import { APP_TEST_ENV } from '../support/app-env.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { stopAll } from '../support/e2e.js';
import { until, within } from '../support/wait.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../server-modules/data-plane-harness.js';
import { startNegotiateServer, startUpstream, type Upstream, type UpstreamCall } from './serverless-support.js';

const HUB = 'notes';

/** The invocation the upstream received, parsed from its body in the protocol its content type names. */
function invocationIn(call: UpstreamCall): { invocationId?: string; target: string; arguments: unknown[] } {
  if (call.headers['content-type'] === 'application/x-msgpack') {
    const parsed = messagePackHubProtocol.parse(call.body, null);
    assert.equal(parsed.consumed, call.body.length, 'one framed MessagePack message');
    return parsed.messages[0] as never;
  }
  const text = call.body.toString('utf8');
  assert.ok(text.endsWith('\u001e'), 'the JSON invocation ends with the record separator');
  return JSON.parse(text.slice(0, -1)) as never;
}

/** Answers `Add(a, b)` with a Completion in the caller's protocol, `Echo(x)` with plain JSON. */
function arithmetic(call: UpstreamCall) {
  if (!call.path.includes('/messages/')) return { status: 200 };
  const message = invocationIn(call);
  if (message.target === 'Echo') return { status: 200, contentType: 'application/json', body: JSON.stringify({ echoed: message.arguments[0] }) };
  const result = (message.arguments as number[]).reduce((sum, value) => sum + value, 0);
  if (call.headers['content-type'] === 'application/x-msgpack') {
    return { status: 200, contentType: 'application/x-msgpack', body: messagePackHubProtocol.write({ type: MessageType.Completion, invocationId: message.invocationId!, result, hasResult: true }) as Buffer };
  }
  return { status: 200, contentType: 'application/json', body: `${JSON.stringify({ type: 3, invocationId: message.invocationId, result })}\u001e` };
}

describe('serverless hubs', () => {
  let upstream: Upstream;
  let server: TestApp;
  const clients: signalR.HubConnection[] = [];

  before(async () => {
    upstream = await startUpstream([DEMO_ACCESS_KEY]);
    server = await startTestApp({ SERVERLESS_HUBS: HUB, UPSTREAM: `${upstream.url}/{hub}/api/{category}/{event}`, UPSTREAM_TIMEOUT_MS: '2000', REST_RATE_LIMIT_PER_SECOND: '0' });
  });
  after(async () => {
    await stopAll(clients);
    await server?.stop();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.calls.length = 0;
    upstream.respond = arithmetic;
  });

  /** A client token as Azure's SDK signs it, for `user`. */
  const token = (user: string, options: { key?: string; lifetimeSeconds?: number; hub?: string } = {}) =>
    clientAccessToken({ accessKey: options.key ?? DEMO_ACCESS_KEY, audience: `https://signalr.example.com/client/?hub=${options.hub ?? HUB}`, userId: user, ...(options.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: options.lifetimeSeconds }) });

  /** An official client at Azure's client URL, started; stopped after the file. */
  async function connect(user: string, options: { msgpack?: boolean; transport?: signalR.HttpTransportType } = {}): Promise<signalR.HubConnection> {
    const accessToken = await token(user);
    let builder = clientFor(server.url(`/client/?hub=${HUB}`), { accessTokenFactory: () => accessToken, ...(options.transport === undefined ? {} : { transport: options.transport }) });
    if (options.msgpack === true) builder = builder.withHubProtocol(new MessagePackHubProtocol());
    const connection = builder.build();
    clients.push(connection);
    await within(connection.start(), 5000, 'client start');
    return connection;
  }

  test('JSON: an invocation is POSTed signed, with Azure headers and the invocation as body; the Completion answered is the result', async () => {
    const connection = await connect('jane');
    assert.equal(await within(connection.invoke('Add', 1, 2, 3), 5000, 'Add'), 6);
    const call = upstream.calls.find((candidate) => candidate.path === `/${HUB}/api/messages/Add`);
    assert.ok(call, JSON.stringify(upstream.calls.map((candidate) => candidate.path)));
    assert.ok(call.signed);
    assert.equal(call.headers['x-asrs-hub'], HUB);
    assert.equal(call.headers['x-asrs-category'], 'messages');
    assert.equal(call.headers['x-asrs-event'], 'Add');
    assert.equal(call.headers['x-asrs-user-id'], 'jane');
    assert.equal(call.headers['x-asrs-connection-id'], connection.connectionId);
    assert.equal(call.headers['content-type'], 'application/json');
    const message = invocationIn(call);
    assert.equal(message.target, 'Add');
    assert.deepEqual(message.arguments, [1, 2, 3]);
    assert.equal(typeof message.invocationId, 'string');
    // A plain JSON answer is the result as it is.
    assert.deepEqual(await within(connection.invoke('Echo', { a: [1] }), 5000, 'Echo'), { echoed: { a: [1] } });
  });

  test('MessagePack: the framed MessagePack invocation goes up, the MessagePack Completion comes back', async () => {
    const connection = await connect('mo', { msgpack: true, transport: signalR.HttpTransportType.WebSockets });
    assert.equal(await within(connection.invoke('Add', 40, 2), 5000, 'Add'), 42);
    const call = upstream.calls.find((candidate) => candidate.path.endsWith('/messages/Add'))!;
    assert.equal(call.headers['content-type'], 'application/x-msgpack');
    assert.deepEqual(invocationIn(call).arguments, [40, 2]);
  });

  test('a fire-and-forget send is POSTed too, without an invocationId', async () => {
    const connection = await connect('sam');
    await connection.send('Note', 'remember');
    await until(() => upstream.calls.some((call) => call.path.endsWith('/messages/Note')), 5000, 'the send upstream');
    const message = invocationIn(upstream.calls.find((call) => call.path.endsWith('/messages/Note'))!);
    assert.equal(message.invocationId, undefined);
    assert.deepEqual(message.arguments, ['remember']);
  });

  test('503 then 200: retried, the client gets the result', async () => {
    const connection = await connect('jane');
    let failures = 0;
    upstream.respond = (call) => {
      if (call.path.endsWith('/messages/Add') && failures++ === 0) return { status: 503 };
      return arithmetic(call);
    };
    assert.equal(await within(connection.invoke('Add', 2, 2), 5000, 'Add'), 4);
    assert.equal(upstream.calls.filter((call) => call.path.endsWith('/messages/Add')).length, 2);
  });

  test('always 500: the client gets an error naming the status, not the upstream URL', async () => {
    const connection = await connect('jane');
    upstream.respond = (call) => (call.path.includes('/messages/') ? { status: 500 } : { status: 200 });
    await assert.rejects(within(connection.invoke('Add', 1), 10_000, 'Add'), (error: Error) => {
      assert.match(error.message, /HTTP 500/);
      assert.ok(!error.message.includes('127.0.0.1'), error.message);
      return true;
    });
    assert.equal(upstream.calls.filter((call) => call.path.endsWith('/messages/Add')).length, 3);
  });

  test('connected and disconnected reach the upstream with the user id', async () => {
    const connection = await connect('ada');
    const id = connection.connectionId!;
    const event = (name: string) => upstream.calls.find((call) => call.path === `/${HUB}/api/connections/${name}` && call.headers['x-asrs-connection-id'] === id);
    await until(() => event('connected') !== undefined, 5000, 'connected event');
    assert.equal(event('connected')!.headers['x-asrs-user-id'], 'ada');
    assert.ok(event('connected')!.signed);
    await within(connection.stop(), 5000, 'stop');
    await until(() => event('disconnected') !== undefined, 5000, 'disconnected event');
    assert.equal(event('disconnected')!.headers['x-asrs-user-id'], 'ada');
    assert.ok('Error' in JSON.parse(event('disconnected')!.body.toString('utf8')));
    // The hub sends its own connection events; the code hubs' lifecycle webhooks skip it.
    const count = (name: string) => upstream.calls.filter((call) => call.path === `/${HUB}/api/connections/${name}` && call.headers['x-asrs-connection-id'] === id).length;
    assert.deepEqual([count('connected'), count('disconnected')], [1, 1]);
  });

  test('no token, an expired one, another key\'s or another hub\'s: start() fails with 401', async () => {
    const expired = await clientAccessToken({ accessKey: DEMO_ACCESS_KEY, audience: server.url(`/client/?hub=${HUB}`), userId: 'x', lifetimeSeconds: 1, now: () => Date.now() - 60_000 });
    const tokens = [undefined, expired, await token('x', { key: 'not-the-access-key-0123456789' }), await token('x', { hub: 'other' })];
    for (const accessToken of tokens) {
      const connection = clientFor(server.url(`/client/?hub=${HUB}`), accessToken === undefined ? {} : { accessTokenFactory: () => accessToken }).build();
      await assert.rejects(within(connection.start(), 5000, 'refused start'), /401/);
    }
    const answer = await server.request('POST', `/client/negotiate?hub=${HUB}&negotiateVersion=1`, { headers: { authorization: `Bearer ${expired}` } });
    assert.equal(answer.status, 401);
    const logged = JSON.stringify(server.logs);
    for (const accessToken of tokens) if (accessToken !== undefined) assert.ok(!logged.includes(accessToken), 'a token reached the log');
  });

  test('an unknown hub at the client URL is 404', async () => {
    assert.equal((await server.request('POST', '/client/negotiate?hub=nope&negotiateVersion=1')).status, 404);
    assert.equal((await server.request('POST', '/client/negotiate?negotiateVersion=1')).status, 404);
  });

  test('the app\'s own user token is accepted at /hubs/notes too', async () => {
    const connection = await server.connect(`/hubs/${HUB}`, { token: await server.token('jane.smith') });
    assert.equal(await within(connection.invoke('Add', 5, 5), 5000, 'Add'), 10);
    const call = upstream.calls.find((candidate) => candidate.path.endsWith('/messages/Add'))!;
    assert.equal(call.headers['x-asrs-user-id'], 'jane.smith');
  });

  test('an app-owned negotiate answering serviceNegotiation sends the official client to /client/?hub=notes', async () => {
    const negotiate = await startNegotiateServer({ endpoint: server.app.url, hub: HUB, accessKey: DEMO_ACCESS_KEY, userId: 'redirected' });
    try {
      const connection = clientFor(negotiate.url).build();
      clients.push(connection);
      await within(connection.start(), 5000, 'redirected start');
      assert.equal(await within(connection.invoke('Add', 1, 1), 5000, 'Add'), 2);
      const call = upstream.calls.find((candidate) => candidate.path.endsWith('/messages/Add'))!;
      assert.equal(call.headers['x-asrs-user-id'], 'redirected');
      assert.equal(call.headers['x-asrs-connection-id'], connection.connectionId);
    } finally {
      await negotiate.close();
    }
  });

  test('a data-plane REST send reaches the serverless hub\'s clients', async () => {
    const connection = await connect('rest');
    const received = new Promise<unknown[]>((resolve) => connection.on('notify', (...args: unknown[]) => resolve(args)));
    const answer = await server.request('POST', `/api/hubs/${HUB}/:send?api-version=2022-06-01`, { headers: { authorization: `Bearer ${DEMO_ACCESS_KEY}` }, body: { target: 'notify', arguments: ['from REST', 7] } });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.deepEqual(await within(received, 5000, 'the REST message'), ['from REST', 7]);
  });
});

describe('serverless hubs on two app nodes on Redis', () => {
  const prefix = testPrefix();
  let upstream: Upstream;
  let [one, two]: TestApp[] = [];
  const clients: signalR.HubConnection[] = [];
  before(async () => {
    upstream = await startUpstream([DEMO_ACCESS_KEY]);
    upstream.respond = arithmetic;
    const env = { SERVERLESS_HUBS: HUB, UPSTREAM: `${upstream.url}/{hub}/api/{category}/{event}`, REDIS_URL, REDIS_PREFIX: prefix, REST_RATE_LIMIT_PER_SECOND: '0' };
    [one, two] = [await startTestApp(env), await startTestApp(env)];
  });
  after(async () => {
    await stopAll(clients);
    await Promise.all([one?.stop(), two?.stop()]);
    await upstream?.close();
    await deleteKeys(prefix);
  });

  test('an invocation on node one goes upstream; a REST send to the user on node two reaches the client', async () => {
    const accessToken = await clientAccessToken({ accessKey: DEMO_ACCESS_KEY, audience: one!.url(`/client/?hub=${HUB}`), userId: 'kim' });
    const connection = clientFor(one!.url(`/client/?hub=${HUB}`), { accessTokenFactory: () => accessToken }).build();
    clients.push(connection);
    await within(connection.start(), 5000, 'client start on node one');
    assert.equal(await within(connection.invoke('Add', 20, 1), 5000, 'Add'), 21);
    const received = new Promise<unknown[]>((resolve) => connection.on('notify', (...args: unknown[]) => resolve(args)));
    const answer = await two!.request('POST', `/api/hubs/${HUB}/users/kim/:send?api-version=2022-06-01`, { headers: { authorization: `Bearer ${DEMO_ACCESS_KEY}` }, body: { target: 'notify', arguments: ['via node two'] } });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.deepEqual(await within(received, 5000, 'the cross-node message'), ['via node two']);
  });
});

describe('serverless hub names', () => {
  test('a name that is a code hub\'s stops the start with a ConfigError naming SERVERLESS_HUBS', async () => {
    const config = loadConfig({ env: { ...APP_TEST_ENV, LOG_LEVEL: 'silent', SERVERLESS_HUBS: 'Chat' } });
    await assert.rejects(startApp(config), (error: Error) => error instanceof ConfigError && /SERVERLESS_HUBS/.test(error.message));
  });
});
