import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { listenRouter, type RouterServer } from '../../../../test/support/rest-router.js';
import { BadRequest, NotFound } from '../app-context.js';

const TOKENS: Record<string, { userIdentifier: string; roles: string[]; claims: Record<string, unknown> }> = {
  'admin-token': { userIdentifier: 'root', roles: ['admin'], claims: {} },
  'member-token': { userIdentifier: 'jane', roles: ['member'], claims: {} },
};

describe('RestRouter', () => {
  let server: RouterServer;
  let base: string;
  before(async () => {
    server = await listenRouter({
      authenticate: ({ headers }) => {
        const header = headers['authorization'];
        if (header === undefined) return undefined;
        const user = TOKENS[String(header).replace(/^Bearer /, '')];
        if (user === undefined) throw new Error('bad token');
        return user;
      },
      maxBodyBytes: 1024,
      corsOrigins: ['https://app.example'],
      logger: pino({ level: 'silent' }),
    }, (router) => {
    router.add('GET', '/api/items/:id', ({ params, query }) => {
      if (params['id'] === 'missing') throw new NotFound(`No item '${params['id']}'.`);
      return { status: 200, body: { id: params['id'], q: query.get('q') } };
    });
    router.add('GET', '/api/items/special', () => ({ status: 200, body: { special: true } }));
    router.add('POST', '/api/items', ({ body, user }) => {
      if (typeof (body as { name?: unknown } | undefined)?.name !== 'string') throw new BadRequest('name', "'name' is required.");
      return { status: 201, body: { created: body, by: user?.userIdentifier }, headers: { Location: '/api/items/1' } };
    }, 'user');
    router.add('DELETE', '/api/items/:id', () => ({ status: 204 }), { roles: ['admin'] });
    router.add('GET', '/api/boom', () => {
      throw new Error('kaput');
    });
    router.addRaw('GET', '/', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<h1>home</h1>');
    });
    router.addRaw('GET', '/assets/*', (_req, res, params) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`asset:${params['*']}`);
    });
    assert.throws(() => router.add('GET', '/api/items/:other', () => ({ status: 200 })), /clashes/);
    });
    base = server.base;
  });
  after(() => server.close());

  const call = async (method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) => {
    const response = await fetch(base + path, { method, body: init.body, headers: init.headers, signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: text !== '' && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined };
  };

  test('parameters (decoded), query, the most specific route first', async () => {
    assert.deepEqual((await call('GET', '/api/items/a%20b?q=x')).json, { id: 'a b', q: 'x' });
    assert.deepEqual((await call('GET', '/api/items/special')).json, { special: true });
    assert.deepEqual((await call('GET', '/API/Items/special/')).json, { special: true }, 'literal segments ignore case; a trailing slash is fine');
    assert.equal((await call('GET', '/api/items/%E0%A4%A')).status, 400);
  });

  test('errors: NotFound 404, BadRequest 400 with field, a throw 500, a wrong method 405 with Allow', async () => {
    assert.deepEqual((await call('GET', '/api/items/missing')).json, { error: "No item 'missing'." });
    const bad = await call('POST', '/api/items', { body: '{}', headers: { 'content-type': 'application/json', authorization: 'Bearer member-token' } });
    assert.deepEqual([bad.status, bad.json], [400, { error: "'name' is required.", field: 'name' }]);
    assert.deepEqual([(await call('GET', '/api/boom')).status, (await call('GET', '/api/boom')).json], [500, { error: 'Internal server error.' }]);
    const wrong = await call('PUT', '/api/items/1');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET, DELETE');
    assert.equal((await call('GET', '/nowhere')).text, 'Not Found');
    assert.deepEqual((await call('GET', '/api/nowhere')).json, { error: 'No endpoint GET /api/nowhere.' });
  });

  test('auth: user routes need a user (401), role routes the role (403), a bad token 401', async () => {
    const body = JSON.stringify({ name: 'n' });
    const json = { 'content-type': 'application/json' };
    assert.equal((await call('POST', '/api/items', { body, headers: json })).status, 401);
    assert.equal((await call('POST', '/api/items', { body, headers: { ...json, authorization: 'Bearer forged' } })).status, 401);
    const created = await call('POST', '/api/items', { body, headers: { ...json, authorization: 'Bearer member-token' } });
    assert.deepEqual([created.status, created.json, created.headers.get('location')], [201, { created: { name: 'n' }, by: 'jane' }, '/api/items/1']);
    assert.equal((await call('DELETE', '/api/items/1', { headers: { authorization: 'Bearer member-token' } })).status, 403);
    const deleted = await call('DELETE', '/api/items/1', { headers: { authorization: 'Bearer admin-token' } });
    assert.deepEqual([deleted.status, deleted.text], [204, '']);
    assert.equal((await call('GET', '/api/items/1', { headers: { authorization: 'Bearer forged' } })).status, 200, 'anonymous routes ignore a bad token');
  });

  test('bodies: 413 past the limit, 415 when not JSON, 400 naming body when it does not parse', async () => {
    const auth = { authorization: 'Bearer member-token' };
    const big = await call('POST', '/api/items', { body: JSON.stringify({ name: 'x'.repeat(2000) }), headers: { ...auth, 'content-type': 'application/json' } });
    assert.equal(big.status, 413);
    assert.match(big.json.error, /exceeds 1024 bytes/);
    assert.equal((await call('POST', '/api/items', { body: 'name=x', headers: { ...auth, 'content-type': 'text/plain' } })).status, 415);
    const broken = await call('POST', '/api/items', { body: '{"name":', headers: { ...auth, 'content-type': 'application/json' } });
    assert.deepEqual([broken.status, broken.json.field], [400, 'body']);
  });

  test('raw routes: pages, assets under a wildcard (no climbing out), HEAD', async () => {
    assert.deepEqual([(await call('GET', '/')).status, (await call('GET', '/')).text], [200, '<h1>home</h1>']);
    assert.equal((await call('GET', '/assets/js/app.js')).text, 'asset:js/app.js');
    // fetch would normalize the dots away; send the path as is.
    for (const path of ['/assets/%2e%2e/secret', '/assets/a/..%2F..%2Fsecret', '/assets/..']) {
      const answer = await new Promise<string>((resolve, reject) => {
        const request = get({ host: '127.0.0.1', port: Number(new URL(base).port), path, timeout: 5000 }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(text));
        });
        request.on('error', reject).on('timeout', () => request.destroy(new Error('timeout')));
      });
      assert.equal(answer, 'Not Found', path);
    }
    const head = await call('HEAD', '/');
    assert.deepEqual([head.status, head.text], [200, '']);
  });

  test('CORS: allowed origins get headers and preflights; others get none and a 403 preflight', async () => {
    const allowed = await call('GET', '/api/items/1', { headers: { origin: 'https://app.example' } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example');
    const preflight = await call('OPTIONS', '/api/items', { headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    const other = await call('GET', '/api/items/1', { headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    assert.equal((await call('OPTIONS', '/api/items', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })).status, 403);
  });
});
