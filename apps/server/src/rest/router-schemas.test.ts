import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { listenRouter, type RouterServer } from '../../../../test/support/rest-router.js';
import { Forbidden, Unauthorized, type RestRequest } from '../app-context.js';

/** What the data-plane REST module needs of the router, and route schemas. */
describe('RestRouter schemas and data-plane shapes', () => {
  let server: RouterServer;
  const seen: RestRequest[] = [];
  let now = 0;
  // Every test starts with full buckets.
  beforeEach(() => {
    now += 100_000;
  });
  before(async () => {
    server = await listenRouter(
      {
        authenticate: ({ headers }) => (headers['authorization'] === 'Bearer jwt' ? { userIdentifier: 'jane', roles: [], claims: {} } : undefined),
        maxBodyBytes: 1024,
        corsOrigins: [],
        logger: pino({ level: 'silent' }),
        rateLimit: { perSecond: 1, burst: 20 },
        now: () => now,
      },
      (router) => {
        router.add('POST', '/api/items', ({ body }) => ({ status: 201, body }), 'anonymous', {
          schema: {
            body: {
              type: 'object',
              required: ['name'],
              properties: {
                name: { type: 'string', minLength: 1, maxLength: 5 },
                count: { type: 'integer', minimum: 1, default: 2 },
                metrics: { type: 'object', additionalProperties: { type: 'number' } },
                tags: { type: 'array', items: { type: 'string' } },
              },
            },
          },
        });
        const apiVersion = { type: 'object', required: ['api-version'], properties: { 'api-version': { type: 'string', enum: ['2022-06-01', '2024-12-01'] }, maxpagesize: { type: 'integer', minimum: 1, maximum: 200, default: 100 } } };
        const custom = {
          custom: ({ req, params }: { req: { headers: Record<string, unknown> }; params: Readonly<Record<string, string>> }) => {
            const key = req.headers['authorization'];
            if (key === undefined) throw new Unauthorized('An access key is required.', 'AccessKey');
            if (key !== 'AccessKey good') throw new Forbidden(`Not for hub ${params['hub']}.`);
            return { userIdentifier: 'service', roles: [], claims: {} };
          },
          scheme: 'AccessKey',
        };
        const azureError = ({ status, message }: { status: number; message: string }) => ({ code: status === 400 ? 'InvalidArgument' : 'Error', message, isSuccess: false });
        router.add('HEAD', '/api/hubs/:hub/connections/:connectionId', ({ params }) => ({ status: params['connectionId'] === 'c1' ? 200 : 404 }), custom);
        router.add('GET', '/api/hubs/:hub/connections/:connectionId', (request) => {
          seen.push(request);
          return { status: 200, body: { id: request.params['connectionId'] } };
        }, custom, { schema: { querystring: apiVersion } });
        router.add('POST', '/api/hubs/:hub/::send', () => ({ status: 202 }), custom, { schema: { querystring: apiVersion }, errorBody: azureError });
        router.add('POST', '/api/hubs/:hub/connections/:connectionId/::invoke', ({ params, user, queryValues }) => ({ status: 200, body: { invoked: params['connectionId'], by: user?.userIdentifier, maxpagesize: queryValues['maxpagesize'] } }), custom, {
          schema: { querystring: apiVersion },
        });
        router.add('POST', '/api/hubs/:hub/::execute', () => ({ status: 202 }), custom);
      },
    );
  });
  after(() => server.close());

  const call = async (method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(server.base + path, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
  };
  const key = { authorization: 'AccessKey good' };

  test('a body schema: defaults filled, no coercion, 400 naming the first failing field', async () => {
    assert.deepEqual((await call('POST', '/api/items', { body: { name: 'a' } })).json, { name: 'a', count: 2 });
    const cases: [unknown, string, RegExp][] = [
      [{}, 'name', /^'name' is required\.$/],
      [{ name: '' }, 'name', /must not be empty/],
      [{ name: 'toolong' }, 'name', /at most 5 characters/],
      [{ name: 'a', count: '3' }, 'count', /must be an integer/],
      [{ name: 'a', count: 0 }, 'count', /at least 1/],
      [{ name: 'a', metrics: { views: 'x' } }, 'metrics.views', /must be a number/],
      [{ name: 'a', tags: ['x', 3] }, 'tags[1]', /must be a string/],
      [['a'], 'body', /must be a JSON object/],
    ];
    for (const [body, field, message] of cases) {
      const answer = await call('POST', '/api/items', { body });
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.json?.['field'], field, JSON.stringify(body));
      assert.match(String(answer.json?.['error']), message, JSON.stringify(body));
    }
    assert.deepEqual((await call('POST', '/api/items')).json, { error: 'A JSON object body is required.', field: 'body' });
  });

  test('HEAD routes answer without a body, beside a GET route of the same path', async () => {
    const found = await call('HEAD', '/api/hubs/chat/connections/c1', { headers: key });
    assert.deepEqual([found.status, found.text], [200, '']);
    assert.equal((await call('HEAD', '/api/hubs/chat/connections/c2', { headers: key })).status, 404);
  });

  test('query strings: api-version checked (field named), maxpagesize coerced and defaulted', async () => {
    const missing = await call('GET', '/api/hubs/chat/connections/c1', { headers: key });
    assert.deepEqual([missing.status, missing.json], [400, { error: "'api-version' is required.", field: 'api-version' }]);
    const wrong = await call('GET', '/api/hubs/chat/connections/c1?api-version=2020-01-01', { headers: key });
    assert.deepEqual([wrong.status, wrong.json?.['field']], [400, 'api-version']);
    assert.equal((await call('GET', '/api/hubs/chat/connections/c1?api-version=2024-12-01', { headers: key })).status, 200);
    assert.equal(seen.at(-1)!.query.get('api-version'), '2024-12-01');
    const invoked = await call('POST', '/api/hubs/chat/connections/c1/:invoke?api-version=2024-12-01&maxpagesize=7', { headers: key, body: {} });
    assert.deepEqual(invoked.json, { invoked: 'c1', by: 'service', maxpagesize: 7 });
    assert.equal((await call('POST', '/api/hubs/chat/connections/c1/:invoke?api-version=2024-12-01&maxpagesize=500', { headers: key, body: {} })).json?.['field'], 'maxpagesize');
  });

  test('literal :send / :execute segments, 202 with an empty body, and a route error body of its own', async () => {
    const sent = await call('POST', '/api/hubs/chat/:send?api-version=2022-06-01', { headers: key, body: { target: 't', arguments: [] } });
    assert.deepEqual([sent.status, sent.text, sent.headers.get('content-length')], [202, '', '0']);
    assert.equal((await call('POST', '/api/hubs/Chat/:EXECUTE', { headers: key, body: [] })).status, 202, 'literal segments ignore case');
    assert.equal((await call('POST', '/api/hubs/chat/:other', { headers: key })).status, 404);
    const azure = await call('POST', '/api/hubs/chat/:send', { headers: key, body: {} });
    assert.deepEqual([azure.status, azure.json], [400, { code: 'InvalidArgument', message: "'api-version' is required.", isSuccess: false }]);
  });

  test("a route's own authenticator: 401 with its challenge, 403, the caller handed to the handler, the rate limit by that caller", async () => {
    const none = await call('POST', '/api/hubs/chat/:send?api-version=2022-06-01');
    assert.deepEqual([none.status, none.headers.get('www-authenticate'), none.json], [401, 'AccessKey', { code: 'Error', message: 'An access key is required.', isSuccess: false }]);
    const forbidden = await call('GET', '/api/hubs/chat/connections/c1?api-version=2022-06-01', { headers: { authorization: 'AccessKey bad' } });
    assert.deepEqual([forbidden.status, forbidden.json], [403, { error: 'Not for hub chat.' }]);
    // The app's JWT is not what these routes take.
    assert.equal((await call('GET', '/api/hubs/chat/connections/c1?api-version=2022-06-01', { headers: { authorization: 'Bearer jwt' } })).status, 403);
    assert.equal(seen.at(-1)!.user?.userIdentifier, 'service');
    // The caller the authenticator returned has its own bucket, apart from the address's.
    let limited = 0;
    for (let i = 0; i < 21 && limited === 0; i++) if ((await call('HEAD', '/api/hubs/chat/connections/c1', { headers: key })).status === 429) limited = i;
    assert.equal(limited, 20, 'the 21st call of the burst of 20');
    assert.equal((await call('HEAD', '/api/hubs/chat/connections/c1')).status, 401);
  });
});
