/**
 * What is the uWebSockets.js engine's own (attachUws): its message size limit, the input it
 * holds for a connection that stopped reading, routes beside the hubs, refusals before the 101,
 * and the ends of connections. The protocol itself is the matrix's (matrix.test.ts runs it on
 * both engines).
 */
import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import { after, before, describe, test } from 'node:test';
import uws from '@trufflesuite/uws-js-unofficial';
import { createHubServer, Hub, PAUSED_INPUT_LIMIT, type HubServer } from 'hubwire';
import { connect, signalR } from '../support/signalr-client.js';
import { RawClient, RS } from '../support/raw-client.js';
import { until, within } from '../support/wait.js';

let release: (() => void) | undefined;
/** By the `name` in each connection's query: the error its disconnect carried ('' for none). */
const disconnects = new Map<string, string>();

let echoed = 0;

class UwsHub extends Hub {
  echo(value: unknown) {
    echoed++;
    return value;
  }
  /** Holds the connection's only invocation slot until the test lets go. */
  block(): Promise<void> {
    return new Promise((resolve) => (release = resolve));
  }
  override async onDisconnected(error?: Error): Promise<void> {
    const name = this.context.request.query.get('name');
    if (name !== null) disconnects.set(name, error?.message ?? '');
  }
}

describe('the uWebSockets.js engine', () => {
  let hubwire: HubServer;
  let listening: uws.us_listen_socket;
  let base: string;

  before(async () => {
    hubwire = createHubServer({ shutdownTimeout: 1000 });
    hubwire.mapHub('/hub', UwsHub, {
      maximumReceiveMessageSize: 64 * 1024,
      maximumWebSocketFrameSize: 128 * 1024,
      authenticate: (info) => (info.query.get('deny') === '1' ? undefined : { userIdentifier: 'u', claims: {} }),
      authorize: true,
    });
    const app = uws.App();
    // The app's own static route keeps precedence over the engine's catch-all routes.
    app.get('/healthz', (res) => void res.end('ok'));
    hubwire.attachUws(app, { fallback: (res) => void res.writeStatus('418 I\'m a teapot').end('not a hub') });
    listening = await new Promise((resolve, reject) => app.listen('127.0.0.1', 0, (socket) => (socket ? resolve(socket) : reject(new Error('no listen')))));
    base = `127.0.0.1:${uws.us_socket_local_port(listening)}`;
  });
  after(async () => {
    release?.();
    await hubwire.close();
    uws.us_listen_socket_close(listening);
  });

  test("the app's routes and the fallback answer beside the hubs", async () => {
    assert.equal(await (await fetch(`http://${base}/healthz`)).text(), 'ok');
    const other = await fetch(`http://${base}/elsewhere`);
    assert.deepEqual([other.status, await other.text()], [418, 'not a hub']);
    const negotiate = await fetch(`http://${base}/HUB/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(negotiate.status, 200, 'hub paths match in any case, as on node:http');
    assert.deepEqual(
      ((await negotiate.json()) as { availableTransports: { transport: string }[] }).availableTransports.map((t) => t.transport),
      ['WebSockets', 'ServerSentEvents', 'LongPolling'],
    );
  });

  test('an upgrade is refused with its HTTP answer before any 101', async () => {
    await assert.rejects(RawClient.connect(`ws://${base}/hub?id=no-such-token`), /404/);
    await assert.rejects(RawClient.connect(`ws://${base}/hub?deny=1`), /401/);
    await assert.rejects(RawClient.connect(`ws://${base}/nohub`), /404/);
  });

  test('a POST body that goes on after its answer (404) is dropped; the server keeps serving', async () => {
    const socket = connectTcp(Number(base.split(':')[1]), '127.0.0.1');
    socket.on('error', () => undefined);
    const answer = new Promise<string>((resolve) => socket.once('data', (data: Buffer) => resolve(data.toString().split('\r\n')[0]!)));
    socket.write('POST /hub?id=no-such-token HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n');
    assert.equal(await within(answer, 5000, 'the answer'), 'HTTP/1.1 404 Not Found');
    for (let i = 0; i < 10 && !socket.destroyed; i++) {
      socket.write(Buffer.alloc(100_000, 0x78));
      const probe = await fetch(`http://${base}/hub/negotiate?negotiateVersion=1`, { method: 'POST' });
      assert.equal(probe.status, 200);
    }
    socket.destroy();
  });

  test("a message over the endpoint's frame size closes the socket with 1009", async () => {
    // Up to twice the largest endpoint's limit, uWebSockets.js reads the message and Hubwire closes with 1009.
    const client = await RawClient.handshaken(`ws://${base}/hub`);
    client.send(`{"type":1,"target":"echo","arguments":["${'x'.repeat(130 * 1024)}"]}${RS}`);
    assert.equal((await within(client.closed, 5000, 'close')).code, 1009);
  });

  test('a client flooding a connection that stopped reading is closed with 1008; others keep answering', async () => {
    const flooder = await RawClient.handshaken(`ws://${base}/hub`);
    flooder.send(`{"type":1,"invocationId":"b","target":"block","arguments":[]}${RS}`);
    await until(() => release !== undefined, 5000, 'the blocking call');
    const bystander = await connect(`http://${base}/hub`, { transport: signalR.HttpTransportType.WebSockets });
    try {
      // Each invocation waits for the slot: parsed ahead a few, then held as bytes, then too many.
      const message = `{"type":1,"invocationId":"e","target":"echo","arguments":["${'y'.repeat(60 * 1024)}"]}${RS}`;
      const count = Math.ceil((PAUSED_INPUT_LIMIT * 1.5) / message.length);
      for (let i = 0; i < count && flooder.socket.readyState === 1; i++) flooder.send(message);
      assert.equal((await within(flooder.closed, 5000, 'close')).code, 1008);
      assert.equal(await within(bystander.invoke('echo', 'still here'), 5000, 'echo'), 'still here');
    } finally {
      release?.();
      release = undefined;
      await bystander.stop();
    }
  });

  test('held input is delivered in order once the connection reads again', async () => {
    const client = await RawClient.handshaken(`ws://${base}/hub`);
    client.send(`{"type":1,"invocationId":"b","target":"block","arguments":[]}${RS}`);
    await until(() => release !== undefined, 5000, 'the blocking call');
    for (let i = 0; i < 100; i++) client.send(`{"type":1,"invocationId":"${i}","target":"echo","arguments":[${i}]}${RS}`);
    // A bystander's round trips let the server read what the client sent; none of it may run
    // yet: 32 messages wait parsed, the rest as bytes and, once reading stopped, held frames.
    const bystander = await RawClient.handshaken(`ws://${base}/hub`);
    for (let i = 0; i < 3; i++) {
      bystander.send(`{"type":1,"invocationId":"b${i}","target":"echo","arguments":[0]}${RS}`);
      await bystander.nextMessages();
    }
    bystander.close();
    const before = echoed;
    release!();
    release = undefined;
    const results: unknown[] = [];
    while (results.length < 101) for (const message of await client.nextMessages()) if (message['type'] === 3) results.push(message['result'] ?? 'blocked');
    assert.deepEqual(results, ['blocked', ...Array.from({ length: 100 }, (_, i) => i)]);
    assert.equal(echoed - before, 100, 'every echo ran after the release');
    client.close();
  });

  test('a client that vanishes without a close frame is disconnected with an error; a stop is clean', async () => {
    const vanishing = await RawClient.handshaken(`ws://${base}/hub?name=vanishing`);
    vanishing.socket.terminate();
    await until(() => disconnects.has('vanishing'), 5000, 'the disconnect');
    assert.match(disconnects.get('vanishing')!, /closed without a close message/);
    const leaving = await connect(`http://${base}/hub?name=leaving`, { transport: signalR.HttpTransportType.WebSockets });
    await leaving.stop();
    await until(() => disconnects.has('leaving'), 5000, 'the second disconnect');
    assert.equal(disconnects.get('leaving'), '');
  });

  // The edges where uWebSockets.js answers otherwise than ws (docs/protocol.md lists them).
  test('a text frame of invalid UTF-8 drops the socket without a close frame; others keep answering', async () => {
    const bad = await RawClient.handshaken(`ws://${base}/hub`);
    const bystander = await RawClient.handshaken(`ws://${base}/hub`);
    const prefix = Buffer.from('{"type":1,"invocationId":"1","target":"echo","arguments":["');
    bad.send(Buffer.concat([prefix, Buffer.from([0xff]), Buffer.from(`"]}${RS}`)]), false);
    assert.equal((await within(bad.closed, 5000, 'close')).code, 1006);
    assert.deepEqual(bad.buffered, [], 'no hub message answers a frame uWebSockets.js refused');
    bystander.send(`{"type":1,"invocationId":"2","target":"echo","arguments":[2]}${RS}`);
    assert.deepEqual(await bystander.nextMessages(), [{ type: 3, invocationId: '2', result: 2 }]);
    bystander.close();
  });

  test('an empty close frame is echoed: the client reports 1005', async () => {
    const client = await RawClient.handshaken(`ws://${base}/hub`);
    client.socket.close();
    assert.equal((await within(client.closed, 5000, 'close')).code, 1005);
  });

  test('permessage-deflate is not offered', async () => {
    const client = await RawClient.connect(`ws://${base}/hub`, { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' });
    try {
      assert.equal(client.socket.extensions, '');
    } finally {
      client.close();
    }
  });

  test('closing the server closes its WebSockets with 1000', async () => {
    const server = createHubServer({ shutdownTimeout: 1000 }).mapHub('/hub', UwsHub);
    const app = uws.App();
    server.attachUws(app);
    const socket = await new Promise<uws.us_listen_socket>((resolve, reject) => app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('no listen')))));
    try {
      const client = await RawClient.handshaken(`ws://127.0.0.1:${uws.us_socket_local_port(socket)}/hub`);
      await server.close();
      assert.equal((await within(client.closed, 5000, 'close')).code, 1000);
    } finally {
      uws.us_listen_socket_close(socket);
    }
  });
});
