/**
 * Conformance: the limits of the HTTP edge over raw HTTP and raw WebSocket upgrades, and what
 * the official client reports when one refuses it (issue #14, item 3 and the rate limits):
 * pending connections in total and per client address, negotiates per address, connections per
 * user and per address (given back on close, abort and sweep), dry runs, metrics, and
 * `X-Forwarded-For` believed only from trusted proxies.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bearerToken, createHubServer, Hub, type CounterMetrics, type HubServerOptions, type LogFn, type Logger } from 'hubwire';
import { FakeClock } from '../support/fake-clock.js';
import { negotiate, probeUpgrade } from '../support/http-probe.js';
import { httpRequest, poll, send } from '../support/http-transports.js';
import { RawClient, RS } from '../support/raw-client.js';
import { connect, signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

/** The hub the limits guard; `leave` ends the caller's connection from the server side. */
class LimitedHub extends Hub {
  echo(value: unknown): unknown {
    return value;
  }

  leave(): void {
    this.context.abort();
  }
}

/** Users are their bearer token's text; no token is anonymous. */
const TOKEN_IS_USER: HubServerOptions = {
  authenticate: (request) => {
    const token = bearerToken(request);
    return token === undefined ? undefined : { userIdentifier: token, claims: {} };
  },
};

async function start(options: HubServerOptions): Promise<TestServer & { hubUrl: string; metrics: CounterMetrics }> {
  const server = await startTestServer((hw) => hw.mapHub('/hub', LimitedHub), options);
  return { ...server, hubUrl: server.url('/hub'), metrics: server.hubwire.metrics as CounterMetrics };
}

function tokenOf(answer: { body: Record<string, unknown> | undefined }): string {
  return String(answer.body!['connectionToken']);
}

/** Asserts a 429 with the text and `Retry-After` seconds (negotiate via fetch). */
function assertTooMany(answer: { status: number; headers: Headers; text: string }, text: string, retryAfter: string): void {
  assert.equal(answer.status, 429, answer.text);
  assert.equal(answer.text, text);
  assert.equal(answer.headers.get('retry-after'), retryAfter);
  assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
}

const HANDSHAKE = `{"protocol":"json","version":1}${RS}`;
const PENDING = 'Too many connections are being negotiated.';
const PENDING_PER_ADDRESS = 'Too many connections are being negotiated from this address.';

describe('pending connections', () => {
  test('past maximumPendingConnections negotiate and a WebSocket without negotiate get 429 with Retry-After; a claim frees a slot', async () => {
    const server = await start({ maximumPendingConnections: 2, disconnectTimeout: 4000 });
    try {
      const first = tokenOf(await negotiate(server.hubUrl));
      tokenOf(await negotiate(server.hubUrl));
      assertTooMany(await negotiate(server.hubUrl), PENDING, '4');
      const upgrade = await probeUpgrade(server.hubUrl);
      assert.equal(upgrade.status, 429);
      assert.equal(upgrade.body, PENDING);
      assert.equal(upgrade.headers['retry-after'], '4');
      // A negotiate error answer creates nothing and is not limited by the cap.
      assert.equal((await negotiate(server.hubUrl, 'negotiateVersion=x')).status, 200);
      const claimed = await RawClient.handshaken(`${server.wsUrl('/hub')}?id=${first}`);
      try {
        assert.equal((await negotiate(server.hubUrl)).status, 200);
        assert.equal(server.metrics.byLabel('limit', 'maximumPendingConnections').rateLimited, 2);
      } finally {
        claimed.close();
      }
    } finally {
      await server.close();
    }
  });

  test('the sweep frees what was never claimed; per address, other addresses still get in (trusted proxy)', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, maximumPendingConnectionsPerAddress: 2, disconnectTimeout: 2000, trustedProxies: ['loopback'] });
    const from = (address: string) => ({ headers: { 'X-Forwarded-For': address } });
    try {
      await negotiate(server.hubUrl, 'negotiateVersion=1', from('203.0.113.1'));
      await negotiate(server.hubUrl, 'negotiateVersion=1', from('203.0.113.1'));
      assertTooMany(await negotiate(server.hubUrl, 'negotiateVersion=1', from('203.0.113.1')), PENDING_PER_ADDRESS, '2');
      assert.equal((await negotiate(server.hubUrl, 'negotiateVersion=1', from('203.0.113.2'))).status, 200);
      // The proxy itself is an address of its own.
      assert.equal((await negotiate(server.hubUrl)).status, 200);
      clock.advance(3000);
      assert.equal((await negotiate(server.hubUrl, 'negotiateVersion=1', from('203.0.113.1'))).status, 200);
    } finally {
      await server.close();
    }
  });

  test('without trusted proxies X-Forwarded-For is ignored: made-up addresses share the socket’s cap', async () => {
    const server = await start({ maximumPendingConnectionsPerAddress: 1 });
    try {
      assert.equal((await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: { 'X-Forwarded-For': '198.51.100.1' } })).status, 200);
      assertTooMany(await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: { 'X-Forwarded-For': '198.51.100.2' } }), PENDING_PER_ADDRESS, '15');
    } finally {
      await server.close();
    }
  });
});

