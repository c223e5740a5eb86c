/**
 * Conformance: the answers of the HTTP edge to odd but harmless input, over raw HTTP (issue #14,
 * item 10): negotiate versions outside int32, an empty `id=`, and a request on a connection that
 * proves another user than the connection's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearerToken, type HubServerOptions } from 'hubwire';
import { negotiate, probeUpgrade } from '../support/http-probe.js';
import { EventStream, httpRequest, poll, send } from '../support/http-transports.js';
import { framed } from '../support/json-stream.js';
import { RawClient, RS } from '../support/raw-client.js';
import { until } from '../support/wait.js';
import { invocation, startConformanceServer, type ConformanceServer } from './fixtures.js';

const NON_INTEGER = { error: 'The client requested a non-integer protocol version.' };
const HANDSHAKE = `{"protocol":"json","version":1}${RS}`;

/** Users are their bearer token's text (`Bearer jane` is jane); no token is anonymous. */
const TOKEN_IS_USER: HubServerOptions = {
  authenticate: (request) => {
    const token = bearerToken(request);
    return token === undefined ? undefined : { userIdentifier: token, claims: {} };
  },
};

describe('negotiateVersion is read as .NET reads an int32', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer({}, { minimumNegotiateVersion: 0 });
  });
  after(() => server.close());

  test('past int32 either way it is the non-integer answer, not version 1', async () => {
    for (const value of ['2147483648', '-2147483649', '99999999999999999999', '4294967297']) {
      const answer = await negotiate(server.hubUrl, `negotiateVersion=${value}`);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, NON_INTEGER, value);
    }
  });

  test('int32 values, signs and .NET white space are integers; other white space and digits are not', async () => {
    assert.equal((await negotiate(server.hubUrl, 'negotiateVersion=2147483647')).body!['negotiateVersion'], 1);
    assert.equal((await negotiate(server.hubUrl, 'negotiateVersion=%2B1')).body!['negotiateVersion'], 1);
    assert.equal((await negotiate(server.hubUrl, 'negotiateVersion=%09%201%20')).body!['negotiateVersion'], 1);
    assert.equal((await negotiate(server.hubUrl, 'negotiateVersion=-0')).body!['negotiateVersion'], 0);
    for (const value of ['%C2%A01', '1.0', '0x1', '', '%EF%BC%91']) {
      assert.deepEqual((await negotiate(server.hubUrl, `negotiateVersion=${value}`)).body, NON_INTEGER, value);
    }
  });

  test('int32 below the minimum names the version', async () => {
    const strict = await startConformanceServer({}, { minimumNegotiateVersion: 1 });
    try {
      assert.deepEqual((await negotiate(strict.hubUrl, 'negotiateVersion=-2147483648')).body, {
        error: "The client requested version '-2147483648', but the server does not support this version.",
      });
      assert.deepEqual((await negotiate(strict.hubUrl, 'negotiateVersion=-2147483649')).body, NON_INTEGER);
    } finally {
      await strict.close();
    }
  });
});

describe('an empty id= is no id', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer();
  });
  after(() => server.close());

  test('event stream, poll, POST and DELETE answer 400 Connection ID required', async () => {
    const url = `${server.hubUrl}?id=`;
    const answers = [
      await httpRequest(url, { headers: { Accept: 'text/event-stream' } }),
      await httpRequest(`${url}&_=1`),
      await httpRequest(url, { method: 'POST', body: HANDSHAKE }),
      await httpRequest(url, { method: 'DELETE' }),
      await httpRequest(`${server.hubUrl}?ID=`),
    ];
    for (const answer of answers) {
      assert.equal(answer.status, 400);
      assert.equal(answer.text, 'Connection ID required');
    }
  });

  test('a WebSocket with an empty id skips negotiation, as without one (ASP.NET: IsNullOrEmpty)', async () => {
    const client = await RawClient.handshaken(server.hubWs('id='));
    try {
      client.send(framed(invocation('add', [1, 2], '1')));
      assert.deepEqual(await client.nextMessages(), [{ type: 3, invocationId: '1', result: 3 }]);
    } finally {
      client.close();
    }
  });
});

