/**
 * Conformance: the long-polling transport (polls, POST sends, DELETE) over raw HTTP, on a
 * FakeClock. Reference: signalr-protocol.md §1 (H5-H7), §4.1, §4.4, §11, §15.2 (T4, T11,
 * T13-T17, T19), §15.5 K4.
 *
 * Every held poll schedules its poll timeout on the clock, so `clock.scheduled(POLL, n)` tells
 * a test that the server is holding its n-th poll without sleeping. The heartbeat (pings,
 * sweeps) runs only when a test advances the clock.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, type HubMessage, type HubProtocol, type HubServerOptions, type HubOptions } from 'hubwire';
import { negotiate, probeUpgrade } from '../support/http-probe.js';
import { StreamedPost, httpRequest, messagesOf, poll, send, type HttpAnswer } from '../support/http-transports.js';
import { framed, PING_TEXT } from '../support/json-stream.js';
import { RS } from '../support/raw-client.js';
import { until, within } from '../support/wait.js';
import { WatchedClock } from '../support/watched-clock.js';
import { CLOSE_WITH_ERROR, invocation, startConformanceServer, type ConformanceServer } from './fixtures.js';

const POLL_TIMEOUT = 90_000;
const HANDSHAKE = framed('{"protocol":"json","version":1}');
const NO_CACHE = { 'cache-control': 'no-cache, no-store', pragma: 'no-cache', expires: 'Thu, 01 Jan 1970 00:00:00 GMT' };

/** A server on a WatchedClock, and helpers bound to it. */
interface LpServer {
  readonly server: ConformanceServer;
  readonly clock: WatchedClock;
  /** A negotiated token, not polled yet. */
  token(): Promise<string>;
  /** A connection after its first poll and the JSON handshake (the handshake answer collected). */
  connected(): Promise<string>;
  /** Starts a poll and waits until the server holds it; `answer` is the poll's eventual answer. */
  heldPoll(token: string): Promise<{ answer: Promise<HttpAnswer> }>;
  /** Makes the server invoke `marker(value)` on every connection. */
  broadcast(value: string): Promise<void>;
  close(): Promise<void>;
}

async function startLp(options: HubServerOptions = {}, hubOptions: HubOptions = {}): Promise<LpServer> {
  const clock = new WatchedClock();
  const server = await startConformanceServer({ clock, ...options }, hubOptions);
  const lp: LpServer = {
    server,
    clock,
    async token() {
      return String((await negotiate(server.hubUrl, 'negotiateVersion=1')).body!['connectionToken']);
    },
    async connected() {
      const token = await lp.token();
      assert.equal((await poll(server.hubUrl, token)).status, 200);
      assert.equal((await send(server.hubUrl, token, HANDSHAKE)).status, 200);
      const answer = await within(poll(server.hubUrl, token), 5000, 'the handshake answer');
      assert.equal(answer.text, `{}${RS}`);
      return token;
    },
    async heldPoll(token) {
      const count = clock.scheduledCount(POLL_TIMEOUT);
      const pending = poll(server.hubUrl, token);
      pending.catch(() => undefined);
      await clock.scheduled(POLL_TIMEOUT, count + 1);
      // Wrapped: an async function returning the promise itself would wait for the answer.
      return { answer: pending };
    },
    broadcast: (value) => within(server.hubwire.hubContext('/hub').clients.all.send('marker', value), 5000, 'a broadcast'),
    close: () => server.close(),
  };
  return lp;
}

const marker = (value: string): string => JSON.stringify({ type: 1, target: 'marker', arguments: [value] });

function assertNoCache(answer: HttpAnswer): void {
  for (const [name, value] of Object.entries(NO_CACHE)) assert.equal(answer.headers[name], value, name);
}