describe('negotiatesPerAddress', () => {
  test('refuses past its bucket before authenticating, counts WebSockets without negotiate, not those with an id', async () => {
    let authentications = 0;
    const clock = new FakeClock();
    const server = await start({
      clock,
      authenticate: () => {
        authentications++;
        return undefined;
      },
      rateLimits: { negotiatesPerAddress: { perSecond: 0.5, burst: 2 } },
    });
    try {
      const token = tokenOf(await negotiate(server.hubUrl));
      const skipped = await RawClient.handshaken(server.wsUrl('/hub'));
      skipped.close();
      const before = authentications;
      assertTooMany(await negotiate(server.hubUrl), 'Too many connection attempts from this address.', '2');
      assert.equal(authentications, before, 'a refused negotiate runs no authenticator');
      const refused = await probeUpgrade(server.hubUrl);
      assert.equal(refused.status, 429);
      assert.equal(refused.headers['retry-after'], '2');
      // Attaching to a negotiated connection is not a new attempt.
      const attached = await RawClient.handshaken(`${server.wsUrl('/hub')}?id=${token}`);
      attached.close();
      clock.advance(2000);
      assert.equal((await negotiate(server.hubUrl)).status, 200);
      assert.equal(server.metrics.byLabel('limit', 'negotiatesPerAddress').rateLimited, 2);
    } finally {
      await server.close();
    }
  });

  test('the official client reports the 429 and its text from negotiate', async () => {
    const server = await start({ rateLimits: { negotiatesPerAddress: { perSecond: 0.01, burst: 1 } } });
    try {
      const first = await connect(server.hubUrl);
      await first.stop();
      const refused = new signalR.HubConnectionBuilder().withUrl(server.hubUrl).configureLogging(signalR.LogLevel.None).build();
      await assert.rejects(
        within(refused.start(), 5000, 'the refused start'),
        (error: Error) => /Too many connection attempts from this address\./.test(error.message) && /429/.test(error.message),
      );
    } finally {
      await server.close();
    }
  });
});

describe('connectionsPerUser and connectionsPerAddress', () => {
  test('a second connection of a user is refused on every transport; closing, aborting and the sweep give the slot back', async () => {
    const clock = new FakeClock();
    const server = await start({ ...TOKEN_IS_USER, clock, rateLimits: { connectionsPerUser: 1 } });
    const jane = { Authorization: 'Bearer jane' };
    const tooMany = 'Too many connections for this user.';
    try {
      // A WebSocket holds jane's one slot.
      const first = await connect(server.hubUrl, { accessTokenFactory: () => 'jane', transport: signalR.HttpTransportType.WebSockets });
      const wsRefusal = await probeUpgrade(`${server.hubUrl}?id=${tokenOf(await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: jane }))}`, jane);
      assert.deepEqual([wsRefusal.status, wsRefusal.body, wsRefusal.headers['retry-after']], [429, tooMany, '5']);
      const sseToken = tokenOf(await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: jane }));
      const sse = await httpRequest(`${server.hubUrl}?id=${sseToken}`, { headers: { ...jane, Accept: 'text/event-stream' } });
      assert.deepEqual([sse.status, sse.text, sse.headers['retry-after']], [429, tooMany, '5']);
      // The refused connection is gone at once.
      assert.equal((await httpRequest(`${server.hubUrl}?id=${sseToken}`, { headers: { ...jane, Accept: 'text/event-stream' } })).status, 404);
      const lpToken = tokenOf(await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: jane }));
      assert.equal((await poll(server.hubUrl, lpToken, { headers: jane })).status, 429);
      // Another user and anonymous clients are not jane.
      const bob = await connect(server.hubUrl, { accessTokenFactory: () => 'bob' });
      const anonymous = await connect(server.hubUrl);

      // close: the client stops.
      await first.stop();
      await until(() => server.hubwire.connectionCount() === 2, 5000, 'the first to end');
      const second = await connect(server.hubUrl, { accessTokenFactory: () => 'jane' });
      // abort: the server ends the connection.
      await second.invoke('leave').catch(() => undefined);
      await until(() => server.hubwire.connectionCount() === 2 && second.state === signalR.HubConnectionState.Disconnected, 5000, 'the abort');
      // sweep: a long-polling client that stops polling.
      const abandoned = tokenOf(await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: jane }));
      assert.equal((await poll(server.hubUrl, abandoned, { headers: jane })).status, 200);
      assert.equal((await send(server.hubUrl, abandoned, HANDSHAKE, jane)).status, 200);
      assert.equal((await poll(server.hubUrl, abandoned, { headers: jane })).text, `{}${RS}`);
      const again = tokenOf(await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: jane }));
      assert.equal((await poll(server.hubUrl, again, { headers: jane })).status, 429);
      clock.advance(16_000);
      await until(() => server.hubwire.connectionCount() === 2, 5000, 'the sweep');
      const last = await connect(server.hubUrl, { accessTokenFactory: () => 'jane', transport: signalR.HttpTransportType.ServerSentEvents });
      assert.equal(await last.invoke('echo', 'ok'), 'ok');
      assert.equal(server.metrics.byLabel('limit', 'connectionsPerUser').rateLimited, 4);
      await Promise.all([last.stop(), bob.stop(), anonymous.stop()]);
    } finally {
      await server.close();
    }
  });

  test('per address: the official client sees the refusal; the others keep working', async () => {
    const server = await start({ rateLimits: { connectionsPerAddress: 2 } });
    try {
      const a = await connect(server.hubUrl);
      const b = await connect(server.hubUrl, { transport: signalR.HttpTransportType.ServerSentEvents });
      // Long polling: the client reports the text of a refused poll (a WebSocket's only its status).
      const refused = new signalR.HubConnectionBuilder()
        .withUrl(server.hubUrl, { transport: signalR.HttpTransportType.LongPolling })
        .configureLogging(signalR.LogLevel.None)
        .build();
      await assert.rejects(within(refused.start(), 5000, 'the refused start'), /Too many connections from this address\./);
      assert.equal(await a.invoke('echo', 1), 1);
      assert.equal(await b.invoke('echo', 2), 2);
      await Promise.all([a.stop(), b.stop()]);
    } finally {
      await server.close();
    }
  });
});

