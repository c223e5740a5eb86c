/**
 * Conformance: the Server-Sent Events transport and its POST sends, over raw HTTP.
 * Reference: signalr-protocol.md §1 (H4, H6), §3, §4.1, §4.3, §6, §15.2 (T4, T10-T12, T17).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonHubProtocol, type HubProtocol } from 'hubwire';
import { FakeClock } from '../support/fake-clock.js';
import { negotiate, probeUpgrade } from '../support/http-probe.js';
import { EventStream, StreamedPost, httpRequest, send } from '../support/http-transports.js';
import { framed } from '../support/json-stream.js';
import { RS } from '../support/raw-client.js';
import { until, within } from '../support/wait.js';
import { CLOSE_WITH_ERROR, invocation, startConformanceServer, type ConformanceServer } from './fixtures.js';

const HANDSHAKE = framed('{"protocol":"json","version":1}');

async function tokenOf(server: ConformanceServer): Promise<string> {
  return String((await negotiate(server.hubUrl, 'negotiateVersion=1')).body!['connectionToken']);
}

/** A negotiated connection with its event stream open and the JSON handshake done. */
async function openSse(server: ConformanceServer): Promise<{ token: string; stream: EventStream }> {
  const token = await tokenOf(server);
  const stream = await EventStream.open(`${server.hubUrl}?id=${token}`);
  assert.equal(stream.status, 200);
  assert.equal((await send(server.hubUrl, token, HANDSHAKE)).status, 200);
  assert.deepEqual(await stream.nextMessages(), ['{}']);
  return { token, stream };
}

