/**
 * Raw connections (`mapConnection`, ASP.NET's `MapConnectionHandler`) with the official client's
 * `HttpConnection` used directly, no `HubConnection`: every transport, text and binary (binary
 * not over Server-Sent Events, which is text only), the handler's end, auth, shutdown.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RawConnection } from 'hubwire';
import { Deferred } from '../support/deferred.js';
import { RawClientConnection } from '../support/raw-http-connection.js';
import { signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

const { HttpTransportType, TransferFormat } = signalR;
const TRANSPORTS = [
  ['WebSockets', HttpTransportType.WebSockets],
  ['ServerSentEvents', HttpTransportType.ServerSentEvents],
  ['LongPolling', HttpTransportType.LongPolling],
] as const;
const BINARY_TRANSPORTS = TRANSPORTS.filter(([name]) => name !== 'ServerSentEvents');

/** What the echo handler saw of each connection, by connection id. */
const seen = new Map<string, { transport: string; room: string | null; kinds: string[] }>();
const ended = new Map<string, Deferred<void>>();

async function echo(connection: RawConnection): Promise<void> {
  const record = { transport: connection.transport, room: connection.request.query.get('room'), kinds: [] as string[] };
  seen.set(connection.connectionId, record);
  for await (const data of connection) {
    record.kinds.push(typeof data === 'string' ? 'text' : 'binary');
    if (!connection.send(data)) await connection.drained();
  }
  ended.get(connection.connectionId)?.resolve();
}

describe('raw connections with the official HttpConnection', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer((hw) =>
      hw
        .mapConnection('/echo', echo)
        // Replies to the first data, then returns. (It waits for the client to send: an event stream
        // that ends before the client's start() has finished trips the official client.)
        .mapConnection('/bye', async (connection) => {
          for await (const _ of connection) {
            connection.send('bye');
            return;
          }
        })
        .mapConnection('/broken', async (connection) => {
          for await (const data of connection) if (data === 'fail') throw new Error('handler failed');
        })
        .mapConnection('/secure', echo, {
          authenticate: (request) => {
            if (request.headers['authorization'] !== 'Bearer good') throw new Error('bad token');
            return { userIdentifier: 'u1', claims: {} };
          },
        }),
    );
  });
  after(() => server.close());

  for (const [name, transport] of TRANSPORTS) {
    test(`${name}: text goes back as text, and the handler sees the transport, the id and the URL's query`, async () => {
      const client = await RawClientConnection.start(server.url('/echo?room=blue'), transport);
      try {
        const id = client.connection.connectionId!;
        await client.send('hello');
        assert.equal(await client.textOf(5), 'hello');
        await client.send('wörld ✓');
        assert.equal(await client.textOf(12), 'hellowörld ✓');
        assert.ok(client.received.every((data) => typeof data === 'string'), 'text arrives as strings');
        assert.deepEqual({ ...seen.get(id), kinds: [...new Set(seen.get(id)!.kinds)] }, { transport: name, room: 'blue', kinds: ['text'] });
      } finally {
        await client.stop();
      }
    });

    test(`${name}: the client's stop ends the handler's loop`, async () => {
      const client = await RawClientConnection.start(server.url('/echo'), transport);
      const id = client.connection.connectionId!;
      const done = new Deferred<void>();
      ended.set(id, done);
      await client.send('x');
      await client.textOf(1);
      await client.stop();
      await done.wait(5000, 'the handler to return');
      await until(() => server.hubwire.connectionCount('/echo') === 0, 5000, 'the connection to be forgotten');
      assert.equal(await within(client.closed, 5000, 'onclose'), undefined);
    });

    test(`${name}: a handler that returns ends the connection cleanly after what it sent`, async () => {
      const client = await RawClientConnection.start(server.url('/bye'), transport);
      await client.send('hi');
      assert.equal(await within(client.closed, 5000, 'onclose'), undefined);
      assert.equal(client.text, 'bye');
    });

    test(`${name}: without a valid token the start fails with the 401`, async () => {
      await assert.rejects(RawClientConnection.start(server.url('/secure'), transport), /Unauthorized: Status code '401'/);
      const client = await RawClientConnection.start(server.url('/secure'), transport, TransferFormat.Text, { headers: { Authorization: 'Bearer good' } });
      try {
        await client.send('in');
        assert.equal(await client.textOf(2), 'in');
      } finally {
        await client.stop();
      }
    });
  }

  for (const [name, transport] of BINARY_TRANSPORTS) {
    test(`${name}: binary goes back as binary, byte for byte`, async () => {
      const client = await RawClientConnection.start(server.url('/echo'), transport, TransferFormat.Binary);
      try {
        const bytes = Uint8Array.from([0, 1, 2, 0xfe, 0xff, 0x0a, 0x0d, 0x1e]);
        await client.send(bytes.buffer);
        assert.deepEqual([...(await client.bytesOf(bytes.length))], [...bytes]);
        assert.ok(client.received.every((data) => data instanceof ArrayBuffer), 'binary arrives as ArrayBuffers');
        assert.deepEqual(seen.get(client.connection.connectionId!)!.kinds, ['binary']);
      } finally {
        await client.stop();
      }
    });
  }

  test('ServerSentEvents is offered for text only: a binary start falls back to nothing', async () => {
    await assert.rejects(RawClientConnection.start(server.url('/echo'), HttpTransportType.ServerSentEvents, TransferFormat.Binary), /not supported|transports/i);
  });

  test('WebSockets: a handler that throws closes with 1011', async () => {
    const client = await RawClientConnection.start(server.url('/broken'), HttpTransportType.WebSockets);
    await client.send('fail');
    const error = await within(client.closed, 5000, 'onclose');
    assert.match(String(error?.message), /status code: 1011/);
  });

  test('LongPolling: a handler that throws ends the polls with 500', async () => {
    const client = await RawClientConnection.start(server.url('/broken'), HttpTransportType.LongPolling);
    await client.send('fail');
    const error = await within(client.closed, 5000, 'onclose');
    assert.match(String(error?.message), /500/);
  });
});

describe('raw connections and shutdown', () => {
  for (const [name, transport] of TRANSPORTS) {
    test(`${name}: close() ends the handler's loop and the client's connection, promptly`, async () => {
      const done = new Deferred<void>();
      const server = await startTestServer(
        (hw) =>
          hw.mapConnection('/echo', async (connection) => {
            for await (const data of connection) connection.send(data);
            done.resolve();
          }),
        { shutdownTimeout: 10_000 },
      );
      const client = await RawClientConnection.start(server.url('/echo'), transport);
      try {
        await client.send('ping');
        await client.textOf(4);
        await within(server.close(), 5000, 'close() well before shutdownTimeout');
        await done.wait(5000, 'the handler loop to end');
        await within(client.closed, 5000, 'the client to see the end');
      } finally {
        await client.stop().catch(() => undefined);
        await server.close();
      }
    });
  }
});
