/**
 * Shutdown with an official long-polling client: `close()` keeps serving the polls of existing
 * connections, so a client that was between two polls (here: just after the answer carrying its
 * Completion) still collects its Close with `allowReconnect` promptly, instead of getting 503 and
 * leaving `close()` to wait out `shutdownTimeout`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hub } from 'hubwire';
import { Deferred } from '../support/deferred.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { startTestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

const gate = { started: 0, release: new Deferred<void>() };

class SlowHub extends Hub {
  async slow(): Promise<string> {
    gate.started++;
    await gate.release.promise;
    return 'finished';
  }
}

for (const reconnecting of [false, true]) {
  test(`a long-polling client gets its result, then a clean Close, and close() ends well before shutdownTimeout${reconnecting ? ' (automatic reconnect: it reconnects)' : ''}`, async () => {
    gate.started = 0;
    gate.release = new Deferred<void>();
    // The timeout is only an upper bound: the test waits on events and fails if close() needs it.
    const server = await startTestServer((hw) => hw.mapHub('/slow', SlowHub), { shutdownTimeout: 10_000 });
    const builder = clientFor(server.url('/slow'), { transport: signalR.HttpTransportType.LongPolling });
    const client = (reconnecting ? builder.withAutomaticReconnect([60_000]) : builder).build();
    const closed = new Deferred<Error | undefined>();
    const reconnectingWith = new Deferred<Error | undefined>();
    client.onclose((error) => closed.resolve(error));
    client.onreconnecting((error) => reconnectingWith.resolve(error));
    await client.start();
    try {
      const slow = client.invoke('slow');
      await until(() => gate.started === 1, 5000, 'the slow call to start');
      const closing = server.close();
      gate.release.resolve();
      assert.equal(await within(slow, 5000, 'the slow call'), 'finished');
      if (reconnecting) assert.equal(await reconnectingWith.wait(5000, 'onreconnecting'), undefined, 'a Close with allowReconnect, no error');
      else assert.equal(await closed.wait(5000, 'onclose'), undefined, 'a clean Close, not a failed poll');
      await within(closing, 5000, 'close()');
    } finally {
      gate.release.resolve();
      await client.stop();
      await server.close();
    }
  });
}
