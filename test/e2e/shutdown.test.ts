import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hub } from 'hubwire';
import { Deferred } from '../support/deferred.js';
import { connect } from '../support/signalr-client.js';
import { startTestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

const gate = { started: 0, release: new Deferred<void>() };

class SlowHub extends Hub {
  async slow() {
    gate.started++;
    await gate.release.promise;
    return 'finished';
  }
  quick() {
    return 'quick';
  }
}

test('close() lets running invocations finish, refuses new ones, then closes with allowReconnect', async () => {
  gate.started = 0;
  gate.release = new Deferred<void>();
  const server = await startTestServer((hw) => hw.mapHub('/slow', SlowHub), { shutdownTimeout: 5000 });
  const running = await connect(server.url('/slow'));
  const other = await connect(server.url('/slow'));
  try {
    const slow = running.invoke('Slow');
    await until(() => gate.started === 1, 5000, 'the slow call to start');
    const closing = server.close();
    // While draining: a new invocation is refused, the running one goes on.
    await assert.rejects(within(other.invoke('Quick'), 5000, 'refused call'), { message: 'The server is shutting down.' });
    gate.release.resolve();
    assert.equal(await within(slow, 5000, 'the slow call'), 'finished');
    await within(closing, 5000, 'close');
  } finally {
    gate.release.resolve();
    await Promise.all([running.stop(), other.stop()]);
    await server.close();
  }
});

test('draining is bounded by shutdownTimeout', async () => {
  gate.started = 0;
  gate.release = new Deferred<void>();
  const server = await startTestServer((hw) => hw.mapHub('/slow', SlowHub), { shutdownTimeout: 300 });
  const client = await connect(server.url('/slow'));
  try {
    const slow = client.invoke('Slow').catch((error: Error) => error.message);
    await until(() => gate.started === 1, 5000, 'the slow call to start');
    const started = Date.now();
    await within(server.close(), 5000, 'close');
    assert.ok(Date.now() - started < 3000, 'close() did not wait for the stuck call beyond the timeout');
    assert.match(String(await within(slow, 5000, 'the slow call to end')), /Invocation canceled|connection being closed|closed/i);
  } finally {
    gate.release.resolve();
    await client.stop();
  }
});
