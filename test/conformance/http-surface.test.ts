/**
 * Conformance: the HTTP surface of one hub (negotiate, transport requests, verbs, CORS) over raw
 * HTTP and raw WebSocket upgrades. Reference: signalr-protocol.md §1, §2, §4.2, §15.1, §15.2.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../support/fake-clock.js';
import { httpCall, negotiate, probeUpgrade } from '../support/http-probe.js';
import { JsonStream, framed } from '../support/json-stream.js';
import { RawClient, RS } from '../support/raw-client.js';
import { connect } from '../support/signalr-client.js';
import { until } from '../support/wait.js';
import { invocation, openJson, startConformanceServer, type ConformanceServer } from './fixtures.js';

const URL_SAFE_ID = /^[A-Za-z0-9_-]{22}$/;
const WEBSOCKETS_ONLY = [{ transport: 'WebSockets', transferFormats: ['Text', 'Binary'] }];
const ALL_TRANSPORTS = [
  { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
  { transport: 'ServerSentEvents', transferFormats: ['Text'] },
  { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
];

/** Opens a WebSocket on `url`, handshakes and checks one invocation round trip. */
async function assertUsable(url: string): Promise<void> {
  const stream = await openJson(url);
  try {
    stream.send(framed(invocation('add', [2, 3], '1')));
    assert.equal(await stream.next(), '{"type":3,"invocationId":"1","result":5}');
  } finally {
    stream.client.close();
  }
}

describe('negotiate', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer();
  });
  after(() => server.close());

  test('N1: version 1 answers 200 JSON with distinct URL-safe id and token, the transports, and no useStatefulReconnect', async () => {
    const answer = await negotiate(server.hubUrl, 'negotiateVersion=1');
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    const body = answer.body!;
    assert.deepEqual(Object.keys(body), ['negotiateVersion', 'connectionId', 'connectionToken', 'availableTransports']);
    assert.equal(body['negotiateVersion'], 1);
    assert.match(String(body['connectionId']), URL_SAFE_ID);
    assert.match(String(body['connectionToken']), URL_SAFE_ID);
    assert.notEqual(body['connectionId'], body['connectionToken']);
    assert.deepEqual(body['availableTransports'], ALL_TRANSPORTS);
    assert.equal('useStatefulReconnect' in body, false);

    const second = (await negotiate(server.hubUrl, 'negotiateVersion=1')).body!;
    assert.notEqual(second['connectionId'], body['connectionId']);
    assert.notEqual(second['connectionToken'], body['connectionToken']);
  });

  test('N1: the token (not the connection id) addresses the connection', async () => {
    const body = (await negotiate(server.hubUrl, 'negotiateVersion=1')).body!;
    const byId = await probeUpgrade(`${server.hubUrl}?id=${String(body['connectionId'])}`);
    assert.equal(byId.status, 404);
    assert.equal(byId.body, 'No Connection with that ID');
    await assertUsable(server.hubWs(`id=${String(body['connectionToken'])}`));
  });

  test('N2: without negotiateVersion the answer is version 0 without a token, and id=<connectionId> works', async () => {
    const answer = await negotiate(server.hubUrl, '');
    assert.equal(answer.status, 200);
    const body = answer.body!;
    assert.equal(body['negotiateVersion'], 0);
    assert.equal('connectionToken' in body, false);
    assert.match(String(body['connectionId']), URL_SAFE_ID);
    assert.deepEqual(body['availableTransports'], ALL_TRANSPORTS);
    await assertUsable(server.hubWs(`id=${String(body['connectionId'])}`));
  });

  test('N3: a non-integer version is answered 200 with the exact error body', async () => {
    const answer = await negotiate(server.hubUrl, 'negotiateVersion=abc');
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(answer.text, '{"error":"The client requested a non-integer protocol version."}');
  });

  test('N4: a version above 1 is answered with 1', async () => {
    const body = (await negotiate(server.hubUrl, 'negotiateVersion=7')).body!;
    assert.equal(body['negotiateVersion'], 1);
    assert.match(String(body['connectionToken']), URL_SAFE_ID);
  });

  test('N8: query keys match case-insensitively and user parameters are accepted', async () => {
    for (const query of ['NegotiateVersion=1', 'negotiateversion=1', 'foo=bar&negotiateVersion=1']) {
      const answer = await negotiate(server.hubUrl, query);
      assert.equal(answer.status, 200, query);
      assert.equal(answer.body!['negotiateVersion'], 1, query);
      assert.match(String(answer.body!['connectionToken']), URL_SAFE_ID, query);
    }
    const token = String((await negotiate(server.hubUrl, 'foo=bar&negotiateVersion=1')).body!['connectionToken']);
    await assertUsable(server.hubWs(`foo=bar&id=${token}`));
    const upperId = String((await negotiate(server.hubUrl, 'negotiateVersion=1')).body!['connectionToken']);
    await assertUsable(server.hubWs(`ID=${upperId}`));
  });

  test('N6: GET, PUT and DELETE on /negotiate are 405 text/plain', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const answer = await httpCall(`${server.hubUrl}/negotiate?negotiateVersion=1`, { method });
      assert.equal(answer.status, 405, method);
      assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/, method);
    }
  });
});

