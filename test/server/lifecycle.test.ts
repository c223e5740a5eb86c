import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { describe, test } from 'node:test';
import { Hub } from 'hubwire';
import type { AppModule } from '../../apps/server/src/app-context.js';
import { Deferred } from '../support/deferred.js';
import { onceCallback } from '../support/e2e.js';
import { until, within } from '../support/wait.js';
import { logLine, signalR, startTestApp } from './support.js';

/** A module with a hub whose `Work` call finishes when the test says so. */
function slowModule(release: Deferred<string>, started: Deferred<void>): AppModule {
  class SlowHub extends Hub {
    async work(): Promise<string> {
      started.resolve();
      return release.promise;
    }
    ping(): string {
      return 'pong';
    }
  }
  return { name: 'slow', register: (app) => void app.hubwire.mapHub('/hubs/slow', SlowHub) };
}

describe('health and graceful shutdown', () => {
  test('GET /healthz and /readyz answer 200 while running', async () => {
    const server = await startTestApp();
    try {
      const health = await server.request('GET', '/healthz');
      assert.deepEqual([health.status, health.body], [200, { status: 'ok' }]);
      const ready = await server.request('GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.equal(ready.body.status, 'ready');
      assert.equal((await server.request('HEAD', '/healthz')).status, 405, 'JSON routes answer GET only');
      assert.equal((await server.request('POST', '/healthz')).status, 405);
      assert.equal((await server.request('GET', '/api/nothing-here')).status, 404);
    } finally {
      await server.stop();
    }
  });

  test('stop: not ready, no new connections, in-flight invocations finish, clients get Close with allowReconnect', async () => {
    const release = new Deferred<string>();
    const started = new Deferred<void>();
    const server = await startTestApp({ SHUTDOWN_TIMEOUT_MS: '5000' }, { modules: [slowModule(release, started)] });
    const connection = await server.connect('/hubs/slow', { configure: (builder) => builder.withAutomaticReconnect([60_000]) });
    const other = await server.connect('/hubs/slow');
    try {
      const work = connection.invoke('Work');
      await started.wait(5000, 'Work to start');
      const reconnecting = onceCallback<[Error | undefined]>((callback) => connection.onreconnecting(callback), 10_000, 'onreconnecting');
      const stopped = server.app.stop();

      await until(() => server.app.state === 'stopping', 5000, 'stopping');
      const ready = await server.request('GET', '/readyz');
      assert.deepEqual([ready.status, ready.body], [503, { status: 'stopping' }]);
      assert.equal((await server.request('POST', '/hubs/slow/negotiate?negotiateVersion=1')).status, 503, 'no new connections');
      // A WebSocket upgrade gets 503 too, and its socket is closed even while the client goes on sending.
      const upgrade = netConnect(Number(new URL(server.app.url).port), '127.0.0.1');
      let answer = '';
      upgrade.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      const upgradeClosed = new Promise<void>((resolve) => upgrade.once('close', () => resolve()));
      upgrade.on('error', () => undefined);
      upgrade.write('GET /hubs/slow HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
      const chatter = setInterval(() => upgrade.writable && upgrade.write('more bytes'), 20);
      try {
        await within(upgradeClosed, 5000, 'the refused upgrade socket to close');
      } finally {
        clearInterval(chatter);
        upgrade.destroy();
      }
      assert.match(answer, /^HTTP\/1\.1 503/);
      await assert.rejects(within(other.invoke('Ping'), 5000, 'Ping'), /The server is shutting down/, 'new invocations are refused while draining');
      assert.equal(server.app.hubwire.connectionCount(), 2, 'clients stay connected while a call runs');

      release.resolve('done');
      assert.equal(await within(work, 5000, 'Work result'), 'done', 'the in-flight invocation completed');
      await reconnecting;
      await within(stopped, 10_000, 'stop');
      assert.equal(server.app.state, 'stopped');
      await logLine(server.logs, (line) => line.msg === 'stopped');
    } finally {
      release.resolve('late');
      await server.stop();
    }
  });

  test('an invocation that does not finish holds shutdown only until the deadline', async () => {
    const release = new Deferred<string>();
    const started = new Deferred<void>();
    const server = await startTestApp({ SHUTDOWN_TIMEOUT_MS: '300' }, { modules: [slowModule(release, started)] });
    const connection = await server.connect('/hubs/slow');
    try {
      const work = connection.invoke('Work');
      work.catch(() => undefined);
      await started.wait(5000, 'Work to start');
      const closed = onceCallback<[Error | undefined]>((callback) => connection.onclose(callback), 10_000, 'onclose');
      const begun = Date.now();
      await within(server.app.stop(), 5000, 'stop');
      assert.ok(Date.now() - begun >= 250, 'waited for the invocation');
      await closed;
      await assert.rejects(work);
      await logLine(server.logs, (line) => line.msg === 'shutdown deadline passed with hub invocations still running');
    } finally {
      release.resolve('late');
      await server.stop();
    }
  });
});

describe('start-up log', () => {
  test('names the URL, hubs, demo users and where the configuration came from', async () => {
    const server = await startTestApp();
    try {
      const line = await logLine(server.logs, (entry) => entry.msg === 'hubwire server listening');
      assert.equal(line['url'], server.app.url);
      assert.equal(line['port'], server.app.address.port);
      for (const hub of ['/hubs/events', '/hubs/admin', '/hubs/chat']) assert.ok((line['hubs'] as string[]).includes(hub), hub);
      assert.deepEqual(
        (line['demoUsers'] as { username: string }[]).map((user) => user.username),
        ['admin', 'jane.smith', 'john.doe'],
      );
      assert.deepEqual((line['config'] as { env: string[] }).env.includes('PORT'), true);
    } finally {
      await server.stop();
    }
  });
});

export { signalR };
