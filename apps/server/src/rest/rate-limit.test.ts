import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { listenRouter, type RouterServer } from '../../../../test/support/rest-router.js';

describe('RestRouter rate limit', () => {
  let server: RouterServer;
  let base: string;
  let now = 0;
  before(async () => {
    server = await listenRouter({
      authenticate: ({ headers }) => {
        const header = headers['authorization'];
        if (header === undefined) return undefined;
        const user = String(header).replace(/^Bearer /, '');
        if (user === 'bad') throw new Error('bad token');
        return { userIdentifier: user, roles: [], claims: {} };
      },
      maxBodyBytes: 1024,
      corsOrigins: [],
      logger: pino({ level: 'silent' }),
      rateLimit: { perSecond: 1, burst: 2 },
      trustedProxies: ['loopback'],
      now: () => now,
    }, (router) => {
    router.add('GET', '/api/open', ({ user }) => ({ status: 200, body: { user: user?.userIdentifier ?? null } }));
    router.add('GET', '/api/private', ({ user }) => ({ status: 200, body: { user: user?.userIdentifier } }), 'user');
    router.addRaw('GET', '/page', (_req, res) => {
      res.writeHead(200).end('page');
    });
    });
    base = server.base;
  });
  after(() => server.close());

  const call = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(base + path, { headers, signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined;
    return { status: response.status, retryAfter: response.headers.get('retry-after'), json };
  };
  const from = (address: string, headers: Record<string, string> = {}) => ({ 'X-Forwarded-For': address, ...headers });

  test('each user has a bucket; past it 429 with the JSON error shape and Retry-After', async () => {
    now = 0;
    const jane = { authorization: 'Bearer jane' };
    assert.equal((await call('/api/private', from('198.51.100.1', jane))).status, 200);
    // Another address, the same user: the same bucket.
    assert.equal((await call('/api/open', from('198.51.100.2', jane))).status, 200);
    assert.deepEqual(await call('/api/private', from('198.51.100.3', jane)), { status: 429, retryAfter: '1', json: { error: 'Too many requests.', retryAfterSeconds: 1 } });
    // Another user from the same address is not jane.
    assert.equal((await call('/api/private', from('198.51.100.1', { authorization: 'Bearer bob' }))).status, 200);
    now += 1000;
    assert.equal((await call('/api/private', from('198.51.100.1', jane))).status, 200);
  });

  test('anonymous callers, bad tokens and raw routes are limited by client address (X-Forwarded-For from a trusted proxy)', async () => {
    now = 10_000;
    const address = from('203.0.113.9');
    assert.equal((await call('/api/open', address)).status, 200);
    assert.equal((await call('/page', address)).status, 200);
    assert.equal((await call('/page', address)).status, 429);
    // A bad token does not get past the limit to its 401: it is the address's request.
    const bad = await call('/api/private', from('203.0.113.9', { authorization: 'Bearer bad' }));
    assert.deepEqual([bad.status, bad.json?.error], [429, 'Too many requests.']);
    assert.equal((await call('/api/open', from('203.0.113.10'))).status, 200);
    now += 1000;
    assert.equal((await call('/api/private', from('203.0.113.9', { authorization: 'Bearer bad' }))).status, 401);
  });

  test('perSecond 0 switches the limit off', async () => {
    const plain = await listenRouter({ authenticate: () => undefined, maxBodyBytes: 1024, corsOrigins: [], logger: pino({ level: 'silent' }), rateLimit: { perSecond: 0, burst: 1 } }, (router) =>
      router.add('GET', '/api/x', () => ({ status: 200, body: {} })),
    );
    try {
      for (let i = 0; i < 5; i++) assert.equal((await fetch(`${plain.base}/api/x`, { signal: AbortSignal.timeout(5000) })).status, 200);
    } finally {
      await plain.close();
    }
  });
});