describe('a request proving another user than its connection is refused', () => {
  let server: ConformanceServer;
  const jane = { Authorization: 'Bearer jane' };
  const mallory = { Authorization: 'Bearer mallory' };
  before(async () => {
    server = await startConformanceServer(TOKEN_IS_USER);
  });
  after(() => server.close());

  async function longPolling(headers: Record<string, string>): Promise<string> {
    const token = String((await negotiate(server.hubUrl, 'negotiateVersion=1', { headers })).body!['connectionToken']);
    assert.equal((await poll(server.hubUrl, token, { headers })).status, 200);
    assert.equal((await send(server.hubUrl, token, HANDSHAKE, headers)).status, 200);
    assert.equal((await poll(server.hubUrl, token, { headers })).text, `{}${RS}`);
    return token;
  }

  test('long polling: a POST with another valid token gets 403 and its messages do not run; polls and DELETE likewise', async () => {
    const token = await longPolling(jane);
    const refused = await send(server.hubUrl, token, framed(invocation('record', ['by-mallory'])), mallory);
    assert.equal(refused.status, 403);
    assert.equal(refused.text, "The request's user is not the connection's user.");
    // Anonymous is another user too.
    assert.equal((await send(server.hubUrl, token, framed(invocation('record', ['by-nobody'])))).status, 403);
    assert.equal((await poll(server.hubUrl, token, { headers: mallory })).status, 403);
    assert.equal((await httpRequest(`${server.hubUrl}?id=${token}`, { method: 'DELETE', headers: mallory })).status, 403);
    // The connection is untouched: its own user still sends, and only that message ran.
    assert.equal((await send(server.hubUrl, token, framed(invocation('record', ['by-jane'])), jane)).status, 200);
    await until(() => server.state.log.includes('by-jane'), 5000, 'the message of the right user');
    assert.deepEqual(
      server.state.log.filter((entry) => entry.startsWith('by-')),
      ['by-jane'],
    );
    assert.equal((await httpRequest(`${server.hubUrl}?id=${token}`, { method: 'DELETE', headers: jane })).status, 202);
  });

  test('Server-Sent Events: a POST of another user is refused; the stream goes on', async () => {
    const token = String((await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: jane })).body!['connectionToken']);
    const stream = await EventStream.open(`${server.hubUrl}?id=${token}`, jane);
    try {
      assert.equal((await send(server.hubUrl, token, HANDSHAKE, jane)).status, 200);
      assert.equal((await send(server.hubUrl, token, framed(invocation('add', [1, 1], 'm')), mallory)).status, 403);
      assert.equal((await send(server.hubUrl, token, framed(invocation('add', [2, 2], 'j')), jane)).status, 200);
      const events = [...(await stream.nextMessages()), ...(await stream.nextMessages())];
      assert.deepEqual(events, ['{}', '{"type":3,"invocationId":"j","result":4}']);
    } finally {
      stream.close();
    }
  });

  test('the same user with a fresh token is served; the first transport request sets the user', async () => {
    const token = await longPolling(jane);
    assert.equal((await send(server.hubUrl, token, framed(invocation('record', ['again'])), { Authorization: 'Bearer  jane ' })).status, 200);
    // Negotiated anonymously, claimed by jane's first poll: jane is the connection's user from then on.
    const anonymous = String((await negotiate(server.hubUrl)).body!['connectionToken']);
    assert.equal((await poll(server.hubUrl, anonymous, { headers: jane })).status, 200);
    assert.equal((await send(server.hubUrl, anonymous, HANDSHAKE)).status, 403);
    assert.equal((await send(server.hubUrl, anonymous, HANDSHAKE, jane)).status, 200);
  });
});

describe('a stateful-reconnect resume proving another user is refused', () => {
  test('403 with the text; the connection can still be resumed by its user', async () => {
    const server = await startConformanceServer(TOKEN_IS_USER, { allowStatefulReconnects: true });
    const jane = { Authorization: 'Bearer jane' };
    try {
      const token = String((await negotiate(server.hubUrl, 'negotiateVersion=1&useStatefulReconnect=true', { headers: jane })).body!['connectionToken']);
      const first = await RawClient.connect(server.hubWs(`id=${token}`), jane);
      first.send(`{"protocol":"json","version":2}${RS}`);
      assert.equal((await first.next()).text, `{}${RS}`);
      // Lose the socket without a close frame: the connection waits for its client.
      first.close();
      await first.closed;
      const other = await probeUpgrade(`${server.hubUrl}?id=${token}`, { Authorization: 'Bearer mallory' });
      assert.equal(other.status, 403);
      assert.equal(other.body, "The request's user is not the connection's user.");
      const resumed = await RawClient.connect(server.hubWs(`id=${token}`), jane);
      try {
        resumed.send(framed(invocation('add', [3, 4], 'r')));
        const messages: Record<string, unknown>[] = [];
        while (!messages.some((message) => message['type'] === 3)) messages.push(...(await resumed.nextMessages()));
        assert.deepEqual(messages.find((message) => message['type'] === 3), { type: 3, invocationId: 'r', result: 7 });
      } finally {
        resumed.close();
      }
    } finally {
      await server.close();
    }
  });
});

