/**
 * Conformance: WebSocket close frames. A client that closes with an empty close frame (what the
 * `ws` library and browsers send for `close()` without a code) gets 1000 back, as from ASP.NET,
 * instead of an echoed empty frame its WebSocket would report as 1005. Any close frame is the
 * client ending the connection on purpose, also under stateful reconnect.
 * Reference: signalr-protocol.md §4.2.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate, probeUpgrade } from '../support/http-probe.js';
import { JsonStream, framed } from '../support/json-stream.js';
import { RawClient } from '../support/raw-client.js';
import { until, within } from '../support/wait.js';
import { invocation, startConformanceServer, type ConformanceServer } from './fixtures.js';

async function handshaken(url: string): Promise<RawClient> {
  const client = await RawClient.handshaken(url);
  // One round trip, so the hub has connected before the socket closes.
  const stream = new JsonStream(client);
  stream.send(framed(invocation('add', [1, 1], '1')));
  assert.equal(await stream.next(), '{"type":3,"invocationId":"1","result":2}');
  return client;
}

describe('WebSocket close frames', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer({ allowStatefulReconnects: true }, {}, (hw) =>
      hw.mapConnection('/raw', async (connection) => {
        for await (const data of connection) connection.send(data);
      }),
    );
  });
  after(() => server.close());

  test('an empty close frame is answered with 1000, not echoed (which the client would see as 1005)', async () => {
    const client = await handshaken(server.hubWs());
    client.socket.close();
    assert.deepEqual(await within(client.closed, 5000, 'the close'), { code: 1000, reason: '' });
  });

  test('a close frame with a code is answered with that code, as before', async () => {
    for (const code of [1000, 1001, 4001]) {
      const client = await handshaken(server.hubWs());
      client.socket.close(code, 'bye');
      assert.equal((await within(client.closed, 5000, 'the close')).code, code);
    }
  });

  test('an empty close frame without a Close message is a clean end: onDisconnected gets no error', async () => {
    const before = server.state.disconnects.length;
    const client = await handshaken(server.hubWs());
    client.socket.close();
    await within(client.closed, 5000, 'the close');
    await until(() => server.state.disconnects.length === before + 1, 5000, 'onDisconnected');
    assert.equal(server.state.disconnects[before], undefined);
  });

  test('under stateful reconnect a close frame still ends the connection: the token is forgotten', async () => {
    const { body } = await negotiate(server.hubUrl, 'negotiateVersion=1&useStatefulReconnect=true');
    const token = String(body!['connectionToken']);
    const client = await RawClient.connect(server.hubWs(`id=${token}`));
    const stream = new JsonStream(client);
    stream.send(framed('{"protocol":"json","version":2}'));
    assert.equal(await stream.next(), '{}');
    client.socket.close();
    assert.equal((await within(client.closed, 5000, 'the close')).code, 1000);
    await until(() => server.hubwire.connectionCount('/hub') === 0, 5000, 'the connection to end');
    assert.equal((await probeUpgrade(`${server.hubUrl}?id=${token}`)).status, 404);
  });

  test('a raw connection gets 1000 for an empty close frame too', async () => {
    const client = await RawClient.connect(server.wsUrl('/raw'));
    client.send('x');
    assert.equal((await client.next()).text, 'x');
    client.socket.close();
    assert.equal((await within(client.closed, 5000, 'the close')).code, 1000);
  });

  test('a server-side close is still 1000 and the client may answer with an empty frame', async () => {
    const client = await handshaken(server.hubWs());
    const stream = new JsonStream(client);
    // A Close message from the client: the server answers with its own Close and closes 1000.
    stream.send(framed('{"type":7}'));
    assert.equal(await stream.next(), '{"type":7}');
    assert.equal((await within(client.closed, 5000, 'the close')).code, 1000);
  });
});