describe('negotiate with minimumNegotiateVersion: 1', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer({}, { minimumNegotiateVersion: 1 });
  });
  after(() => server.close());

  test('N5: no version sent is refused with the exact error body', async () => {
    const answer = await negotiate(server.hubUrl, '');
    assert.equal(answer.status, 200);
    assert.equal(answer.text, `{"error":"The client requested version '0', but the server does not support this version."}`);
  });

  test('N5: version 0 sent explicitly is refused the same way; version 1 is accepted', async () => {
    const refused = await negotiate(server.hubUrl, 'negotiateVersion=0');
    assert.equal(refused.status, 200);
    assert.equal(refused.text, `{"error":"The client requested version '0', but the server does not support this version."}`);
    const accepted = await negotiate(server.hubUrl, 'negotiateVersion=1');
    assert.equal(accepted.body!['negotiateVersion'], 1);
  });
});

describe('transport requests', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer();
  });
  after(() => server.close());

  async function token(): Promise<string> {
    return String((await negotiate(server.hubUrl, 'negotiateVersion=1')).body!['connectionToken']);
  }

  test('T1: a WebSocket upgrade with an unknown id is answered 404 before any 101', async () => {
    const answer = await probeUpgrade(`${server.hubUrl}?id=unknown-token-000000000`);
    assert.equal(answer.status, 404);
    assert.equal(answer.body, 'No Connection with that ID');
  });

  test('T2: a second WebSocket on a connection whose WebSocket is open is answered 409', async () => {
    const id = await token();
    const first = await RawClient.handshaken(server.hubWs(`id=${id}`));
    try {
      const second = await probeUpgrade(`${server.hubUrl}?id=${id}`);
      assert.equal(second.status, 409);
      assert.equal(second.body, '');
      // The first socket is not disturbed.
      const stream = new JsonStream(first);
      stream.send(framed(invocation('add', [1, 1], '1')));
      assert.equal(await stream.next(), '{"type":3,"invocationId":"1","result":2}');
    } finally {
      first.close();
    }
  });

  test('a token is forgotten once its connection ended: 404 afterwards', async () => {
    const id = await token();
    const client = await RawClient.handshaken(server.hubWs(`id=${id}`));
    client.close();
    await until(() => server.hubwire.connectionCount() === 0, 5000, 'the connection to end');
    const again = await probeUpgrade(`${server.hubUrl}?id=${id}`);
    assert.equal(again.status, 404);
    assert.equal(again.body, 'No Connection with that ID');
  });

  test('T3: a WebSocket without id (skipNegotiation) gets a fresh connection that works', async () => {
    const answer = await probeUpgrade(server.hubUrl);
    assert.equal(answer.status, 101);
    await assertUsable(server.hubWs());
  });

  test('T12: POST on a WebSocket connection is 405 with the exact text', async () => {
    const id = await token();
    const client = await RawClient.handshaken(server.hubWs(`id=${id}`));
    try {
      const answer = await httpCall(`${server.hubUrl}?id=${id}`, { method: 'POST', body: `{"type":6}${RS}` });
      assert.equal(answer.status, 405);
      assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(answer.text, 'POST requests are not allowed for WebSocket connections.');
    } finally {
      client.close();
    }
  });

  test('T17: DELETE on a WebSocket connection is 400 with the exact text', async () => {
    const id = await token();
    const client = await RawClient.handshaken(server.hubWs(`id=${id}`));
    try {
      const answer = await httpCall(`${server.hubUrl}?id=${id}`, { method: 'DELETE' });
      assert.equal(answer.status, 400);
      assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(answer.text, 'Cannot terminate this connection using the DELETE endpoint.');
    } finally {
      client.close();
    }
  });

  test('T4: a plain GET (long poll) on a WebSocket connection is 400 "Cannot change transports mid-connection"', async () => {
    const id = await token();
    const client = await RawClient.handshaken(server.hubWs(`id=${id}`));
    try {
      const answer = await httpCall(`${server.hubUrl}?id=${id}&_=1`);
      assert.equal(answer.status, 400);
      assert.equal(answer.text, 'Cannot change transports mid-connection');
    } finally {
      client.close();
    }
  });

  test('T11: GET, POST and DELETE without id are 400 "Connection ID required"', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const answer = await httpCall(server.hubUrl, { method, ...(method === 'POST' ? { body: `{"type":6}${RS}` } : {}) });
      assert.equal(answer.status, 400, method);
      assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/, method);
      assert.equal(answer.text, 'Connection ID required', method);
    }
    const sse = await httpCall(server.hubUrl, { headers: { Accept: 'text/event-stream' } });
    assert.equal(sse.status, 400);
    assert.equal(sse.text, 'Connection ID required');
  });

  test('T11: GET, POST and DELETE with an unknown id are 404 "No Connection with that ID"', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const answer = await httpCall(`${server.hubUrl}?id=nope`, { method, ...(method === 'POST' ? { body: `{"type":6}${RS}` } : {}) });
      assert.equal(answer.status, 404, method);
      assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/, method);
      assert.equal(answer.text, 'No Connection with that ID', method);
    }
  });

  test('T5: transports the hub does not offer are 404 "<Name> transport not supported by this end point type"', async () => {
    const wsOnly = await startConformanceServer({}, { transports: ['WebSockets'] });
    try {
      const id = String((await negotiate(wsOnly.hubUrl, 'negotiateVersion=1')).body!['connectionToken']);
      const sse = await httpCall(`${wsOnly.hubUrl}?id=${id}`, { headers: { Accept: 'text/event-stream' } });
      assert.equal(sse.status, 404);
      assert.equal(sse.text, 'ServerSentEvents transport not supported by this end point type');
      const poll = await httpCall(`${wsOnly.hubUrl}?id=${id}&_=1`);
      assert.equal(poll.status, 404);
      assert.equal(poll.text, 'LongPolling transport not supported by this end point type');
      // The refused requests did not claim the connection: a WebSocket still can.
      await assertUsable(wsOnly.hubWs(`id=${id}`));
    } finally {
      await wsOnly.close();
    }
  });

  test('T18: other verbs on the hub URL are 405', async () => {
    const id = await token();
    for (const method of ['PUT', 'PATCH']) {
      for (const url of [server.hubUrl, `${server.hubUrl}?id=${id}`]) {
        const answer = await httpCall(url, { method, body: 'x' });
        assert.equal(answer.status, 405, `${method} ${url}`);
        assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
      }
    }
  });
});

