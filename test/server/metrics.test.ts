/**
 * GET /metrics after a scripted session against the server app: clients over each transport and
 * both protocols, invocations that succeed and fail, a broadcast, a slow consumer, a handshake
 * failure, REST calls, a disconnect by client timeout. Each step is read as the difference between
 * a scrape before and after it, so every value checked is what that step alone caused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { Hub, HubError } from 'hubwire';
import { NotFound, type AppModule } from '../../apps/server/src/app-context.js';
import { SilentPeer } from '../support/e2e.js';
import { RawClient, RS } from '../support/raw-client.js';
import { parsePrometheus, type Scrape } from './prometheus-text.js';
import { signalR, startTestApp, type TestApp } from './support.js';

const HUB = '/hubs/probe';
const TOKEN = 'metrics-token-0123456789';
const FLOOD = { count: 96, bytes: 128 * 1024 }; // 12 MB: past what the kernel buffers for one socket

class ProbeHub extends Hub {
  override async onConnected(): Promise<void> {
    // Raw peers say what they are in the query; the hub floods `silent` ones.
    const role = this.context.request.query.get('role');
    if (role !== null) await this.groups.add(this.context.connectionId, role);
  }
  echo(value: unknown): unknown {
    return value;
  }
  fail(): never {
    throw new HubError('Refused on purpose.');
  }
  boom(): never {
    throw new Error('broken on purpose');
  }
  async broadcast(text: string): Promise<void> {
    await this.clients.all.send('tick', text);
  }
  async join(group: string): Promise<void> {
    await this.groups.add(this.context.connectionId, group);
  }
  async flood(count: number, bytes: number): Promise<void> {
    const payload = 'x'.repeat(bytes);
    for (let index = 0; index < count; index++) await this.clients.group('silent').send('flood', payload);
  }
}

const probeModule: AppModule = {
  name: 'probe',
  register(app) {
    app.hubwire.mapHub(HUB, ProbeHub);
    app.routes.add('GET', '/api/probe/items/:id', ({ params }) => {
      if (params['id'] === 'missing') throw new NotFound('No such item.');
      return { status: 200, body: { id: params['id'] } };
    });
  },
};

/** No pings while a step runs (they are messages too): keep-alive and timeouts far away. */
const QUIET = { KEEP_ALIVE_INTERVAL_MS: '600000', CLIENT_TIMEOUT_MS: '1200000' };
const quietClient = (builder: signalR.HubConnectionBuilder) => builder.withKeepAliveInterval(300_000).withServerTimeout(1_200_000);

