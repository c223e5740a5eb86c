/**
 * Per-connection policies of issue #14: the send timeout (ASP.NET's TransportSendTimeout) for
 * clients that stopped reading, the invocation rate limits (error Completion, Close, dry run),
 * and closeOnAuthenticationExpiration. Time runs on a FakeClock.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { Hub, type CounterMetrics, type HubServerOptions, type Principal } from 'hubwire';
import { FakeClock } from '../support/fake-clock.js';
import { JsonStream, framed, roundTrip } from '../support/json-stream.js';
import { RawClient, RS } from '../support/raw-client.js';
import { TcpWebSocket } from '../support/tcp-websocket.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until } from '../support/wait.js';
import { invocation } from './fixtures.js';

class PolicyHub extends Hub {
  echo(value: unknown) {
    return value;
  }
  other(value: unknown) {
    return value;
  }
}

async function withServer(options: HubServerOptions, body: (server: TestServer, metrics: CounterMetrics) => Promise<void>): Promise<void> {
  const server = await startTestServer((hubwire) => hubwire.mapHub('/hub', PolicyHub), options);
  try {
    await body(server, server.hubwire.metrics as CounterMetrics);
  } finally {
    await server.close();
  }
}

async function json(server: TestServer, query = ''): Promise<JsonStream> {
  return new JsonStream(await RawClient.handshaken(server.wsUrl(`/hub${query}`)));
}

describe('send timeout (transportSendTimeout)', () => {
  test('a client that stopped reading is closed after the timeout; a reading one is not', async () => {
    const clock = new FakeClock();
    await withServer({ clock, transportSendTimeout: 10_000, maximumOutboundBufferSize: 256 * 1024 * 1024 }, async (server, metrics) => {
      const stuck = await TcpWebSocket.handshaken(server.port, '/hub');
      const reader = await json(server);
      await until(() => server.hubwire.connectionCount() === 2, 5000, 'both connected');
      stuck.socket.pause(); // reads nothing from here on
      // Far more than the kernel buffers on loopback, so bytes stay in the server process.
      const chunk = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 24; i++) await server.hubwire.hubContext('/hub').clients.all.send('fill', chunk);
      let received = 0;
      while (received < 24) if ((await reader.next(10_000)).includes('"fill"')) received++;
      for (let i = 0; i < 9; i++) clock.advance(1000);
      assert.equal(metrics.totals().sendTimeouts, 0, 'not before the timeout');
      for (let i = 0; i < 3; i++) clock.advance(1000);
      assert.equal(metrics.totals().sendTimeouts, 1);
      await until(() => server.hubwire.connectionCount() === 1, 5000, 'the stuck connection to be gone');
      // The reader is untouched.
      reader.send(framed(invocation('echo', ['still here'], '1')));
      assert.equal(await reader.nextNonPing(), '{"type":3,"invocationId":"1","result":"still here"}');
      stuck.socket.destroy();
      reader.client.close();
    });
  });

  test('0 switches the send timeout off', async () => {
    const clock = new FakeClock();
    await withServer({ clock, transportSendTimeout: 0, maximumOutboundBufferSize: 256 * 1024 * 1024 }, async (server, metrics) => {
      const stuck = await TcpWebSocket.handshaken(server.port, '/hub');
      await until(() => server.hubwire.connectionCount() === 1, 5000, 'connected');
      stuck.socket.pause();
      const chunk = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 24; i++) await server.hubwire.hubContext('/hub').clients.all.send('fill', chunk);
      for (let i = 0; i < 30; i++) clock.advance(1000);
      assert.equal(metrics.totals().sendTimeouts, 0);
      assert.equal(server.hubwire.connectionCount(), 1);
      stuck.socket.destroy();
    });
  });
});

describe('invocation rate limits', () => {
  test('a blocking call over its method limit gets an error Completion; other methods and connections go on', async () => {
    const clock = new FakeClock();
    await withServer({ clock, rateLimits: { methods: { echo: { perSecond: 1, burst: 2 } } } }, async (server, metrics) => {
      const stream = await json(server);
      stream.send(framed(invocation('echo', [1], '1'), invocation('echo', [2], '2'), invocation('echo', [3], '3'), invocation('other', [4], '4')));
      assert.equal(await stream.nextNonPing(), '{"type":3,"invocationId":"1","result":1}');
      assert.equal(await stream.nextNonPing(), '{"type":3,"invocationId":"2","result":2}');
      assert.equal(await stream.nextNonPing(), `{"type":3,"invocationId":"3","error":"Failed to invoke 'echo' because of a rate limit. Try again in 1 s."}`);
      assert.equal(await stream.nextNonPing(), '{"type":3,"invocationId":"4","result":4}');
      assert.equal(metrics.byLabel('limit', 'method').rateLimited, 1);
      // A second connection has buckets of its own.
      const second = await json(server);
      second.send(framed(invocation('echo', [5], '5')));
      assert.equal(await second.nextNonPing(), '{"type":3,"invocationId":"5","result":5}');
      // The bucket refills with time.
      clock.advance(1000);
      stream.send(framed(invocation('echo', [6], '6')));
      assert.equal(await stream.nextNonPing(), '{"type":3,"invocationId":"6","result":6}');
      stream.client.close();
      second.client.close();
    });
  });

  test('a fire-and-forget call over the connection limit closes the connection with an error Close', async () => {
    await withServer({ rateLimits: { invocationsPerConnection: { perSecond: 1, burst: 1 } } }, async (server, metrics) => {
      const stream = await json(server);
      stream.send(framed(invocation('echo', [1]), invocation('echo', [2])));
      assert.equal(await stream.nextNonPing(), `{"type":7,"error":"Connection closed with an error. HubException: Rate limit 'invocationsPerConnection' exceeded.","allowReconnect":true}`);
      assert.equal(await stream.closed(), 1000);
      assert.equal(metrics.byLabel('limit', 'invocationsPerConnection').rateLimited, 1);
    });
  });

  test('the user limit spans the connections of one user', async () => {
    const authenticate = (request: { query: URLSearchParams }): Principal | undefined => {
      const user = request.query.get('user');
      return user === null ? undefined : { userIdentifier: user, claims: {} };
    };
    await withServer({ authenticate, rateLimits: { invocationsPerUser: { perSecond: 0.001, burst: 2 } } }, async (server) => {
      const a = await json(server, '?user=jane');
      const b = await json(server, '?user=jane');
      const c = await json(server, '?user=john');
      a.send(framed(invocation('echo', [1], '1')));
      assert.equal(await a.nextNonPing(), '{"type":3,"invocationId":"1","result":1}');
      b.send(framed(invocation('echo', [2], '2'), invocation('echo', [3], '3')));
      assert.equal(await b.nextNonPing(), '{"type":3,"invocationId":"2","result":2}');
      assert.match(await b.nextNonPing(), /"invocationId":"3","error":"Failed to invoke 'echo' because of a rate limit/);
      c.send(framed(invocation('echo', [4], '4')));
      assert.equal(await c.nextNonPing(), '{"type":3,"invocationId":"4","result":4}');
      for (const stream of [a, b, c]) stream.client.close();
    });
  });

  test('dry run lets everything through and counts what it would have refused', async () => {
    await withServer({ rateLimits: { dryRun: true, invocationsPerConnection: { perSecond: 1, burst: 1 } } }, async (server, metrics) => {
      const stream = await json(server);
      stream.send(Array.from({ length: 5 }, (_, i) => invocation('echo', [i], String(i)) + RS).join(''));
      for (let i = 0; i < 5; i++) assert.equal(await stream.nextNonPing(), `{"type":3,"invocationId":"${i}","result":${i}}`);
      assert.equal(metrics.totals().rateLimitedDryRun, 4);
      assert.equal(metrics.totals().rateLimited, 0);
      stream.client.close();
    });
  });
});

describe('closeOnAuthenticationExpiration', () => {
  const clock = new FakeClock();
  const authenticate = (request: { query: URLSearchParams }): Principal => ({
    userIdentifier: 'jane',
    claims: { exp: Math.floor((clock.now() + Number(request.query.get('ttl'))) / 1000) },
  });

  test('a connection whose token expires gets a Close with allowReconnect and no error', async () => {
    await withServer({ clock, authenticate, closeOnAuthenticationExpiration: true }, async (server, metrics) => {
      const stream = await json(server, '?ttl=5000');
      await roundTrip(stream.client);
      for (let i = 0; i < 4; i++) clock.advance(1000);
      stream.send(framed(invocation('echo', ['alive'], '1')));
      assert.equal(await stream.nextNonPing(), '{"type":3,"invocationId":"1","result":"alive"}');
      for (let i = 0; i < 2; i++) clock.advance(1000);
      assert.equal(await stream.nextNonPing(), '{"type":7,"allowReconnect":true}');
      assert.equal(await stream.closed(), 1000);
      assert.equal(metrics.totals().authenticationExpired, 1);
    });
  });

  test('off by default: an expired token keeps its connection, as in ASP.NET', async () => {
    await withServer({ clock, authenticate }, async (server) => {
      const stream = await json(server, '?ttl=1000');
      for (let i = 0; i < 5; i++) clock.advance(1000);
      stream.send(framed(invocation('echo', ['alive'], '1')));
      assert.equal(await stream.nextNonPing(), '{"type":3,"invocationId":"1","result":"alive"}');
      const closed = once(stream.client.socket, 'close');
      stream.client.close();
      await closed;
    });
  });
});