describe('transports option', () => {
  test("transports: ['WebSockets'] lists exactly WebSockets and serves it", async () => {
    const server = await startConformanceServer({}, { transports: ['WebSockets'] });
    try {
      assert.deepEqual((await negotiate(server.hubUrl)).body!['availableTransports'], WEBSOCKETS_ONLY);
      await assertUsable(server.hubWs());
    } finally {
      await server.close();
    }
  });

  test('T5: with WebSockets switched off (transports: []) it is not listed and an upgrade is 404 before 101', async () => {
    const server = await startConformanceServer({}, { transports: [] });
    try {
      const answer = await negotiate(server.hubUrl);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body!['availableTransports'], []);
      const id = String(answer.body!['connectionToken']);
      for (const url of [`${server.hubUrl}?id=${id}`, server.hubUrl]) {
        const refused = await probeUpgrade(url);
        assert.equal(refused.status, 404, url);
        assert.equal(refused.body, 'WebSockets transport not supported by this end point type', url);
      }
    } finally {
      await server.close();
    }
  });
});

describe('authentication', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer(
      {},
      {
        authenticate: (request) => {
          const header = request.headers['authorization'];
          if (header === 'Bearer guest') return { userIdentifier: 'guest', roles: ['visitor'], claims: {} };
          if (header !== 'Bearer good') throw new Error('no valid token');
          return { userIdentifier: 'u1', roles: ['member'], claims: {} };
        },
        authorize: { roles: ['member'] },
      },
      (hw) => hw.mapConnection('/raw', () => undefined, { authorize: true, authenticate: () => undefined }),
    );
  });
  after(() => server.close());

  /** ASP.NET's authentication middleware answers a refusal with the status alone. */
  function assertEmptyRefusal(answer: { status: number; headers: Headers | Record<string, unknown>; text?: string; body?: unknown }, status: number, what: string): void {
    assert.equal(answer.status, status, what);
    const get = (name: string) => (answer.headers instanceof Headers ? answer.headers.get(name) : (answer.headers[name] as string | undefined)) ?? null;
    assert.equal(get('content-type'), null, `${what}: no Content-Type`);
    assert.equal(get('content-length'), '0', `${what}: no body`);
    assert.equal(answer.text ?? answer.body, '', `${what}: no body`);
  }

  test('401 and 403 have an empty body and no Content-Type on negotiate, every transport request and the upgrade', async () => {
    assertEmptyRefusal(await negotiate(server.hubUrl), 401, 'negotiate without a token');
    assertEmptyRefusal(await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: { Authorization: 'Bearer bad' } }), 401, 'negotiate with a bad token');
    assertEmptyRefusal(await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: { Authorization: 'Bearer guest' } }), 403, 'negotiate without the role');
    const token = async (): Promise<string> =>
      String((await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: { Authorization: 'Bearer good' } })).body!['connectionToken']);
    const id = await token();
    const polling = await token();
    // A long-polling connection, so that its later polls, sends and DELETE reach authentication.
    assert.equal((await httpCall(`${server.hubUrl}?id=${polling}&_=0`, { headers: { Authorization: 'Bearer good' } })).status, 200);
    for (const [what, connection, init] of [
      ['first poll', id, { method: 'GET' }],
      ['event stream', id, { method: 'GET', headers: { Accept: 'text/event-stream' } }],
      ['later poll', polling, { method: 'GET' }],
      ['send', polling, { method: 'POST', body: `{"type":6}${RS}` }],
      ['DELETE', polling, { method: 'DELETE' }],
    ] as const) {
      assertEmptyRefusal(await httpCall(`${server.hubUrl}?id=${connection}&_=1`, init), 401, what);
      const guest = { ...init, headers: { ...('headers' in init ? init.headers : {}), Authorization: 'Bearer guest' } };
      assertEmptyRefusal(await httpCall(`${server.hubUrl}?id=${connection}&_=1`, guest), 403, `${what} without the role`);
    }
    const upgrade = await probeUpgrade(`${server.hubUrl}?id=${id}`);
    assertEmptyRefusal({ status: upgrade.status, headers: upgrade.headers, body: upgrade.body }, 401, 'upgrade');
    const forbidden = await probeUpgrade(`${server.hubUrl}?id=${id}`, { Authorization: 'Bearer guest' });
    assertEmptyRefusal({ status: forbidden.status, headers: forbidden.headers, body: forbidden.body }, 403, 'upgrade without the role');
    // Raw connection endpoints answer the same way.
    assertEmptyRefusal(await negotiate(server.url('/raw')), 401, 'raw negotiate');
  });

  test('the official client reports the refusal from the status text, as against ASP.NET', async () => {
    await assert.rejects(connect(server.hubUrl), { message: "Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'" });
    await assert.rejects(connect(server.hubUrl, { accessTokenFactory: () => 'guest' }), {
      message: "Failed to complete negotiation with the server: Error: Forbidden: Status code '403'",
    });
  });

  test('N9: a hub that requires auth answers negotiate 401 without a token and 200 with a bearer header', async () => {
    const refused = await negotiate(server.hubUrl);
    assert.equal(refused.status, 401);
    const accepted = await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: { Authorization: 'Bearer good' } });
    assert.equal(accepted.status, 200);
    const id = String(accepted.body!['connectionToken']);
    const noToken = await probeUpgrade(`${server.hubUrl}?id=${id}`);
    assert.equal(noToken.status, 401);
    const client = new JsonStream(await RawClient.connect(server.hubWs(`id=${id}`), { Authorization: 'Bearer good' }));
    try {
      client.send(framed('{"protocol":"json","version":1}', invocation('add', [1, 2], '1')));
      assert.equal(await client.next(), '{}');
      assert.equal(await client.next(), '{"type":3,"invocationId":"1","result":3}');
    } finally {
      client.client.close();
    }
  });
});