describe('dry run', () => {
  test('lets everything through, counts rateLimitedDryRun per limit and warns with the limit and the address, never a token', async () => {
    const warnings: Record<string, unknown>[] = [];
    const noop: LogFn = () => undefined;
    const logger: Logger = { debug: noop, info: noop, error: noop, warn: (fields) => void warnings.push(fields) };
    const server = await start({
      ...TOKEN_IS_USER,
      logger,
      rateLimits: { dryRun: true, connectionsPerUser: 1, negotiatesPerAddress: { perSecond: 0.01, burst: 1 } },
    });
    try {
      const clients = [
        await connect(server.hubUrl, { accessTokenFactory: () => 'secret-token-jane' }),
        await connect(server.hubUrl, { accessTokenFactory: () => 'secret-token-jane' }),
      ];
      for (const client of clients) assert.equal(await client.invoke('echo', 'x'), 'x');
      assert.equal(server.metrics.totals().rateLimited, 0);
      assert.equal(server.metrics.byLabel('limit', 'negotiatesPerAddress').rateLimitedDryRun, 1);
      assert.equal(server.metrics.byLabel('limit', 'connectionsPerUser').rateLimitedDryRun, 1);
      assert.deepEqual(
        warnings.map((fields) => [fields['limit'], fields['clientAddress']]),
        [
          ['negotiatesPerAddress', '127.0.0.1'],
          ['connectionsPerUser', '127.0.0.1'],
        ],
      );
      assert.doesNotMatch(JSON.stringify(warnings), /secret-token/);
      await Promise.all(clients.map((client) => client.stop()));
    } finally {
      await server.close();
    }
  });
});

describe('options', () => {
  test('bad limits are refused when the server is created or a hub mapped', async () => {
    assert.throws(() => createHubServer({ maximumPendingConnections: 0 }), /maximumPendingConnections/);
    assert.throws(() => createHubServer({ rateLimits: { connectionsPerUser: 1.5 } }), /Option 'rateLimits' is invalid/);
    assert.throws(() => createHubServer({ trustedProxies: ['10.0.0.0/99'] }), /Option 'trustedProxies' is invalid/);
    assert.throws(() => createHubServer().mapHub('/h', LimitedHub, { rateLimits: { negotiatesPerAddress: { perSecond: 0 } } }), /rateLimits/);
    assert.throws(() => createHubServer().mapConnection('/c', () => undefined, { maximumPendingConnectionsPerAddress: -1 }), /maximumPendingConnectionsPerAddress/);
  });

  test('a hub’s rateLimits replace the server’s; raw connections have the edge limits too', async () => {
    const server = await startTestServer(
      (hw) => {
        hw.mapHub('/strict', LimitedHub);
        hw.mapHub('/loose', LimitedHub, { rateLimits: {} });
        hw.mapConnection('/raw', async (connection) => {
          for await (const data of connection) connection.send(data);
        });
      },
      { maximumPendingConnections: 1, rateLimits: { negotiatesPerAddress: { perSecond: 0.01, burst: 1 } } },
    );
    try {
      assert.equal((await negotiate(server.url('/strict'))).status, 200);
      assert.equal((await negotiate(server.url('/strict'))).status, 429);
      await negotiate(server.url('/loose'));
      assert.equal((await negotiate(server.url('/loose'))).text, PENDING);
      assert.equal((await negotiate(server.url('/raw'))).status, 200);
      const raw = await negotiate(server.url('/raw'));
      assert.equal(raw.status, 429);
      assert.equal(raw.text, 'Too many connection attempts from this address.');
    } finally {
      await server.close();
    }
  });
});
