/**
 * The library's instruments after scripted sessions, read from a recording Metrics: the official
 * client over each transport and protocol, invocations that succeed and fail, a broadcast, a slow
 * consumer, a client timeout on a fake clock, a normal close and a shutdown, handshake and
 * protocol failures, groups and users.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { FakeClock } from '../../../../test/support/fake-clock.js';
import { negotiate } from '../../../../test/support/http-probe.js';
import { roundTrip } from '../../../../test/support/json-stream.js';
import { RawClient, RS } from '../../../../test/support/raw-client.js';
import { clientFor, signalR } from '../../../../test/support/signalr-client.js';
import { until, within } from '../../../../test/support/wait.js';
import { HubError, HubwireError } from '../core/errors.js';
import { createRecordingMetrics, type RecordingMetrics } from '../core/recording-metrics.js';
import { jsonHubProtocol } from '../protocol/json/json-hub-protocol.js';
import { messagePackHubProtocol } from '../protocol/msgpack/msgpack-hub-protocol.js';
import { createHubServer, type HubServer, type HubServerOptions } from '../server.js';
import { Hub } from './hub.js';

class MeteredHub extends Hub {
  echo(text: string) {
    return text;
  }

  async later(text: string) {
    await Promise.resolve();
    return text;
  }

  refuse() {
    throw new HubError('not allowed');
  }

  crash() {
    throw new Error('boom');
  }

  unreachable() {
    throw new HubwireError('HUB_ERR_BACKPLANE', 'Redis is away.');
  }

  async join(group: string) {
    await this.groups.add(this.context.connectionId, group);
  }

  big(size: number) {
    return 'x'.repeat(size);
  }
}

interface Served {
  readonly hubwire: HubServer;
  readonly metrics: RecordingMetrics;
  url(path: string): string;
  ws(path: string): string;
}

async function serve(options: HubServerOptions = {}): Promise<Served> {
  const metrics = createRecordingMetrics();
  const hubwire = createHubServer({ metrics, shutdownTimeout: 1000, protocols: [jsonHubProtocol, messagePackHubProtocol], ...options });
  hubwire.mapHub('/hub', MeteredHub);
  hubwire.mapHub('/small', MeteredHub, { maximumOutboundBufferSize: 4096, maximumReceiveMessageSize: 1024 });
  hubwire.mapHub('/stateful', MeteredHub, { allowStatefulReconnects: true, disconnectTimeout: 10_000 });
  const { port } = await hubwire.listen({ port: 0 });
  return { hubwire, metrics, url: (path) => `http://127.0.0.1:${port}${path}`, ws: (path) => `ws://127.0.0.1:${port}${path}` };
}

const HUB = { hub: '/hub' };
const TRANSPORTS = [
  ['web_sockets', signalR.HttpTransportType.WebSockets],
  ['server_sent_events', signalR.HttpTransportType.ServerSentEvents],
  ['long_polling', signalR.HttpTransportType.LongPolling],
] as const;

async function start(url: string, transport: signalR.HttpTransportType, msgpack = false): Promise<signalR.HubConnection> {
  const builder = clientFor(url, { transport });
  const connection = (msgpack ? builder.withHubProtocol(new MessagePackHubProtocol()) : builder).build();
  await within(connection.start(), 5000, 'client start');
  return connection;
}

describe('instruments of a session over every transport', () => {
  let served: Served;
  const clients: signalR.HubConnection[] = [];

  before(async () => {
    served = await serve({
      authenticate: (request) => {
        const user = request.query.get('user');
        return user === null ? undefined : { userIdentifier: user, claims: {} };
      },
    });
    // Two users (ann twice) and an anonymous MessagePack client.
    const users = ['ann', 'ann', 'bob'];
    for (const [i, [, transport]] of TRANSPORTS.entries()) clients.push(await start(served.url(`/hub?user=${users[i]}`), transport));
    clients.push(await start(served.url('/hub'), signalR.HttpTransportType.WebSockets, true));
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await served.hubwire.close();
  });

  test("ASP.NET's active connections count each transport; connectionsOpened carries transport and protocol", () => {
    const { metrics } = served;
    assert.equal(metrics.sum('activeConnections', { ...HUB, 'signalr.transport': 'web_sockets' }), 2);
    assert.equal(metrics.sum('activeConnections', { ...HUB, 'signalr.transport': 'server_sent_events' }), 1);
    assert.equal(metrics.sum('activeConnections', { ...HUB, 'signalr.transport': 'long_polling' }), 1);
    assert.equal(metrics.count('connectionsOpened', { ...HUB, transport: 'web_sockets', protocol: 'json' }), 1);
    assert.equal(metrics.count('connectionsOpened', { ...HUB, transport: 'web_sockets', protocol: 'messagepack' }), 1);
    assert.equal(metrics.count('connectionsOpened', { ...HUB, transport: 'long_polling', protocol: 'json' }), 1);
    assert.equal(metrics.count('connectionsOpened', { ...HUB, transport: 'server_sent_events', protocol: 'json' }), 1);
  });

  test('invocations and their durations by method; errors by method and code', async () => {
    const { metrics } = served;
    const [ws] = clients as [signalR.HubConnection];
    assert.equal(await ws.invoke('echo', 'hi'), 'hi');
    assert.equal(await ws.invoke('later', 'hey'), 'hey');
    await assert.rejects(ws.invoke('refuse'), /not allowed/);
    await assert.rejects(ws.invoke('crash'));
    await assert.rejects(ws.invoke('unreachable'));
    await assert.rejects(ws.invoke('noSuchMethod'));
    await assert.rejects(ws.invoke('echo'));
    assert.equal(metrics.count('invocations', { ...HUB, method: 'echo' }), 2);
    assert.equal(metrics.count('invocations', { ...HUB, method: 'later' }), 1);
    assert.equal(metrics.count('invocations', { ...HUB, method: 'unknown' }), 1);
    const errors = (method: string, code: string) => metrics.count('invocationErrors', { ...HUB, method, code });
    assert.deepEqual(
      [errors('refuse', 'hub_error'), errors('crash', 'exception'), errors('unreachable', 'HUB_ERR_BACKPLANE'), errors('unknown', 'unknown_method'), errors('echo', 'invalid_invocation')],
      [1, 1, 1, 1, 1],
    );
    assert.equal(metrics.count('invocationErrors', HUB), 5);
    // Every invocation of a method the hub has is timed, whether it succeeded or not (the unknown one ran nothing).
    const durations = metrics.recorded('invocationDuration', HUB);
    assert.deepEqual(durations.map((entry) => entry.labels['method']).sort(), ['crash', 'echo', 'echo', 'later', 'refuse', 'unreachable']);
    for (const { value } of durations) assert.ok(value >= 0 && value < 5, `seconds: ${value}`);
  });

  test('a broadcast: one fan-out and one latency per send; messages and bytes out by protocol', async () => {
    const { metrics, hubwire } = served;
    const sent = (protocol: string) => metrics.count('messagesSent', { ...HUB, protocol });
    const before = { json: sent('json'), messagepack: sent('messagepack'), fanOuts: metrics.recorded('fanOut', HUB).length };
    const bytesBefore = metrics.count('sentBytes', { ...HUB, protocol: 'messagepack' });
    const received = clients.map((client) => new Promise<unknown>((resolve) => client.on('news', resolve)));
    await hubwire.hubContext('/hub').clients.all.send('news', 'extra!');
    assert.deepEqual(await within(Promise.all(received), 5000, 'the broadcast'), ['extra!', 'extra!', 'extra!', 'extra!']);
    assert.deepEqual(metrics.recorded('fanOut', HUB).slice(before.fanOuts).map((entry) => entry.value), [4]);
    assert.equal(metrics.recorded('deliveryLatency', HUB).length, before.fanOuts + 1);
    assert.equal(sent('json') - before.json, 3);
    assert.equal(sent('messagepack') - before.messagepack, 1);
    assert.ok(metrics.count('sentBytes', { ...HUB, protocol: 'messagepack' }) - bytesBefore > 'extra!'.length);
    // One size per protocol of the send: the JSON frame is the exact text the clients got.
    const sizes = metrics.recorded('sentMessageSize', HUB).slice(-2);
    assert.deepEqual(sizes.map((entry) => entry.labels['protocol']).sort(), ['json', 'messagepack']);
    const json = `{"type":1,"target":"news","arguments":["extra!"]}${RS}`;
    assert.equal(sizes.find((entry) => entry.labels['protocol'] === 'json')!.value, Buffer.byteLength(json));
    assert.ok(metrics.count('receivedBytes', { ...HUB, protocol: 'json' }) > 0);
    assert.ok(metrics.count('messagesReceived', { ...HUB, protocol: 'json' }) >= 7, 'the invocations above');
  });

  test('gauges: groups and users from the local index, outbound backlog per hub', async () => {
    const { metrics } = served;
    const [ws, sse] = clients as [signalR.HubConnection, signalR.HubConnection];
    await ws.invoke('join', 'g1');
    await sse.invoke('join', 'g2');
    await ws.invoke('join', 'g2');
    assert.deepEqual(metrics.gauge('groups', HUB).map((entry) => entry.value), [2]);
    assert.deepEqual(metrics.gauge('users', HUB).map((entry) => entry.value), [2], 'ann and bob');
    const [total] = metrics.gauge('outboundBufferBytes', HUB);
    const [max] = metrics.gauge('outboundBufferMaxBytes', HUB);
    assert.ok(total !== undefined && max !== undefined && total.value >= max.value && max.value >= 0);
  });
});

describe('instruments of how connections end', () => {
  test('a client timeout on a fake clock: timeout status with the seconds the connection lived', async () => {
    const clock = new FakeClock();
    const served = await serve({ clock });
    const client = await RawClient.handshaken(served.ws('/hub'));
    try {
      await until(() => served.metrics.count('connectionsOpened', HUB) === 1, 5000, 'the connection to open');
      // Only a client that pings is timed out for silence: one Ping, heard, then 30 s of nothing.
      client.send(`{"type":6}${RS}`);
      await roundTrip(client);
      for (let i = 0; i < 31; i++) clock.advance(1000);
      await within(client.closed, 5000, 'the timed-out socket to close');
      const { metrics } = served;
      assert.equal(metrics.count('clientTimeouts', HUB), 1);
      assert.equal(metrics.sum('activeConnections', HUB), 0);
      const ended = metrics.recorded('connectionDuration', HUB);
      assert.deepEqual(ended, [{ value: 31, labels: { ...HUB, 'signalr.transport': 'web_sockets', 'signalr.connection.status': 'timeout' } }]);
    } finally {
      client.close();
      await served.hubwire.close();
    }
  });

  test('a stateful-reconnect client that does not come back: lost, then expired, a timeout', async () => {
    const clock = new FakeClock();
    const served = await serve({ clock });
    const STATEFUL = { hub: '/stateful' };
    try {
      const token = String((await negotiate(served.url('/stateful'), 'negotiateVersion=1&useStatefulReconnect=true')).body!['connectionToken']);
      const client = await RawClient.handshaken(served.ws(`/stateful?id=${token}`), 'json', 2);
      await until(() => served.metrics.count('connectionsOpened', STATEFUL) === 1, 5000, 'the connection to open');
      client.close();
      await until(() => served.metrics.count('transportsLost', STATEFUL) === 1, 5000, 'the transport to be lost');
      for (let i = 0; i < 10; i++) clock.advance(1000);
      assert.equal(served.metrics.count('transportsExpired', STATEFUL), 1);
      assert.equal(served.metrics.count('transportsResumed', STATEFUL), 0);
      assert.deepEqual(
        served.metrics.recorded('connectionDuration', STATEFUL).map((entry) => [entry.value, entry.labels['signalr.connection.status']]),
        [[10, 'timeout']],
      );
      assert.equal(served.metrics.sum('activeConnections', STATEFUL), 0);
    } finally {
      await served.hubwire.close();
    }
  });

  test('a handshake timeout ends with timeout status and its reason', async () => {
    const clock = new FakeClock();
    const served = await serve({ clock });
    const client = await RawClient.connect(served.ws('/hub'));
    try {
      await until(() => served.metrics.sum('activeConnections', HUB) === 1, 5000, 'the transport to attach');
      for (let i = 0; i < 16; i++) clock.advance(1000);
      await within(client.closed, 5000, 'the socket to close');
      assert.equal(served.metrics.count('handshakeFailures', { ...HUB, reason: 'timeout' }), 1);
      assert.deepEqual(
        served.metrics.recorded('connectionDuration', HUB).map((entry) => entry.labels['signalr.connection.status']),
        ['timeout'],
      );
    } finally {
      client.close();
      await served.hubwire.close();
    }
  });

  test('a client that stops is a normal closure; the connections left at shutdown are app_shutdown', async () => {
    const served = await serve();
    const leaving = await start(served.url('/hub'), signalR.HttpTransportType.LongPolling);
    const staying = await start(served.url('/hub'), signalR.HttpTransportType.ServerSentEvents);
    await leaving.stop();
    const status = () => served.metrics.recorded('connectionDuration', HUB).map((entry) => `${entry.labels['signalr.transport']}/${entry.labels['signalr.connection.status']}`);
    await until(() => status().length === 1, 5000, 'the stopped connection to end');
    assert.deepEqual(status(), ['long_polling/normal_closure']);
    const closed = new Promise<void>((resolve) => staying.onclose(() => resolve()));
    await served.hubwire.close();
    await within(closed, 5000, 'the client to see the shutdown');
    assert.deepEqual(status(), ['long_polling/normal_closure', 'server_sent_events/app_shutdown']);
    assert.equal(served.metrics.sum('activeConnections', HUB), 0);
    assert.equal(served.metrics.observers('outboundBufferBytes'), 0, 'shutdown unregisters the gauges');
  });

  test('a slow consumer (a result past maximumOutboundBufferSize) is counted with its reason', async () => {
    const served = await serve();
    const client = await start(served.url('/small'), signalR.HttpTransportType.WebSockets);
    try {
      const closed = new Promise<void>((resolve) => client.onclose(() => resolve()));
      void client.invoke('big', 8192).catch(() => undefined);
      await within(closed, 5000, 'the slow consumer to be dropped');
      assert.equal(served.metrics.count('slowConsumerDisconnects', { hub: '/small', reason: 'outbound_buffer' }), 1);
    } finally {
      await client.stop();
      await served.hubwire.close();
    }
  });

  test('handshake failures and protocol errors by reason', async () => {
    const served = await serve();
    const { metrics } = served;
    try {
      const refused = await RawClient.connect(served.ws('/hub'));
      refused.send(`{"protocol":"xml","version":1}${RS}`);
      await within(refused.closed, 5000, 'the refused handshake to close');
      const garbled = await RawClient.handshaken(served.ws('/hub'));
      garbled.send(`{"type":1,${RS}`);
      await within(garbled.closed, 5000, 'the malformed message to close the socket');
      const oversized = await RawClient.handshaken(served.ws('/small'));
      oversized.send(`${JSON.stringify({ type: 1, target: 'echo', arguments: ['y'.repeat(2048)] })}${RS}`);
      await within(oversized.closed, 5000, 'the oversized message to close the socket');
      assert.equal(metrics.count('handshakeFailures', { ...HUB, reason: 'unsupported_protocol' }), 1);
      assert.equal(metrics.count('protocolErrors', { ...HUB, reason: 'malformed' }), 1);
      assert.equal(metrics.count('protocolErrors', { hub: '/small', reason: 'too_large' }), 1);
    } finally {
      await served.hubwire.close();
    }
  });
});
