/**
 * The server app with REDIS_URL: two processes' worth of apps (in one process here) become one
 * system; without it, nothing touches Redis.
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../apps/server/src/config.js';
import { nextMessage } from '../support/e2e.js';
import { within } from '../support/wait.js';
import { startTestApp, type TestApp } from '../server/support.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

describe('the server app on Redis', () => {
  let a: TestApp;
  let b: TestApp;
  const prefix = `hubwire-test-${randomUUID()}`;

  before(async () => {
    a = await startTestApp({ REDIS_URL, REDIS_PREFIX: prefix });
    b = await startTestApp({ REDIS_URL, REDIS_PREFIX: prefix });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
  });

  test('each app is a node of its own in the cluster, and the start-up log names it without the URL', () => {
    assert.ok(a.app.cluster !== undefined && b.app.cluster !== undefined);
    assert.notEqual(a.app.cluster.nodeId, b.app.cluster.nodeId);
    const listening = a.logs.find((line) => line.msg === 'hubwire server listening');
    assert.deepEqual((listening?.['cluster'] as Record<string, unknown>)?.['nodeId'], a.app.cluster.nodeId);
  });

  test('a REST alert posted on one node reaches an admin subscribed on the other', async () => {
    const watcher = await b.connect('/hubs/admin', { token: await b.token('admin') });
    await within(watcher.invoke('SubscribeToAlerts'), 5000, 'subscribe');
    const alert = nextMessage(watcher, 'ReceiveAlert');
    const answer = await a.request('POST', '/api/admin/realtime/alert', { token: await a.token('admin'), body: { title: 'across nodes', message: 'm' } });
    assert.equal(answer.status, 200);
    const [received] = (await within(alert, 5000, 'alert on the other node')) as [Record<string, unknown>];
    assert.equal(received['title'], 'across nodes');
  });
});

describe('REDIS_URL settings', () => {
  test('without REDIS_URL the app has no cluster', async () => {
    const alone = await startTestApp();
    try {
      assert.equal(alone.app.cluster, undefined);
    } finally {
      await alone.stop();
    }
  });

  test('a REDIS_URL that is not a redis URL is refused without showing it (it may hold a password)', () => {
    assert.throws(
      () => loadConfig({ env: { REDIS_URL: 'http://user:s3cret@example.com' } }),
      (error: unknown) => error instanceof ConfigError && /REDIS_URL/.test(error.message) && !error.message.includes('s3cret'),
    );
  });

  test('REDIS_PREFIX defaults to hubwire and refuses characters that would break key names', () => {
    assert.equal(loadConfig({ env: {} }).redis.prefix, 'hubwire');
    assert.throws(() => loadConfig({ env: { REDIS_PREFIX: 'a b' } }), ConfigError);
  });
});
