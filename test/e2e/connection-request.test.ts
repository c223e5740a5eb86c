/**
 * `context.request` with the official client over each transport: a custom header set with the
 * client's `headers` option, a query parameter of the hub URL and a cookie are read from the
 * request that established the transport. The client's HTTP client is wrapped so that negotiate
 * carries other values than the transport requests (the stock client sends the same on both),
 * which is how a hub reading the negotiate request would be caught.
 * Reference: signalr-protocol.md §3 ("The connection's request").
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from 'hubwire';
import { connect, signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

class RequestHub extends Hub {
  seen(): unknown {
    const { headers, query, cookies } = this.context.request;
    return { transport: this.context.transport, header: headers['x-custom'], room: query.get('room'), cookie: cookies['flavour'] };
  }

  headerNames(): string[] {
    return Object.keys(this.context.request.headers).sort();
  }
}

/** The stock HTTP client, except that negotiate goes out with other values. */
class NegotiateDiffers extends signalR.DefaultHttpClient {
  readonly negotiated: string[] = [];

  constructor() {
    super(signalR.NullLogger.instance);
  }

  override send(request: signalR.HttpRequest): Promise<signalR.HttpResponse> {
    if (request.url?.includes('/negotiate') === true) {
      this.negotiated.push(request.url);
      return super.send({
        ...request,
        url: request.url.replace('room=transport-room', 'room=negotiate-room'),
        headers: { ...request.headers, 'X-Custom': 'negotiate-header', Cookie: 'flavour=negotiate-cookie' },
      });
    }
    return super.send(request);
  }
}

let server: TestServer;
before(async () => {
  server = await startTestServer((hw) => hw.mapHub('/req', RequestHub));
});
after(() => server.close());

for (const [name, transport] of [
  ['WebSockets', signalR.HttpTransportType.WebSockets],
  ['ServerSentEvents', signalR.HttpTransportType.ServerSentEvents],
  ['LongPolling', signalR.HttpTransportType.LongPolling],
] as const) {
  test(`${name}: the hub sees the transport request's header, query and cookie, not negotiate's`, async () => {
    const httpClient = new NegotiateDiffers();
    const connection = await connect(server.url('/req?room=transport-room'), {
      transport,
      httpClient,
      headers: { 'X-Custom': 'transport-header', Cookie: 'flavour=transport%20cookie; other=1' },
    });
    try {
      assert.equal(httpClient.negotiated.length, 1, 'negotiate went through the wrapped client');
      assert.deepEqual(await within(connection.invoke('seen'), 5000, 'seen'), {
        transport: name,
        header: 'transport-header',
        room: 'transport-room',
        cookie: 'transport cookie',
      });
    } finally {
      await connection.stop();
    }
  });
}

test('WebSockets: the request keeps its headers but the handshake\'s own (documented in docs/protocol.md)', async () => {
  const connection = await connect(server.url('/req'), { transport: signalR.HttpTransportType.WebSockets, headers: { 'X-Custom': 'kept' } });
  try {
    const names = (await within(connection.invoke('headerNames'), 5000, 'headerNames')) as string[];
    for (const kept of ['host', 'x-custom']) assert.ok(names.includes(kept), `${kept} is kept: ${names.join(', ')}`);
    for (const dropped of ['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions']) {
      assert.ok(!names.includes(dropped), `${dropped} is not kept: ${names.join(', ')}`);
    }
  } finally {
    await connection.stop();
  }
});