describe('CORS with a list of origins', () => {
  const allowed = 'http://app.allowed.test';
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer({ cors: { origins: [allowed] } });
  });
  after(() => server.close());

  const preflightHeaders = (origin: string): Record<string, string> => ({
    Origin: origin,
    'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': 'x-requested-with,x-signalr-user-agent,authorization',
  });

  function assertPreflightAllows(answer: { status: number; headers: Headers }, origin: string): void {
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.get('access-control-allow-origin'), origin);
    assert.equal(answer.headers.get('access-control-allow-credentials'), 'true');
    const allowHeaders = (answer.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    for (const header of ['x-requested-with', 'x-signalr-user-agent', 'authorization']) {
      assert.ok(allowHeaders.includes(header), `allow-headers should include ${header}: ${allowHeaders.join(', ')}`);
    }
    const allowMethods = (answer.headers.get('access-control-allow-methods') ?? '').toUpperCase().split(/\s*,\s*/);
    for (const method of ['GET', 'POST']) assert.ok(allowMethods.includes(method), `allow-methods should include ${method}: ${allowMethods.join(', ')}`);
  }

  test('N11: a preflight of negotiate from an allowed origin allows the origin, credentials and the client headers', async () => {
    assertPreflightAllows(await httpCall(`${server.hubUrl}/negotiate?negotiateVersion=1`, { method: 'OPTIONS', headers: preflightHeaders(allowed) }), allowed);
  });

  test('N11: a preflight of the hub URL (transport POST/DELETE) is allowed too', async () => {
    const answer = await httpCall(`${server.hubUrl}?id=x`, { method: 'OPTIONS', headers: { ...preflightHeaders(allowed), 'Access-Control-Request-Method': 'DELETE' } });
    assertPreflightAllows(answer, allowed);
    assert.ok((answer.headers.get('access-control-allow-methods') ?? '').toUpperCase().includes('DELETE'));
  });

  test('negotiate from an allowed origin carries the CORS headers and the normal body', async () => {
    const answer = await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: { Origin: allowed } });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), allowed);
    assert.equal(answer.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(answer.body!['negotiateVersion'], 1);
  });

  test('a request without Origin is not cross-origin: served without CORS headers', async () => {
    const answer = await negotiate(server.hubUrl);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
  });

  test('a disallowed origin gets 403 on negotiate, on a preflight and on a transport request', async () => {
    const evil = 'http://evil.test';
    const negotiated = await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: { Origin: evil } });
    assert.equal(negotiated.status, 403);
    assert.equal(negotiated.headers.get('access-control-allow-origin'), null);
    const preflight = await httpCall(`${server.hubUrl}/negotiate`, { method: 'OPTIONS', headers: preflightHeaders(evil) });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const post = await httpCall(`${server.hubUrl}?id=x`, { method: 'POST', headers: { Origin: evil }, body: 'x' });
    assert.equal(post.status, 403);
  });

  test('a WebSocket upgrade from a disallowed origin is 403 before 101; from an allowed origin it works', async () => {
    const refused = await probeUpgrade(server.hubUrl, { Origin: 'http://evil.test' });
    assert.equal(refused.status, 403);
    const client = new JsonStream(await RawClient.connect(server.hubWs(), { Origin: allowed }));
    try {
      client.send(framed('{"protocol":"json","version":1}'));
      assert.equal(await client.next(), '{}');
    } finally {
      client.client.close();
    }
  });
});