async function scrape(server: TestApp, token = TOKEN): Promise<Scrape> {
  const answer = await server.request('GET', '/metrics', { token });
  assert.equal(answer.status, 200, `GET /metrics: ${answer.status}`);
  assert.equal(answer.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(answer.body as string);
}

/** What changed between two scrapes for one sample (counters and histogram parts). */
const delta = (before: Scrape, after: Scrape, name: string, labels: Record<string, string>) => after.count(name, labels) - before.count(name, labels);

describe('GET /metrics after a scripted session', () => {
  let server: TestApp;
  let ws: signalR.HubConnection;
  let msgpack: signalR.HubConnection;
  let sse: signalR.HubConnection;
  let lp: signalR.HubConnection;
  const peers: SilentPeer[] = [];
  const raws: RawClient[] = [];

  before(async () => {
    server = await startTestApp({ ...QUIET, METRICS_TOKEN: TOKEN, MAX_OUTBOUND_BUFFER_SIZE: '65536' }, { modules: [probeModule] });
  });
  after(async () => {
    for (const peer of peers) peer.destroy();
    for (const raw of raws) raw.close();
    await server?.stop();
  });

  test('answers 401 without the token, and with a wrong one', async () => {
    const none = await server.request('GET', '/metrics');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    const wrong = await server.request('GET', '/metrics', { token: 'not-the-metrics-token-at-all' });
    assert.equal(wrong.status, 401);
    assert.equal((await scrape(server)).types.get('signalr_server_active_connections'), 'gauge');
  });

  test('connects over each transport and protocol: active connections and opened counts', async () => {
    const before = await scrape(server);
    const jane = await server.token('jane.smith');
    const john = await server.token('john.doe');
    ws = await server.connect(HUB, { token: jane, transport: signalR.HttpTransportType.WebSockets, configure: quietClient });
    msgpack = await server.connect(HUB, { token: john, transport: signalR.HttpTransportType.WebSockets, configure: (b) => quietClient(b).withHubProtocol(new MessagePackHubProtocol()) });
    sse = await server.connect(HUB, { transport: signalR.HttpTransportType.ServerSentEvents, configure: quietClient });
    lp = await server.connect(HUB, { token: jane, transport: signalR.HttpTransportType.LongPolling, configure: quietClient });
    const after = await scrape(server);

    const active = (transport: string) => after.value('signalr_server_active_connections', { hub: HUB, signalr_transport: transport });
    assert.equal(active('web_sockets'), 2);
    assert.equal(active('server_sent_events'), 1);
    assert.equal(active('long_polling'), 1);
    const opened = (transport: string, protocol: string) => delta(before, after, 'hubwire_connections_opened_total', { hub: HUB, transport, protocol });
    assert.equal(opened('web_sockets', 'json'), 1);
    assert.equal(opened('web_sockets', 'messagepack'), 1);
    assert.equal(opened('server_sent_events', 'json'), 1);
    assert.equal(opened('long_polling', 'json'), 1);
    // Two distinct users (jane twice, john), no group yet.
    assert.equal(after.value('hubwire_users', { hub: HUB }), 2);
    assert.equal(after.value('hubwire_groups', { hub: HUB }), 0);
  });

  test('invocations that succeed and fail: counts, errors by code, durations by method', async () => {
    const before = await scrape(server);
    for (let index = 0; index < 5; index++) assert.equal(await ws.invoke('Echo', index), index);
    assert.equal(await msgpack.invoke('Echo', 'packed'), 'packed');
    await assert.rejects(ws.invoke('Fail'), /Refused on purpose/);
    await assert.rejects(ws.invoke('Boom'), /An unexpected error occurred/);
    await assert.rejects(ws.invoke('NoSuchMethod'), /Method does not exist/);
    await ws.invoke('Join', 'room');
    const after = await scrape(server);

    const invocations = (method: string) => delta(before, after, 'hubwire_invocations_total', { hub: HUB, method });
    assert.equal(invocations('echo'), 6);
    assert.equal(invocations('fail'), 1);
    assert.equal(invocations('boom'), 1);
    assert.equal(invocations('unknown'), 1);
    const errors = (method: string, code: string) => delta(before, after, 'hubwire_invocation_errors_total', { hub: HUB, method, code });
    assert.equal(errors('fail', 'hub_error'), 1);
    assert.equal(errors('boom', 'exception'), 1);
    assert.equal(errors('unknown', 'unknown_method'), 1);
    assert.equal(errors('echo', 'hub_error') + errors('echo', 'exception'), 0);

    const duration = { hub: HUB, method: 'echo' };
    assert.equal(delta(before, after, 'hubwire_invocation_duration_seconds_count', duration), 6);
    const seconds = delta(before, after, 'hubwire_invocation_duration_seconds_sum', duration);
    assert.ok(seconds > 0 && seconds < 6, `echo took ${seconds} s in all`);
    // Buckets are cumulative and end at the count.
    assert.equal(delta(before, after, 'hubwire_invocation_duration_seconds_bucket', { ...duration, le: '+Inf' }), 6);
    assert.ok(delta(before, after, 'hubwire_invocation_duration_seconds_bucket', { ...duration, le: '1' }) === 6, 'every echo under a second');

    // One message per invocation in, by protocol (no pings: keep-alive is far away).
    assert.equal(delta(before, after, 'hubwire_messages_received_total', { hub: HUB, protocol: 'json' }), 9);
    assert.equal(delta(before, after, 'hubwire_messages_received_total', { hub: HUB, protocol: 'messagepack' }), 1);
    assert.ok(delta(before, after, 'hubwire_received_bytes_total', { hub: HUB, protocol: 'json' }) > 9 * 20);
    assert.equal(after.value('hubwire_groups', { hub: HUB }), 1);
  });

  test('a broadcast: fan-out, messages and bytes by protocol, message size, delivery latency', async () => {
    const ticks = [ws, msgpack, sse, lp].map((connection) => new Promise<string>((resolve) => connection.on('tick', resolve)));
    const before = await scrape(server);
    // Fire and forget: no completion, so every message sent is the broadcast's.
    await ws.send('Broadcast', 'hello everyone');
    assert.deepEqual(await Promise.all(ticks), Array(4).fill('hello everyone'));
    const after = await scrape(server);

    assert.equal(delta(before, after, 'hubwire_fan_out_count', { hub: HUB }), 1);
    assert.equal(delta(before, after, 'hubwire_fan_out_sum', { hub: HUB }), 4);
    assert.equal(delta(before, after, 'hubwire_fan_out_bucket', { hub: HUB, le: '2' }), 0);
    assert.equal(delta(before, after, 'hubwire_fan_out_bucket', { hub: HUB, le: '5' }), 1);
    // One per recipient, by protocol.
    assert.equal(delta(before, after, 'hubwire_messages_sent_total', { hub: HUB, protocol: 'json' }), 3);
    assert.equal(delta(before, after, 'hubwire_messages_sent_total', { hub: HUB, protocol: 'messagepack' }), 1);
    const jsonBytes = delta(before, after, 'hubwire_sent_bytes_total', { hub: HUB, protocol: 'json' });
    assert.ok(jsonBytes > 3 * 'hello everyone'.length, `${jsonBytes} JSON bytes sent`);
    // Serialized once per protocol, whatever the number of recipients.
    assert.equal(delta(before, after, 'hubwire_sent_message_size_bytes_count', { hub: HUB, protocol: 'json' }), 1);
    assert.equal(delta(before, after, 'hubwire_sent_message_size_bytes_count', { hub: HUB, protocol: 'messagepack' }), 1);
    const latency = delta(before, after, 'hubwire_delivery_latency_seconds_sum', { hub: HUB });
    assert.equal(delta(before, after, 'hubwire_delivery_latency_seconds_count', { hub: HUB }), 1);
    assert.ok(latency >= 0 && latency < 1, `delivery latency ${latency} s`);
  });

  test('a handshake failure and a slow consumer', async () => {
    const before = await scrape(server);
    const raw = await RawClient.connect(`${server.app.url.replace('http', 'ws')}${HUB}`);
    raws.push(raw);
    raw.send(`{"protocol":"carrier-pigeon","version":1}${RS}`);
    assert.match((await raw.next()).text, /not supported/);

    const peer = await SilentPeer.connect(server.app.address.port, `${HUB}?role=silent`);
    peers.push(peer);
    await ws.invoke('Flood', FLOOD.count, FLOOD.bytes);
    const after = await eventually(server, (scraped) => delta(before, scraped, 'hubwire_slow_consumer_disconnects_total', { hub: HUB, reason: 'outbound_buffer' }) === 1);

    assert.equal(delta(before, after, 'hubwire_handshake_failures_total', { hub: HUB, reason: 'unsupported_protocol' }), 1);
    assert.equal(after.value('signalr_server_active_connections', { hub: HUB, signalr_transport: 'web_sockets' }), 2);
    assert.equal(delta(before, after, 'signalr_server_connection_duration_seconds_count', { hub: HUB, signalr_transport: 'web_sockets', signalr_connection_status: 'normal_closure' }), 2);
    // Nothing waits in the process for anyone any more.
    assert.equal(after.value('hubwire_outbound_buffer_bytes', { hub: HUB }), 0);
    assert.equal(after.value('hubwire_outbound_buffer_max_bytes', { hub: HUB }), 0);
  });

  test('REST requests by route pattern and status, never by path', async () => {
    const before = await scrape(server);
    assert.equal((await server.request('GET', '/api/probe/items/one')).status, 200);
    assert.equal((await server.request('GET', '/api/probe/items/two')).status, 200);
    assert.equal((await server.request('GET', '/api/probe/items/missing')).status, 404);
    assert.equal((await server.request('GET', '/api/nothing/here')).status, 404);
    assert.equal((await server.request('DELETE', '/healthz')).status, 405);
    const after = await scrape(server);

    const requests = (method: string, route: string, status: string) => delta(before, after, 'hubwire_rest_requests_total', { method, route, status });
    assert.equal(requests('GET', '/api/probe/items/:id', '200'), 2);
    assert.equal(requests('GET', '/api/probe/items/:id', '404'), 1);
    assert.equal(requests('GET', 'unmatched', '404'), 1);
    assert.equal(requests('DELETE', '/healthz', '405'), 1);
    // The scrape before this one is counted too, as /metrics 200.
    assert.equal(requests('GET', '/metrics', '200'), 1);
    assert.equal(delta(before, after, 'hubwire_rest_request_duration_seconds_count', { method: 'GET', route: '/api/probe/items/:id' }), 3);
    assert.equal(after.matching('hubwire_rest_requests_total').filter((sample) => /one|two|missing|nothing/.test(sample.labels['route']!)).length, 0);
  });

  test('a normal disconnect, then Node process metrics', async () => {
    const before = await scrape(server);
    await sse.stop();
    const after = await eventually(server, (scraped) => scraped.value('signalr_server_active_connections', { hub: HUB, signalr_transport: 'server_sent_events' }) === 0);
    const status = { hub: HUB, signalr_transport: 'server_sent_events', signalr_connection_status: 'normal_closure' };
    assert.equal(delta(before, after, 'signalr_server_connection_duration_seconds_count', status), 1);
    const lived = delta(before, after, 'signalr_server_connection_duration_seconds_sum', status);
    assert.ok(lived > 0 && lived < 60, `the SSE connection lived ${lived} s`);
    assert.equal(delta(before, after, 'hubwire_connections_closed_total', { hub: HUB, transport: 'server_sent_events', protocol: 'json' }), 1);
    assert.equal(after.types.get('signalr_server_connection_duration_seconds'), 'histogram');
    // ASP.NET's bucket bounds.
    const bounds = after.matching('signalr_server_connection_duration_seconds_bucket', status).map((sample) => sample.labels['le']);
    assert.deepEqual(bounds, ['0.01', '0.02', '0.05', '0.1', '0.2', '0.5', '1', '2', '5', '10', '30', '60', '120', '300', '+Inf']);

    assert.ok(after.count('process_cpu_user_seconds_total') > 0);
    assert.ok(after.count('nodejs_heap_size_used_bytes') > 0);
    assert.equal(after.types.get('nodejs_eventloop_lag_seconds'), 'gauge');
  });
});

describe('GET /metrics after a disconnect by client timeout', () => {
  let server: TestApp;
  let peer: RawClient | undefined;
  before(async () => {
    server = await startTestApp({ CLIENT_TIMEOUT_MS: '300', KEEP_ALIVE_INTERVAL_MS: '100', METRICS_ENABLED: 'true' }, { modules: [probeModule] });
  });
  after(async () => {
    peer?.close();
    await server?.stop();
  });

  test('counts the timeout and ends the connection with status timeout', async () => {
    const before = await scrape(server, '');
    // As ASP.NET, the client timeout runs from a client's first ping: one ping, then silence.
    peer = await RawClient.handshaken(`${server.app.url.replace('http', 'ws')}${HUB}`);
    peer.send(`{"type":6}${RS}`);
    const after = await eventually(server, (scraped) => delta(before, scraped, 'hubwire_client_timeouts_total', { hub: HUB }) === 1, '');
    const ended = await eventually(server, (scraped) => scraped.count('signalr_server_connection_duration_seconds_count', { hub: HUB, signalr_transport: 'web_sockets', signalr_connection_status: 'timeout' }) === 1, '');
    assert.equal(ended.value('signalr_server_active_connections', { hub: HUB, signalr_transport: 'web_sockets' }), 0);
    assert.equal((await peer.closed).code, 1000);
    assert.equal(delta(before, after, 'hubwire_connections_opened_total', { hub: HUB, transport: 'web_sockets', protocol: 'json' }), 1);
    // The server's heartbeat checks once a second: the silent peer lived 0.3 s to about 1.3 s.
    const lived = ended.count('signalr_server_connection_duration_seconds_sum', { hub: HUB, signalr_transport: 'web_sockets', signalr_connection_status: 'timeout' });
    assert.ok(lived >= 0.3 && lived < 5, `lived ${lived} s`);
  });

  test('without METRICS_TOKEN /metrics is open', async () => {
    const answer = await server.request('GET', '/metrics');
    assert.equal(answer.status, 200);
  });
});

describe('METRICS_ENABLED=false', () => {
  test('serves no /metrics', async () => {
    const server = await startTestApp({ METRICS_ENABLED: 'false' }, { modules: [probeModule] });
    try {
      const answer = await server.request('GET', '/metrics');
      assert.equal(answer.status, 404);
    } finally {
      await server.stop();
    }
  });
});

/** Scrapes until `accept` holds (bounded). */
async function eventually(server: TestApp, accept: (scrape: Scrape) => boolean, token = TOKEN, ms = 5000): Promise<Scrape> {
  const deadline = Date.now() + ms;
  for (;;) {
    const scraped = await scrape(server, token);
    if (accept(scraped)) return scraped;
    if (Date.now() > deadline) throw new Error(`metrics did not reach the expected values within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
