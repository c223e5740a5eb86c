/**
 * The server app at its HTTP edge: REST requests per caller (429 with the app's JSON error and
 * Retry-After), half-sent requests cut by its own `node:http` server's timeouts (408, socket
 * closed), and the settings that configure both.
 */
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../apps/server/src/config.js';
import { within } from '../support/wait.js';
import { startTestApp } from './support.js';

describe('REST rate limit of the server app', () => {
  test('past REST_RATE_LIMIT_BURST a caller gets 429 with the JSON error and Retry-After; other callers do not', async () => {
    const server = await startTestApp({ REST_RATE_LIMIT_PER_SECOND: '1', REST_RATE_LIMIT_BURST: '3' });
    try {
      // The anonymous caller (this address) takes the token request and two more.
      const token = await server.token('jane.smith');
      assert.equal((await server.request('GET', '/healthz')).status, 200);
      assert.equal((await server.request('GET', '/readyz')).status, 200);
      const refused = await server.request('GET', '/healthz');
      assert.equal(refused.status, 429);
      assert.deepEqual(refused.body, { error: 'Too many requests.', retryAfterSeconds: 1 });
      assert.equal(refused.headers.get('retry-after'), '1');
      // jane is keyed by her user, not by the address she shares.
      for (let i = 0; i < 3; i++) assert.equal((await server.request('GET', '/api/campaigns', { token })).status, 200);
      assert.equal((await server.request('GET', '/api/campaigns', { token })).status, 429);
    } finally {
      await server.stop();
    }
  });
});

describe('slowloris against the server app', () => {
  test('a socket sending its headers a byte at a time gets 408 and is closed after HTTP_HEADERS_TIMEOUT_MS', async () => {
    const server = await startTestApp({ HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '600' });
    try {
      const started = Date.now();
      const socket = tcpConnect(server.app.address.port, '127.0.0.1');
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', () => undefined);
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      const drip = setInterval(() => socket.writable && socket.write('X'), 50);
      const closedAfter = await within(new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started))), 5000, 'the slow socket to close').finally(() => clearInterval(drip));
      assert.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.ok(closedAfter >= 250 && closedAfter < 3000, `closed after ${closedAfter} ms`);
      // Everyone else is served.
      assert.equal((await server.request('GET', '/healthz')).status, 200);
    } finally {
      await server.stop();
    }
  });

  test('settings: headers must not outlast the whole request; trusted proxies must be addresses or ranges', () => {
    assert.throws(() => loadConfig({ env: { HTTP_HEADERS_TIMEOUT_MS: '40000' } }), (error: Error) => error instanceof ConfigError && /HTTP_HEADERS_TIMEOUT_MS/.test(error.message));
    assert.throws(() => loadConfig({ env: { TRUSTED_PROXIES: 'proxy.example' } }), /TRUSTED_PROXIES must be a list of IP addresses/);
    assert.deepEqual(loadConfig({ env: { TRUSTED_PROXIES: 'loopback, 10.0.0.0/8,::1' } }).trustedProxies, ['loopback', '10.0.0.0/8', '::1']);
    const defaults = loadConfig({ env: {} });
    assert.deepEqual(
      [defaults.limits.restRequestsPerSecond, defaults.limits.restRequestBurst, defaults.limits.httpHeadersTimeoutMs, defaults.limits.httpRequestTimeoutMs, defaults.limits.httpKeepAliveTimeoutMs],
      [20, 100, 10_000, 30_000, 5000],
    );
  });
});

describe('WebSocket compression of the server app', () => {
  /** The permessage-deflate answer of a WebSocket upgrade to /hubs/events from a client offering it. */
  async function extensionAnswered(url: string): Promise<string | undefined> {
    const { WebSocket } = await import('ws');
    const socket = new WebSocket(url.replace(/^http/, 'ws') + '/hubs/events', { perMessageDeflate: true });
    try {
      return await within(
        new Promise<string | undefined>((resolve, reject) => {
          socket.once('upgrade', (response) => resolve(response.headers['sec-websocket-extensions']));
          socket.once('error', reject);
        }),
        5000,
        'the WebSocket upgrade',
      );
    } finally {
      socket.terminate();
    }
  }

  test('WS_COMPRESSION_THRESHOLD turns permessage-deflate on (without context takeover); unset it stays off', async () => {
    const on = await startTestApp({ WS_COMPRESSION_THRESHOLD: '512' });
    try {
      assert.match((await extensionAnswered(on.url(''))) ?? '', /^permessage-deflate;.*server_no_context_takeover.*client_no_context_takeover/);
    } finally {
      await on.stop();
    }
    const off = await startTestApp();
    try {
      assert.equal(await extensionAnswered(off.url('')), undefined);
    } finally {
      await off.stop();
    }
    assert.throws(() => loadConfig({ env: { WS_COMPRESSION_THRESHOLD: '100000' } }), /WS_COMPRESSION_THRESHOLD must be an integer from 0 to 65536/);
  });
});