describe('CORS with other origin rules', () => {
  test('a predicate (sync or async) decides the origin', async () => {
    for (const origins of [(origin: string) => origin.endsWith('.good.test'), async (origin: string) => origin.endsWith('.good.test')]) {
      const server = await startConformanceServer({ cors: { origins } });
      try {
        const ok = await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: { Origin: 'http://a.good.test' } });
        assert.equal(ok.status, 200);
        assert.equal(ok.headers.get('access-control-allow-origin'), 'http://a.good.test');
        assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
        const bad = await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: { Origin: 'http://a.bad.test' } });
        assert.equal(bad.status, 403);
        assert.equal((await probeUpgrade(server.hubUrl, { Origin: 'http://a.bad.test' })).status, 403);
        assert.equal((await probeUpgrade(server.hubUrl, { Origin: 'http://a.good.test' })).status, 101);
      } finally {
        await server.close();
      }
    }
  });

  test("origins '*' echoes the origin (never '*', since credentials are allowed)", async () => {
    const server = await startConformanceServer({ cors: { origins: '*' } });
    try {
      const answer = await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: { Origin: 'http://any.test' } });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('access-control-allow-origin'), 'http://any.test');
      assert.equal(answer.headers.get('access-control-allow-credentials'), 'true');
    } finally {
      await server.close();
    }
  });

  test('without cors configured no CORS headers are sent, whatever the Origin', async () => {
    const server = await startConformanceServer();
    try {
      const answer = await negotiate(server.hubUrl, 'negotiateVersion=1', { headers: { Origin: 'http://other.test' } });
      assert.equal(answer.status, 200);
      for (const [name] of answer.headers) assert.ok(!name.startsWith('access-control-'), `unexpected ${name}`);
      const preflight = await httpCall(`${server.hubUrl}/negotiate`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://other.test', 'Access-Control-Request-Method': 'POST' },
      });
      for (const [name] of preflight.headers) assert.ok(!name.startsWith('access-control-'), `unexpected ${name}`);
    } finally {
      await server.close();
    }
  });
});