describe('Server-Sent Events', () => {
  let server: ConformanceServer;
  const open: EventStream[] = [];
  before(async () => {
    server = await startConformanceServer();
  });
  after(async () => {
    for (const stream of open) stream.close();
    await server.close();
  });

  async function connected(): Promise<{ token: string; stream: EventStream }> {
    const result = await openSse(server);
    open.push(result.stream);
    return result;
  }

  test('T10: the stream answers 200 with the exact headers and the `:` preamble before anything is sent', async () => {
    const token = await tokenOf(server);
    const stream = await EventStream.open(`${server.hubUrl}?id=${token}`);
    open.push(stream);
    assert.equal(stream.status, 200);
    assert.equal(stream.headers['content-type'], 'text/event-stream');
    assert.equal(stream.headers['cache-control'], 'no-cache,no-store');
    assert.equal(stream.headers['pragma'], 'no-cache');
    assert.equal(stream.headers['content-encoding'], 'identity');
    assert.equal(stream.headers['content-length'], undefined);
    await until(() => stream.raw.length > 0, 5000, 'the preamble');
    assert.equal(stream.raw, ':\r\n');
  });

  test('T10: every payload is one `data:` event; the raw stream is byte-exact', async () => {
    const token = await tokenOf(server);
    const stream = await EventStream.open(`${server.hubUrl}?id=${token}`);
    open.push(stream);
    const post = await send(server.hubUrl, token, HANDSHAKE);
    assert.equal(post.status, 200);
    assert.match(String(post.headers['content-type']), /^text\/plain/);
    assert.equal(post.text, '');
    assert.equal(await stream.nextEvent(), `data: {}${RS}`);
    await send(server.hubUrl, token, framed(invocation('add', [2, 3], '1')));
    assert.equal(await stream.nextEvent(), `data: {"type":3,"invocationId":"1","result":5}${RS}`);
    assert.equal(stream.raw, `:\r\ndata: {}${RS}\r\n\r\ndata: {"type":3,"invocationId":"1","result":5}${RS}\r\n\r\n`);
  });

  test('T7: one POST with several messages is processed in order', async () => {
    const { token, stream } = await connected();
    await send(server.hubUrl, token, framed(invocation('add', [1, 1], 'a'), invocation('add', [2, 2], 'b'), invocation('add', [3, 3], 'c')));
    const received: string[] = [];
    while (received.length < 3) received.push(...(await stream.nextMessages()));
    assert.deepEqual(received, [
      '{"type":3,"invocationId":"a","result":2}',
      '{"type":3,"invocationId":"b","result":4}',
      '{"type":3,"invocationId":"c","result":6}',
    ]);
  });

  test('a handshake and a message split over two POSTs are reassembled', async () => {
    const token = await tokenOf(server);
    const stream = await EventStream.open(`${server.hubUrl}?id=${token}`);
    open.push(stream);
    const whole = HANDSHAKE + framed(invocation('add', [20, 22], 'split'));
    const cut = HANDSHAKE.length + 10;
    await send(server.hubUrl, token, whole.slice(0, 15));
    await send(server.hubUrl, token, whole.slice(15, cut));
    await send(server.hubUrl, token, whole.slice(cut));
    const received: string[] = [];
    while (received.length < 2) received.push(...(await stream.nextMessages()));
    assert.deepEqual(received, ['{}', '{"type":3,"invocationId":"split","result":42}']);
  });

  test('concurrent POSTs are fed one after another, in arrival order', async () => {
    const { token } = await connected();
    // POST A sends one whole message and half of another, then stalls.
    const first = framed(invocation('record', ['sse-a0']));
    const second = framed(invocation('record', ['sse-a1']));
    const postA = new StreamedPost(`${server.hubUrl}?id=${token}`);
    postA.write(first + second.slice(0, 10));
    await until(() => server.state.log.includes('sse-a0'), 5000, 'the first half of POST A');
    // POST B, whole, arrives while A is still being read: it must wait for A.
    let answeredB = false;
    const postB = send(server.hubUrl, token, framed(invocation('record', ['sse-b']))).then((answer) => {
      answeredB = true;
      return answer.status;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(answeredB, false, 'POST B was answered before POST A ended');
    assert.deepEqual(
      server.state.log.filter((entry) => entry.startsWith('sse-')),
      ['sse-a0'],
    );
    postA.end(second.slice(10));
    assert.equal(await within(postA.status, 5000, 'POST A'), 200);
    assert.equal(await postB, 200);
    await until(() => server.state.log.includes('sse-b'), 5000, 'POST B processed');
    assert.deepEqual(
      server.state.log.filter((entry) => entry.startsWith('sse-')),
      ['sse-a0', 'sse-a1', 'sse-b'],
    );
  });

  test('409 (empty) for a second stream on an open connection; the first is undisturbed', async () => {
    const { token, stream } = await connected();
    const second = await httpRequest(`${server.hubUrl}?id=${token}`, { headers: { Accept: 'text/event-stream' } });
    assert.equal(second.status, 409);
    assert.equal(second.text, '');
    await send(server.hubUrl, token, framed(invocation('add', [1, 2], '1')));
    assert.deepEqual(await stream.nextMessages(), ['{"type":3,"invocationId":"1","result":3}']);
  });

  test('T11: without id 400 "Connection ID required", unknown id 404 "No Connection with that ID" (GET and POST)', async () => {
    const noId = await httpRequest(server.hubUrl, { headers: { Accept: 'text/event-stream' } });
    assert.equal(noId.status, 400);
    assert.match(String(noId.headers['content-type']), /^text\/plain/);
    assert.equal(noId.text, 'Connection ID required');
    const unknown = await httpRequest(`${server.hubUrl}?id=nope`, { headers: { Accept: 'text/event-stream' } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, 'No Connection with that ID');
    const postNoId = await httpRequest(server.hubUrl, { method: 'POST', body: HANDSHAKE });
    assert.equal(postNoId.status, 400);
    assert.equal(postNoId.text, 'Connection ID required');
    const postUnknown = await send(server.hubUrl, 'nope', HANDSHAKE);
    assert.equal(postUnknown.status, 404);
    assert.equal(postUnknown.text, 'No Connection with that ID');
  });

  test('T4: an SSE connection cannot switch to long polling or WebSockets (400); a poll-claimed one cannot switch to SSE', async () => {
    const { token } = await connected();
    const poll = await httpRequest(`${server.hubUrl}?id=${token}&_=1`);
    assert.equal(poll.status, 400);
    assert.equal(poll.text, 'Cannot change transports mid-connection');
    const upgrade = await probeUpgrade(`${server.hubUrl}?id=${token}`);
    assert.equal(upgrade.status, 400);
    assert.equal(upgrade.body, 'Cannot change transports mid-connection');

    const polled = await tokenOf(server);
    assert.equal((await httpRequest(`${server.hubUrl}?id=${polled}&_=1`)).status, 200);
    const sse = await httpRequest(`${server.hubUrl}?id=${polled}`, { headers: { Accept: 'text/event-stream' } });
    assert.equal(sse.status, 400);
    assert.equal(sse.text, 'Cannot change transports mid-connection');
    await httpRequest(`${server.hubUrl}?id=${polled}`, { method: 'DELETE' });
  });

  test('T17: DELETE on an SSE connection is 400 with the exact text; the stream goes on', async () => {
    const { token, stream } = await connected();
    const answer = await httpRequest(`${server.hubUrl}?id=${token}`, { method: 'DELETE' });
    assert.equal(answer.status, 400);
    assert.match(String(answer.headers['content-type']), /^text\/plain/);
    assert.equal(answer.text, 'Cannot terminate this connection using the DELETE endpoint.');
    await send(server.hubUrl, token, framed(invocation('add', [5, 5], '1')));
    assert.deepEqual(await stream.nextMessages(), ['{"type":3,"invocationId":"1","result":10}']);
  });

  test('a POST before any stream or poll is refused with 409 and leaves the connection usable', async () => {
    const token = await tokenOf(server);
    const early = await send(server.hubUrl, token, HANDSHAKE);
    assert.equal(early.status, 409);
    const stream = await EventStream.open(`${server.hubUrl}?id=${token}`);
    open.push(stream);
    await send(server.hubUrl, token, HANDSHAKE);
    assert.deepEqual(await stream.nextMessages(), ['{}']);
  });

  test('a Close message gets Close {"type":7}, the stream ends, onDisconnected runs without error, the token is forgotten', async () => {
    const { token, stream } = await openSse(server);
    const before = server.state.disconnects.length;
    await send(server.hubUrl, token, framed('{"type":7}'));
    assert.deepEqual(await stream.nextMessages(), ['{"type":7}']);
    await stream.waitEnd();
    await until(() => server.state.disconnects.length > before, 5000, 'onDisconnected');
    assert.equal(server.state.disconnects.at(-1), undefined);
    assert.equal((await send(server.hubUrl, token, framed('{"type":6}'))).status, 404);
    assert.equal((await httpRequest(`${server.hubUrl}?id=${token}`, { headers: { Accept: 'text/event-stream' } })).status, 404);
  });

  test('the client dropping the stream ends the connection with an error; its token is then 404', async () => {
    const { token, stream } = await openSse(server);
    const before = server.state.disconnects.length;
    stream.close();
    await until(() => server.state.disconnects.length > before, 5000, 'onDisconnected');
    assert.ok(server.state.disconnects.at(-1) instanceof Error);
    assert.equal((await send(server.hubUrl, token, framed('{"type":6}'))).status, 404);
  });

  test('malformed JSON POSTed: the Close with error is the last event, the stream ends; another connection is unaffected', async () => {
    const other = await connected();
    const { token, stream } = await openSse(server);
    const answer = await send(server.hubUrl, token, `{"type":1,"target":${RS}`);
    assert.equal(answer.status, 200);
    assert.deepEqual(await stream.nextMessages(), [CLOSE_WITH_ERROR]);
    await stream.waitEnd();
    assert.equal(stream.unread, '');
    await send(server.hubUrl, other.token, framed(invocation('add', [7, 8], 'ok')));
    assert.deepEqual(await other.stream.nextMessages(), ['{"type":3,"invocationId":"ok","result":15}']);
  });
});

describe('Server-Sent Events: hub options', () => {
  test('T5: switched off it is 404 with the exact text and not listed; the others still work', async () => {
    const server = await startConformanceServer({}, { transports: ['WebSockets', 'LongPolling'] });
    try {
      const answer = await negotiate(server.hubUrl, 'negotiateVersion=1');
      assert.deepEqual(
        (answer.body!['availableTransports'] as { transport: string }[]).map((entry) => entry.transport),
        ['WebSockets', 'LongPolling'],
      );
      const token = String(answer.body!['connectionToken']);
      const refused = await httpRequest(`${server.hubUrl}?id=${token}`, { headers: { Accept: 'text/event-stream' } });
      assert.equal(refused.status, 404);
      assert.equal(refused.text, 'ServerSentEvents transport not supported by this end point type');
      assert.equal((await httpRequest(`${server.hubUrl}?id=${token}&_=1`)).status, 200);
      await httpRequest(`${server.hubUrl}?id=${token}`, { method: 'DELETE' });
    } finally {
      await server.close();
    }
  });

  test('a Binary protocol is refused at handshake with the exact error, then the stream ends', async () => {
    const binary: HubProtocol = { ...jsonHubProtocol, name: 'messagepack', transferFormat: 'Binary' };
    const server = await startConformanceServer({}, { protocols: [jsonHubProtocol, binary] });
    try {
      const token = await tokenOf(server);
      const stream = await EventStream.open(`${server.hubUrl}?id=${token}`);
      await send(server.hubUrl, token, framed('{"protocol":"messagepack","version":1}'));
      assert.deepEqual(await stream.nextMessages(), [
        `{"error":"Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format."}`,
      ]);
      await stream.waitEnd();
    } finally {
      await server.close();
    }
  });

  test('K1: an idle SSE connection gets Pings after keepAliveInterval (no inherent keep-alive)', async () => {
    const clock = new FakeClock();
    const server = await startConformanceServer({ clock });
    try {
      const { stream } = await openSse(server);
      for (let i = 0; i < 16; i++) clock.advance(1000);
      assert.deepEqual(await stream.nextMessages(), ['{"type":6}']);
      stream.close();
    } finally {
      await server.close();
    }
  });

  test('authentication runs on the stream and on every POST (access_token query or bearer header)', async () => {
    const server = await startConformanceServer(
      {},
      {
        authenticate: (request) => {
          const header = request.headers['authorization'];
          if (header !== 'Bearer good' && request.query.get('access_token') !== 'good') throw new Error('no valid token');
          return { userIdentifier: 'u1', claims: {} };
        },
      },
    );
    try {
      const token = String((await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: { Authorization: 'Bearer good' } })).body!['connectionToken']);
      const refused = await httpRequest(`${server.hubUrl}?id=${token}`, { headers: { Accept: 'text/event-stream' } });
      assert.equal(refused.status, 401);
      const stream = await EventStream.open(`${server.hubUrl}?id=${token}&access_token=good`);
      try {
        assert.equal(stream.status, 200);
        assert.equal((await send(server.hubUrl, token, HANDSHAKE)).status, 401);
        assert.equal((await send(server.hubUrl, token, HANDSHAKE, { Authorization: 'Bearer good' })).status, 200);
        assert.deepEqual(await stream.nextMessages(), ['{}']);
      } finally {
        stream.close();
      }
    } finally {
      await server.close();
    }
  });
});
