import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { within } from '../support/wait.js';
import { signalR, signToken, startTestApp, type TestApp } from './support.js';

describe('auth: demo tokens, hubs and REST', () => {
  let server: TestApp;
  before(async () => {
    server = await startTestApp();
  });
  after(() => server.stop());

  test('POST /api/auth/token gives each demo user a token with its roles and organizations', async () => {
    const expected = { admin: { roles: ['admin'], orgs: [] }, 'jane.smith': { roles: ['member'], orgs: ['acme'] }, 'john.doe': { roles: ['member'], orgs: ['globex'] } };
    for (const [username, { roles, orgs }] of Object.entries(expected)) {
      const answer = await server.request('POST', '/api/auth/token', { body: { username, password: 'demo' } });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.tokenType, 'Bearer');
      assert.equal(answer.body.expiresIn, 3600);
      const claims = decodeJwt(answer.body.accessToken as string);
      assert.equal(claims.sub, username);
      assert.deepEqual(claims['role'], roles);
      assert.deepEqual(claims['orgs'], orgs);
      assert.equal(claims.iss, 'hubwire-demo');
      assert.equal(claims.aud, 'hubwire');
      const me = await server.request('GET', '/api/auth/me', { token: answer.body.accessToken });
      assert.equal(me.status, 200);
      assert.deepEqual({ userId: me.body.userId, roles: me.body.roles, organizations: me.body.organizations }, { userId: username, roles, organizations: orgs });
    }
  });

  test('wrong credentials: 401; missing fields: 400 naming the field; not JSON: 415/400', async () => {
    for (const body of [{ username: 'admin', password: 'nope' }, { username: 'nobody', password: 'demo' }]) {
      const answer = await server.request('POST', '/api/auth/token', { body });
      assert.equal(answer.status, 401);
      assert.equal(answer.body.accessToken, undefined);
      assert.equal(typeof answer.body.error, 'string');
    }
    assert.deepEqual((await server.request('POST', '/api/auth/token', { body: { password: 'demo' } })).body, { error: "'username' is required.", field: 'username' });
    assert.equal((await server.request('POST', '/api/auth/token', { body: { username: 'admin' } })).body.field, 'password');
    assert.equal((await server.request('POST', '/api/auth/token', { body: { username: 42, password: 'demo' } })).body.field, 'username');
    assert.equal((await server.request('POST', '/api/auth/token')).body.field, 'body');
    assert.equal((await server.request('POST', '/api/auth/token', { rawBody: '{"username":', headers: { 'content-type': 'application/json' } })).status, 400);
    assert.equal((await server.request('POST', '/api/auth/token', { rawBody: 'username=admin', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 415);
  });

  test('a hub that requires a user: no token 401, bad signature 401, expired 401 at negotiate', async () => {
    await assert.rejects(server.connect('/hubs/chat'), /Status code '401'/);
    const forged = await signToken({ sub: 'jane.smith', role: ['member'] }, { secret: 'someone-elses-secret-that-is-long-enough' });
    await assert.rejects(server.connect('/hubs/chat', { token: forged }), /Status code '401'/);
    const expired = await signToken({ sub: 'jane.smith', role: ['member'] }, { expiresAt: Math.floor(Date.now() / 1000) - 60 });
    await assert.rejects(server.connect('/hubs/chat', { token: expired }), /Status code '401'/);
    const wrongAudience = await signToken({ sub: 'jane.smith' }, { audience: 'another-api' });
    await assert.rejects(server.connect('/hubs/chat', { token: wrongAudience }), /Status code '401'/);
    const negotiate = await server.request('POST', '/hubs/chat/negotiate?negotiateVersion=1', { token: expired });
    assert.equal(negotiate.status, 401);
  });

  test('a wrong role: 403 at negotiate', async () => {
    await assert.rejects(server.connect('/hubs/admin', { token: await server.token('jane.smith') }), /Status code '403'/);
    await assert.rejects(server.connect('/hubs/admin'), /Status code '401'/);
  });

  test('the token works from the Authorization header and from the access_token query (SSE, WebSockets)', async () => {
    const token = await server.token('john.doe');
    for (const transport of [signalR.HttpTransportType.WebSockets, signalR.HttpTransportType.ServerSentEvents, signalR.HttpTransportType.LongPolling]) {
      const connection = await server.connect('/hubs/chat', { token, transport });
      assert.deepEqual(await within(connection.invoke('GetWorkflows'), 5000, 'invoke'), []);
      await within(connection.stop(), 5000, 'stop');
    }
    const query = await server.request('GET', `/api/auth/me?access_token=${encodeURIComponent(token)}`);
    assert.equal(query.body.userId, 'john.doe');
  });

  test('REST: no token 401 with WWW-Authenticate, bad token 401, wrong role 403', async () => {
    const path = '/api/admin/realtime/platform-snapshot';
    const none = await server.request('GET', path);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    const forged = await signToken({ sub: 'admin', role: ['admin'] }, { secret: 'someone-elses-secret-that-is-long-enough' });
    assert.equal((await server.request('GET', path, { token: forged })).status, 401);
    assert.equal((await server.request('GET', path, { token: 'not-a-jwt' })).status, 401);
    const member = await server.request('GET', path, { token: await server.token('jane.smith') });
    assert.equal(member.status, 403);
    assert.match(member.body.error, /admin/);
    assert.equal((await server.request('GET', path, { token: await server.token('admin') })).status, 200);
    assert.equal((await server.request('GET', '/api/auth/me')).status, 401);
  });
});

describe('auth outside demo mode', () => {
  const SECRET = 'the-operators-own-secret-long-enough-for-hs256';
  let server: TestApp;
  before(async () => {
    server = await startTestApp({ DEMO: 'false', JWT_SECRET: SECRET, JWT_ISSUER: 'https://idp.example', JWT_AUDIENCE: 'hubwire-api', JWT_USER_ID_CLAIM: 'email', JWT_ROLES_CLAIM: 'roles' });
  });
  after(() => server.stop());

  test('there is no token endpoint; tokens of the configured issuer, audience and claims are accepted', async () => {
    assert.equal((await server.request('POST', '/api/auth/token', { body: { username: 'admin', password: 'demo' } })).status, 404);
    const token = await signToken({ email: 'ops@example.com', roles: 'admin' }, { secret: SECRET, issuer: 'https://idp.example', audience: 'hubwire-api' });
    const admin = await server.connect('/hubs/admin', { token });
    assert.equal(typeof (await within(admin.invoke('GetConnectionCount'), 5000, 'invoke')), 'number');
    const me = await server.request('GET', '/api/auth/me', { token });
    assert.deepEqual([me.body.userId, me.body.roles], ['ops@example.com', ['admin']]);
    const demoToken = await signToken({ email: 'ops@example.com', roles: 'admin' }, { secret: SECRET });
    assert.equal((await server.request('GET', '/api/auth/me', { token: demoToken })).status, 401, 'the demo issuer is not accepted');
  });
});
