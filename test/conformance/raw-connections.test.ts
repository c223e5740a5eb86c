/**
 * Conformance: raw connections (`mapConnection`) over raw WebSockets and HTTP, byte-exact: the
 * frames and answers each transport carries, the handler's end, the limits, the sweep.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RawConnection } from 'hubwire';
import { Deferred } from '../support/deferred.js';
import { negotiate } from '../support/http-probe.js';
import { EventStream, httpRequest, poll, send } from '../support/http-transports.js';
import { RawClient } from '../support/raw-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';
import { WatchedClock } from '../support/watched-clock.js';

const POLL_TIMEOUT = 90_000;

/** Connections the `hold` handler was given, in order, with a gate each waits on before returning. */
const held: { connection: RawConnection; release: Deferred<void>; sent: boolean[] }[] = [];

async function echo(connection: RawConnection): Promise<void> {
  for await (const data of connection) connection.send(data);
}

describe('raw connections over raw transports', () => {
  let server: TestServer;
  let clock: WatchedClock;
  before(async () => {
    clock = new WatchedClock();
    server = await startTestServer(
      (hw) =>
        hw
          .mapConnection('/echo', echo)
          .mapConnection('/small', echo, { maximumWebSocketFrameSize: 16 })
          .mapConnection('/close', async (connection) => {
            for await (const data of connection) {
              if (data === 'close') connection.close();
              else connection.send(`got ${String(data)}`);
            }
          })
          .mapConnection('/throw', async (connection) => {
            for await (const _ of connection) throw new Error('handler failed');
          })
          .mapConnection('/lines', async (connection) => {
            for await (const _ of connection) connection.send('one\ntwo\r\nthree');
          })
          .mapConnection('/request', async (connection) => {
            for await (const _ of connection) {
              const { headers, query, cookies } = connection.request;
              connection.send(JSON.stringify({ header: headers['x-step'], query: query.get('step'), cookie: cookies['step'] }));
            }
          })
          .mapConnection(
            '/hold',
            async (connection) => {
              const entry = { connection, release: new Deferred<void>(), sent: [] as boolean[] };
              held.push(entry);
              await Promise.race([entry.release.promise, new Promise((resolve) => connection.signal.addEventListener('abort', resolve))]);
            },
            { maximumOutboundBufferSize: 1000 },
          ),
      { clock, allowStatefulReconnects: true },
    );
  });
  after(async () => {
    for (const entry of held) entry.release.resolve();
    await server.close();
  });

  async function token(path: string, query = 'negotiateVersion=1'): Promise<string> {
    const answer = await negotiate(server.url(path), query);
    assert.equal(answer.status, 200);
    return String(answer.body!['connectionToken']);
  }

  test('negotiate lists the three transports and never offers stateful reconnect, even when asked and allowed', async () => {
    const answer = await negotiate(server.url('/echo'), 'negotiateVersion=1&useStatefulReconnect=true');
    assert.deepEqual(Object.keys(answer.body!), ['negotiateVersion', 'connectionId', 'connectionToken', 'availableTransports']);
    assert.deepEqual(answer.body!['availableTransports'], [
      { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
      { transport: 'ServerSentEvents', transferFormats: ['Text'] },
      { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
    ]);
  });

  test('WebSockets: a text frame comes back as a text frame, a binary frame as a binary frame', async () => {
    const client = await RawClient.connect(server.wsUrl(`/echo?id=${await token('/echo')}`));
    try {
      client.send('héllo');
      assert.deepEqual(await client.next(), { text: 'héllo', binary: false, data: Buffer.from('héllo') });
      client.send(Buffer.from([0, 0xff, 0x1e]));
      const frame = await client.next();
      assert.equal(frame.binary, true);
      assert.deepEqual([...frame.data], [0, 0xff, 0x1e]);
    } finally {
      client.close();
    }
  });

  test('WebSockets without negotiate (skipNegotiation) work too', async () => {
    const client = await RawClient.connect(server.wsUrl('/echo'));
    try {
      client.send('direct');
      assert.equal((await client.next()).text, 'direct');
    } finally {
      client.close();
    }
  });

  test('WebSockets: close() in the handler sends what came before, then close 1000', async () => {
    const client = await RawClient.connect(server.wsUrl('/close'));
    client.send('a');
    assert.equal((await client.next()).text, 'got a');
    client.send('close');
    assert.equal((await within(client.closed, 5000, 'the close')).code, 1000);
  });

  test('WebSockets: a handler that throws closes with 1011', async () => {
    const client = await RawClient.connect(server.wsUrl('/throw'));
    client.send('x');
    assert.equal((await within(client.closed, 5000, 'the close')).code, 1011);
  });

  test('WebSockets: a frame over maximumWebSocketFrameSize closes with 1009', async () => {
    const client = await RawClient.connect(server.wsUrl('/small'));
    client.send('x'.repeat(16));
    assert.equal((await client.next()).text, 'x'.repeat(16));
    client.send('x'.repeat(17));
    assert.equal((await within(client.closed, 5000, 'the close')).code, 1009);
  });

  test('WebSockets: the connection request is the upgrade, cookies included', async () => {
    const id = await token('/request', 'negotiateVersion=1&step=negotiate');
    const client = await RawClient.connect(server.wsUrl(`/request?step=upgrade&id=${id}`), { 'X-Step': 'upgrade', Cookie: 'step=upgrade%21; other=1' });
    try {
      client.send('?');
      assert.deepEqual(JSON.parse((await client.next()).text), { header: 'upgrade', query: 'upgrade', cookie: 'upgrade!' });
    } finally {
      client.close();
    }
  });

  test('Server-Sent Events: a POSTed text comes back as one event, each line its own data: line', async () => {
    const id = await token('/lines');
    const stream = await EventStream.open(server.url(`/lines?id=${id}`));
    try {
      assert.equal((await send(server.url('/lines'), id, 'go')).status, 200);
      assert.equal(await stream.nextEvent(), 'data: one\r\ndata: two\r\ndata: three');
    } finally {
      stream.close();
    }
  });

  test('Server-Sent Events: close() in the handler ends the stream after the last event', async () => {
    const id = await token('/close');
    const stream = await EventStream.open(server.url(`/close?id=${id}`));
    await send(server.url('/close'), id, 'a');
    assert.equal(await stream.nextEvent(), 'data: got a');
    await send(server.url('/close'), id, 'close');
    await stream.waitEnd();
    assert.equal(stream.unread, '');
  });

  test('long polling: the first poll is 200 empty; a POST comes back on the next poll as bytes', async () => {
    const id = await token('/echo');
    const first = await poll(server.url('/echo'), id);
    assert.deepEqual([first.status, first.body.length], [200, 0]);
    assert.equal((await send(server.url('/echo'), id, 'ping')).status, 200);
    const answer = await poll(server.url('/echo'), id);
    assert.deepEqual([answer.status, answer.headers['content-type'], answer.text], [200, 'application/octet-stream', 'ping']);
    const binary = await send(server.url('/echo'), id, Buffer.from([1, 2, 3]), { 'Content-Type': 'application/octet-stream' });
    assert.equal(binary.status, 200);
    assert.deepEqual([...(await poll(server.url('/echo'), id)).body], [1, 2, 3]);
    assert.equal((await httpRequest(`${server.url('/echo')}?id=${id}`, { method: 'DELETE' })).status, 202);
  });

  test('long polling: close() in the handler delivers what was sent, then 204; a throwing handler gets 500', async () => {
    const id = await token('/close');
    await poll(server.url('/close'), id);
    await send(server.url('/close'), id, 'a');
    await send(server.url('/close'), id, 'close');
    assert.equal((await poll(server.url('/close'), id)).text, 'got a');
    assert.equal((await poll(server.url('/close'), id)).status, 204);
    assert.equal((await poll(server.url('/close'), id)).status, 404);

    const failing = await token('/throw');
    await poll(server.url('/throw'), failing);
    await send(server.url('/throw'), failing, 'x');
    const answer = await poll(server.url('/throw'), failing);
    assert.equal(answer.status, 500);
  });

  test('long polling: the connection request is the first poll; later polls do not replace it', async () => {
    const id = await token('/request', 'negotiateVersion=1&step=negotiate');
    const url = server.url('/request');
    await httpRequest(`${url}?step=first&id=${id}&_=1`, { headers: { 'X-Step': 'first', Cookie: 'step=first' } });
    await send(url, id, '?');
    const answer = await httpRequest(`${url}?step=second&id=${id}&_=2`, { headers: { 'X-Step': 'second', Cookie: 'step=second' } });
    assert.deepEqual(JSON.parse(answer.text), { header: 'first', query: 'first', cookie: 'first' });
  });

  test('send() turns false past half of maximumOutboundBufferSize; past all of it the connection is dropped', async () => {
    const before = held.length;
    const id = await token('/hold');
    await poll(server.url('/hold'), id);
    await until(() => held.length === before + 1, 5000, 'the handler to start');
    const { connection } = held[before]!;
    assert.equal(connection.send('a'.repeat(400)), true);
    assert.equal(connection.bufferedAmount, 400);
    assert.equal(connection.send('b'.repeat(400)), false, 'over half of the limit: wait for drained()');
    assert.equal(connection.signal.aborted, false);
    assert.equal(connection.send('c'.repeat(400)), false);
    assert.equal(connection.signal.aborted, true, 'dropped as a slow consumer');
    assert.equal((await poll(server.url('/hold'), id)).status, 404);
    await within(connection.closed, 5000, 'closed');
  });

  test('drained() resolves once a poll has taken the backlog', async () => {
    const before = held.length;
    const id = await token('/hold');
    await poll(server.url('/hold'), id);
    await until(() => held.length === before + 1, 5000, 'the handler to start');
    const entry = held[before]!;
    assert.equal(entry.connection.send('d'.repeat(600)), false);
    let drained = false;
    const waiting = entry.connection.drained().then(() => (drained = true));
    assert.equal(drained, false);
    assert.equal((await poll(server.url('/hold'), id)).text.length, 600);
    await within(waiting, 5000, 'drained()');
    entry.release.resolve();
    assert.equal((await poll(server.url('/hold'), id)).status, 204);
  });

  test('long polling: a client that stops polling is swept after disconnectTimeout; its handler sees the end', async () => {
    const before = held.length;
    const id = await token('/hold');
    await poll(server.url('/hold'), id);
    await until(() => held.length === before + 1, 5000, 'the handler to start');
    const { connection } = held[before]!;
    clock.seconds(14);
    assert.equal(connection.signal.aborted, false);
    clock.seconds(1);
    assert.equal(connection.signal.aborted, true);
    await within(connection.closed, 5000, 'closed');
    assert.equal((await poll(server.url('/hold'), id)).status, 404);
  });

  test('a held poll is answered as soon as the handler sends', async () => {
    const id = await token('/echo');
    await poll(server.url('/echo'), id);
    const count = clock.scheduledCount(POLL_TIMEOUT);
    const pending = poll(server.url('/echo'), id);
    await clock.scheduled(POLL_TIMEOUT, count + 1);
    await send(server.url('/echo'), id, 'late');
    assert.equal((await within(pending, 5000, 'the held poll')).text, 'late');
  });
});