describe('connection lifetime bookkeeping (FakeClock)', () => {
  test('N10: a negotiated connection never used is forgotten after disconnectTimeout; one used in time lives on', async () => {
    const clock = new FakeClock();
    const server = await startConformanceServer({ clock });
    try {
      const used = String((await negotiate(server.hubUrl)).body!['connectionToken']);
      const unused = String((await negotiate(server.hubUrl)).body!['connectionToken']);
      clock.advance(14_000);
      const client = new JsonStream(await RawClient.handshaken(server.hubWs(`id=${used}`)));
      try {
        clock.advance(1_000);
        const gone = await probeUpgrade(`${server.hubUrl}?id=${unused}`);
        assert.equal(gone.status, 404);
        assert.equal(gone.body, 'No Connection with that ID');
        // The attached connection is not swept.
        client.send(framed(invocation('add', [4, 5], '1')));
        assert.equal(await client.nextNonPing(), '{"type":3,"invocationId":"1","result":9}');
      } finally {
        client.client.close();
      }
    } finally {
      await server.close();
    }
  });

  test('N10: the token still works just before disconnectTimeout and the custom value is honoured', async () => {
    const clock = new FakeClock();
    const server = await startConformanceServer({ clock }, { disconnectTimeout: 5_000 });
    try {
      const early = String((await negotiate(server.hubUrl)).body!['connectionToken']);
      const late = String((await negotiate(server.hubUrl)).body!['connectionToken']);
      clock.advance(4_000);
      await assertUsable(server.hubWs(`id=${early}`));
      clock.advance(1_000);
      assert.equal((await probeUpgrade(`${server.hubUrl}?id=${late}`)).status, 404);
    } finally {
      await server.close();
    }
  });
});