describe('long polling', () => {
  let lp: LpServer;
  before(async () => {
    lp = await startLp();
  });
  after(() => lp.close());

  test('T13: the first poll is answered at once: 200, empty, application/octet-stream, Content-Length 0, no-cache headers', async () => {
    const token = await lp.token();
    const first = await within(poll(lp.server.hubUrl, token), 2000, 'the first poll');
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-type'], 'application/octet-stream');
    assert.equal(first.headers['content-length'], '0');
    assert.equal(first.body.length, 0);
    assertNoCache(first);
  });

  test('T13: after the first poll the handshake is POSTed (200, empty text/plain) and collected by the next poll', async () => {
    const token = await lp.token();
    await poll(lp.server.hubUrl, token);
    const post = await send(lp.server.hubUrl, token, HANDSHAKE);
    assert.equal(post.status, 200);
    assert.match(String(post.headers['content-type']), /^text\/plain/);
    assert.equal(post.text, '');
    const answer = await poll(lp.server.hubUrl, token);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/octet-stream');
    assert.equal(answer.headers['content-length'], String(answer.body.length));
    assertNoCache(answer);
    assert.equal(answer.text, `{}${RS}`);
  });

  test('T14: a held poll is answered as soon as data exists', async () => {
    const token = await lp.connected();
    const { answer: pending } = await lp.heldPoll(token);
    await send(lp.server.hubUrl, token, framed(invocation('add', [2, 3], '1')));
    const answer = await within(pending, 5000, 'the held poll');
    assert.equal(answer.status, 200);
    assert.equal(answer.text, `{"type":3,"invocationId":"1","result":5}${RS}`);
  });

  test('T14: a poll takes every buffered message at once', async () => {
    const token = await lp.connected();
    await lp.broadcast('all-1');
    await lp.broadcast('all-2');
    await lp.broadcast('all-3');
    const answer = await poll(lp.server.hubUrl, token);
    assert.equal(answer.status, 200);
    assert.deepEqual(messagesOf(answer.text), [marker('all-1'), marker('all-2'), marker('all-3')]);
  });

  test('T7: one POST with several messages is processed in order', async () => {
    const token = await lp.token();
    await poll(lp.server.hubUrl, token);
    await send(lp.server.hubUrl, token, HANDSHAKE + framed(invocation('add', [1, 1], 'a'), invocation('add', [2, 2], 'b'), invocation('add', [3, 3], 'c')));
    const received: string[] = [];
    while (received.length < 4) received.push(...messagesOf((await within(poll(lp.server.hubUrl, token), 5000, 'a poll')).text));
    assert.deepEqual(received, [
      '{}',
      '{"type":3,"invocationId":"a","result":2}',
      '{"type":3,"invocationId":"b","result":4}',
      '{"type":3,"invocationId":"c","result":6}',
    ]);
  });

  test('concurrent POSTs are fed one after another: a POST arriving while another is half-read waits for it', async () => {
    const token = await lp.connected();
    const postA = new StreamedPost(`${lp.server.hubUrl}?id=${token}`);
    const second = framed(invocation('record', ['lp-a1']));
    postA.write(framed(invocation('record', ['lp-a0'])) + second.slice(0, 7));
    await until(() => lp.server.state.log.includes('lp-a0'), 5000, 'the first half of POST A');
    const postB = send(lp.server.hubUrl, token, framed(invocation('record', ['lp-b'])));
    let answeredB = false;
    void postB.then(() => (answeredB = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(answeredB, false, 'POST B was answered before POST A ended');
    postA.end(second.slice(7));
    assert.equal(await within(postA.status, 5000, 'POST A'), 200);
    assert.equal((await postB).status, 200);
    await until(() => lp.server.state.log.includes('lp-b'), 5000, 'POST B processed');
    assert.deepEqual(
      lp.server.state.log.filter((entry) => entry.startsWith('lp-')),
      ['lp-a0', 'lp-a1', 'lp-b'],
    );
  });

  test('back-pressure: while more than 64 messages wait for a slot, the POST is not answered; it is once they drain', async () => {
    const token = await lp.connected();
    const waiting = Array.from({ length: 70 }, (_, i) => invocation('record', [`bp-${i}`]));
    const post = send(lp.server.hubUrl, token, framed(invocation('slow', ['bp'], 'bp'), ...waiting));
    let answered = false;
    void post.then(() => (answered = true));
    await until(() => lp.server.state.log.includes('start:bp'), 5000, 'the slow invocation');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(answered, false, 'the POST was answered while the inbound queue was full');
    lp.server.state.gate('bp').open();
    assert.equal((await post).status, 200);
    await until(() => lp.server.state.log.includes('bp-69'), 5000, 'the queued messages');
  });

  test('a poll replaced by a newer poll gets 204; the newer one gets the data', async () => {
    const token = await lp.connected();
    const { answer: older } = await lp.heldPoll(token);
    const { answer: newer } = await lp.heldPoll(token);
    const replaced = await within(older, 5000, 'the older poll');
    assert.equal(replaced.status, 204);
    assert.equal(replaced.body.length, 0);
    assert.match(String(replaced.headers['content-type']), /^text\/plain/);
    assertNoCache(replaced);
    await lp.broadcast('to-newer');
    assert.deepEqual(messagesOf((await within(newer, 5000, 'the newer poll')).text), [marker('to-newer')]);
  });

  test('T14: a held poll is answered 200 empty after the poll timeout (90 s)', async () => {
    const token = await lp.connected();
    const { answer: pending } = await lp.heldPoll(token);
    lp.clock.advance(POLL_TIMEOUT - 1);
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(settled, false, 'answered before the poll timeout');
    lp.clock.advance(1);
    const answer = await within(pending, 5000, 'the timed-out poll');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-length'], '0');
    assert.match(String(answer.headers['content-type']), /^text\/plain/);
    assertNoCache(answer);
    // The connection lives on.
    await send(lp.server.hubUrl, token, framed(invocation('add', [1, 2], 'after')));
    assert.equal((await poll(lp.server.hubUrl, token)).text, `{"type":3,"invocationId":"after","result":3}${RS}`);
  });

  test('T15: DELETE is 202; the held poll gets 204; onDisconnected runs without error; then 404 everywhere', async () => {
    const token = await lp.connected();
    const disconnects = lp.server.state.disconnects.length;
    const { answer: pending } = await lp.heldPoll(token);
    const deleted = await httpRequest(`${lp.server.hubUrl}?id=${token}`, { method: 'DELETE' });
    assert.equal(deleted.status, 202);
    assert.match(String(deleted.headers['content-type']), /^text\/plain/);
    assert.equal(deleted.text, '');
    assert.equal((await within(pending, 5000, 'the held poll')).status, 204);
    await until(() => lp.server.state.disconnects.length > disconnects, 5000, 'onDisconnected');
    assert.equal(lp.server.state.disconnects.at(-1), undefined);
    assert.equal((await poll(lp.server.hubUrl, token)).status, 404);
    assert.equal((await send(lp.server.hubUrl, token, framed('{"type":6}'))).status, 404);
    assert.equal((await httpRequest(`${lp.server.hubUrl}?id=${token}`, { method: 'DELETE' })).status, 404);
  });

  test('T15: the server ending the connection: the held poll gets the Close, the next poll 204, then the token is gone', async () => {
    const token = await lp.connected();
    const { answer: pending } = await lp.heldPoll(token);
    assert.equal((await send(lp.server.hubUrl, token, `{"type":1,"target":${RS}`)).status, 200);
    const answer = await within(pending, 5000, 'the held poll');
    assert.equal(answer.status, 200);
    assert.deepEqual(messagesOf(answer.text), [CLOSE_WITH_ERROR]);
    const ended = await poll(lp.server.hubUrl, token);
    assert.equal(ended.status, 204);
    assertNoCache(ended);
    assert.equal((await poll(lp.server.hubUrl, token)).status, 404);
  });

  test('T15: malformed JSON with no poll held: the next poll gets the Close, the one after 204; another connection is unaffected', async () => {
    const other = await lp.connected();
    const token = await lp.connected();
    assert.equal((await send(lp.server.hubUrl, token, '{"type":1,"target":"add","arguments":[1,2],"invocationId":"1"' + RS)).status, 200);
    // Ended, but the token stays valid for the client to collect the Close: a POST is refused meanwhile.
    assert.equal((await send(lp.server.hubUrl, token, framed('{"type":6}'))).status, 404);
    const answer = await poll(lp.server.hubUrl, token);
    assert.equal(answer.status, 200);
    assert.deepEqual(messagesOf(answer.text), [CLOSE_WITH_ERROR]);
    assert.equal((await poll(lp.server.hubUrl, token)).status, 204);
    await send(lp.server.hubUrl, other, framed(invocation('add', [4, 4], 'other')));
    assert.equal((await poll(lp.server.hubUrl, other)).text, `{"type":3,"invocationId":"other","result":8}${RS}`);
  });

  test('a client Close message gets Close {"type":7} on the next poll, then 204; onDisconnected without error', async () => {
    const token = await lp.connected();
    const disconnects = lp.server.state.disconnects.length;
    await send(lp.server.hubUrl, token, framed('{"type":7}'));
    assert.deepEqual(messagesOf((await poll(lp.server.hubUrl, token)).text), ['{"type":7}']);
    assert.equal((await poll(lp.server.hubUrl, token)).status, 204);
    await until(() => lp.server.state.disconnects.length > disconnects, 5000, 'onDisconnected');
    assert.equal(lp.server.state.disconnects.at(-1), undefined);
  });

  test('T11: without id 400 "Connection ID required"; unknown id 404 "No Connection with that ID" (poll, POST, DELETE)', async () => {
    const noId = await httpRequest(`${lp.server.hubUrl}?_=1`);
    assert.equal(noId.status, 400);
    assert.equal(noId.text, 'Connection ID required');
    for (const method of ['GET', 'POST', 'DELETE']) {
      const answer = await httpRequest(`${lp.server.hubUrl}?id=nope&_=1`, { method, ...(method === 'POST' ? { body: HANDSHAKE } : {}) });
      assert.equal(answer.status, 404, method);
      assert.match(String(answer.headers['content-type']), /^text\/plain/, method);
      assert.equal(answer.text, 'No Connection with that ID', method);
    }
  });

  test('T4: a long-polling connection refuses a WebSocket and SSE with 400 "Cannot change transports mid-connection"', async () => {
    const token = await lp.connected();
    const upgrade = await probeUpgrade(`${lp.server.hubUrl}?id=${token}`);
    assert.equal(upgrade.status, 400);
    assert.equal(upgrade.body, 'Cannot change transports mid-connection');
    const sse = await httpRequest(`${lp.server.hubUrl}?id=${token}`, { headers: { Accept: 'text/event-stream' } });
    assert.equal(sse.status, 400);
    assert.equal(sse.text, 'Cannot change transports mid-connection');
    // Still usable.
    await send(lp.server.hubUrl, token, framed(invocation('add', [1, 1], 't4')));
    assert.equal((await poll(lp.server.hubUrl, token)).text, `{"type":3,"invocationId":"t4","result":2}${RS}`);
  });

  test('DELETE on a negotiated connection without a transport is 400 (only long polling may be ended so)', async () => {
    const token = await lp.token();
    const answer = await httpRequest(`${lp.server.hubUrl}?id=${token}`, { method: 'DELETE' });
    assert.equal(answer.status, 400);
    assert.equal(answer.text, 'Cannot terminate this connection using the DELETE endpoint.');
  });
});

describe('long polling and time (FakeClock)', () => {
  test('K4: no Pings and no client timeout on long polling, even long after keepAliveInterval and clientTimeoutInterval', async () => {
    const lp = await startLp();
    try {
      const token = await lp.connected();
      // A client Ping arms the client timeout on other transports.
      await send(lp.server.hubUrl, token, framed(PING_TEXT));
      const { answer: pending } = await lp.heldPoll(token);
      lp.clock.seconds(45);
      await lp.broadcast('after-45s');
      const answer = await within(pending, 5000, 'the held poll');
      assert.deepEqual(messagesOf(answer.text), [marker('after-45s')]);
    } finally {
      await lp.close();
    }
  });

  test('T16: a client that stops polling is disposed after disconnectTimeout: onDisconnected with an error, then 404', async () => {
    const lp = await startLp();
    try {
      const token = await lp.connected();
      const disconnects = lp.server.state.disconnects.length;
      lp.clock.seconds(14);
      assert.equal(lp.server.state.disconnects.length, disconnects, 'disposed too early');
      assert.equal(lp.server.hubwire.connectionCount(), 1);
      lp.clock.seconds(2);
      await until(() => lp.server.state.disconnects.length > disconnects, 5000, 'onDisconnected');
      assert.ok(lp.server.state.disconnects.at(-1) instanceof Error);
      assert.equal(lp.server.hubwire.connectionCount(), 0);
      assert.equal((await poll(lp.server.hubUrl, token)).status, 404);
      assert.equal((await send(lp.server.hubUrl, token, framed(PING_TEXT))).status, 404);
    } finally {
      await lp.close();
    }
  });

  test('T16: a client that keeps a poll open, or polls again in time, is not disposed; custom disconnectTimeout honoured', async () => {
    const lp = await startLp({}, { disconnectTimeout: 5_000 });
    try {
      const token = await lp.connected();
      const { answer: pending } = await lp.heldPoll(token);
      lp.clock.seconds(30);
      await lp.broadcast('held');
      assert.deepEqual(messagesOf((await within(pending, 5000, 'the held poll')).text), [marker('held')]);
      lp.clock.seconds(4);
      await lp.broadcast('in-time');
      assert.deepEqual(messagesOf((await poll(lp.server.hubUrl, token)).text), [marker('in-time')]);
      lp.clock.seconds(6);
      assert.equal((await poll(lp.server.hubUrl, token)).status, 404);
    } finally {
      await lp.close();
    }
  });

  test('a server-ended connection whose client never collects the Close is forgotten after disconnectTimeout', async () => {
    const lp = await startLp();
    try {
      const token = await lp.connected();
      await send(lp.server.hubUrl, token, framed('{"type":7}'));
      lp.clock.seconds(16);
      assert.equal((await poll(lp.server.hubUrl, token)).status, 404);
    } finally {
      await lp.close();
    }
  });

  test('the poll timeout follows longPollingPollTimeout', async () => {
    const clock = new WatchedClock();
    const server = await startConformanceServer({ clock }, { longPollingPollTimeout: 5_000 });
    try {
      const token = String((await negotiate(server.hubUrl, 'negotiateVersion=1')).body!['connectionToken']);
      await poll(server.hubUrl, token);
      const pending = poll(server.hubUrl, token);
      await clock.scheduled(5_000, 1);
      clock.advance(5_000);
      const answer = await within(pending, 5000, 'the timed-out poll');
      assert.equal(answer.status, 200);
      assert.equal(answer.body.length, 0);
    } finally {
      await server.close();
    }
  });
});

describe('long polling limits and options', () => {
  test('bufferedAmount is what waits for a poll: a client that never polls hits maximumOutboundBufferSize', async () => {
    const lp = await startLp({}, { maximumOutboundBufferSize: 2_000 });
    try {
      const token = await lp.connected();
      const disconnects = lp.server.state.disconnects.length;
      for (let i = 0; i < 40; i++) await lp.broadcast(`fill-${i}-${'x'.repeat(40)}`);
      await until(() => lp.server.state.disconnects.length > disconnects, 5000, 'the slow-consumer close');
      assert.ok(lp.server.state.disconnects.at(-1) instanceof Error);
      assert.equal((await poll(lp.server.hubUrl, token)).status, 404);
    } finally {
      await lp.close();
    }
  });

  test('T5: switched off it is 404 with the exact text and not listed in negotiate', async () => {
    const lp = await startLp({}, { transports: ['WebSockets', 'ServerSentEvents'] });
    try {
      const answer = await negotiate(lp.server.hubUrl, 'negotiateVersion=1');
      assert.deepEqual(
        (answer.body!['availableTransports'] as { transport: string }[]).map((entry) => entry.transport),
        ['WebSockets', 'ServerSentEvents'],
      );
      const refused = await poll(lp.server.hubUrl, String(answer.body!['connectionToken']));
      assert.equal(refused.status, 404);
      assert.equal(refused.text, 'LongPolling transport not supported by this end point type');
    } finally {
      await lp.close();
    }
  });

  test('T19: binary payloads stay bytes both ways (a Binary protocol with non-UTF-8 framing)', async () => {
    const lp = await startLp({}, { protocols: [binaryTestProtocol] });
    try {
      const token = await lp.token();
      await poll(lp.server.hubUrl, token);
      const body = Buffer.concat([Buffer.from(framed('{"protocol":"rawbinary","version":1}')), binaryTestProtocol.write(addInvocation) as Buffer]);
      const post = await send(lp.server.hubUrl, token, body, { 'Content-Type': 'application/octet-stream' });
      assert.equal(post.status, 200);
      const received: Buffer[] = [];
      let total = Buffer.alloc(0);
      while (!total.includes(Buffer.from('"invocationId":"bin"'))) {
        const answer = await within(poll(lp.server.hubUrl, token), 5000, 'a poll');
        assert.equal(answer.headers['content-type'], 'application/octet-stream');
        received.push(answer.body);
        total = Buffer.concat(received);
      }
      const handshake = Buffer.from(`{}${RS}`);
      assert.deepEqual(total.subarray(0, handshake.length), handshake);
      // The 0xFF framing byte arrived intact (any UTF-8 round trip would have replaced it).
      const rest = total.subarray(handshake.length);
      assert.deepEqual([...rest.subarray(0, 2)], [0xff, 0x00]);
      const parsed = binaryTestProtocol.parse(rest, null);
      assert.equal(parsed.consumed, rest.length);
      assert.deepEqual(parsed.messages, [{ type: MessageType.Completion, invocationId: 'bin', result: 42, hasResult: true }]);
      await httpRequest(`${lp.server.hubUrl}?id=${token}`, { method: 'DELETE' });
    } finally {
      await lp.close();
    }
  });

  test('authentication runs on every poll, POST and DELETE', async () => {
    const lp = await startLp(
      {},
      {
        authenticate: (request) => {
          if (request.headers['authorization'] !== 'Bearer good') throw new Error('no valid token');
          return { userIdentifier: 'u1', claims: {} };
        },
      },
    );
    const auth = { Authorization: 'Bearer good' };
    try {
      const token = String((await negotiate(lp.server.hubUrl, 'negotiateVersion=1', { headers: auth })).body!['connectionToken']);
      assert.equal((await poll(lp.server.hubUrl, token)).status, 401);
      assert.equal((await poll(lp.server.hubUrl, token, { headers: auth })).status, 200);
      assert.equal((await send(lp.server.hubUrl, token, HANDSHAKE)).status, 401);
      assert.equal((await send(lp.server.hubUrl, token, HANDSHAKE, auth)).status, 200);
      assert.equal((await poll(lp.server.hubUrl, token)).status, 401);
      assert.equal((await poll(lp.server.hubUrl, token, { headers: auth })).text, `{}${RS}`);
      assert.equal((await httpRequest(`${lp.server.hubUrl}?id=${token}`, { method: 'DELETE' })).status, 401);
      assert.equal((await httpRequest(`${lp.server.hubUrl}?id=${token}`, { method: 'DELETE', headers: auth })).status, 202);
    } finally {
      await lp.close();
    }
  });
});

describe('long polling during shutdown', () => {
  test('a client between two polls still collects its Completion and Close; only new connections get 503', async () => {
    const lp = await startLp({ shutdownTimeout: 10_000 });
    try {
      const token = await lp.connected();
      const unattached = await lp.token();
      await send(lp.server.hubUrl, token, framed(invocation('slow', ['s'], '1')));
      await until(() => lp.server.state.log.includes('start:s'), 5000, 'the slow call to start');
      // No poll is pending: the client is between two polls when the shutdown begins.
      const closing = lp.server.hubwire.close();
      closing.catch(() => undefined);
      assert.equal((await negotiate(lp.server.hubUrl)).status, 503, 'no new negotiate');
      assert.equal((await poll(lp.server.hubUrl, unattached)).status, 503, 'no new long-polling transport');
      assert.equal((await probeUpgrade(lp.server.hubUrl)).status, 503, 'no new WebSocket');
      lp.server.state.gate('s').open();
      // The Completion and the Close come in one poll answer or two, depending on timing.
      const received: string[] = [];
      while (!received.includes('{"type":7,"allowReconnect":true}')) {
        const answer = await within(poll(lp.server.hubUrl, token), 5000, 'a poll after the shutdown began');
        assert.equal(answer.status, 200);
        received.push(...messagesOf(answer.text));
      }
      assert.deepEqual(received, ['{"type":3,"invocationId":"1","result":"s"}', '{"type":7,"allowReconnect":true}']);
      // Well under shutdownTimeout: close() did not wait for a Close nobody could collect.
      await within(closing, 5000, 'close()');
    } finally {
      await lp.close();
    }
  });
});

const addInvocation: HubMessage = { type: MessageType.Invocation, invocationId: 'bin', target: 'add', arguments: [40, 2] };

/**
 * A Binary-format protocol for tests: each message is `FF 00`, a 2-byte big-endian length, then
 * its JSON. `FF` is never valid UTF-8, so any text round trip of a payload would show.
 */
const binaryTestProtocol: HubProtocol = {
  name: 'rawbinary',
  version: 2,
  transferFormat: 'Binary',
  parse(input) {
    const messages: HubMessage[] = [];
    let offset = 0;
    while (offset + 4 <= input.length) {
      const length = input.readUInt16BE(offset + 2);
      if (offset + 4 + length > input.length) break;
      messages.push(JSON.parse(input.subarray(offset + 4, offset + 4 + length).toString('utf8')) as HubMessage);
      offset += 4 + length;
    }
    return { messages, consumed: offset };
  },
  write(message) {
    const json = Buffer.from(JSON.stringify(message), 'utf8');
    const header = Buffer.from([0xff, 0x00, 0, 0]);
    header.writeUInt16BE(json.length, 2);
    return Buffer.concat([header, json]);
  },
};
