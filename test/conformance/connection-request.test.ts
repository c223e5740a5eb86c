/**
 * Conformance: a hub's `context.request` is the request that established the transport (the
 * WebSocket upgrade, the event-stream GET, the first long poll), never the negotiate POST, with
 * its headers, query and parsed cookies. Negotiate and transport requests are made to differ on
 * purpose. Reference: signalr-protocol.md §3 ("The connection's request").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from 'hubwire';
import { negotiate } from '../support/http-probe.js';
import { EventStream, httpRequest, messagesOf, poll, send } from '../support/http-transports.js';
import { JsonStream, framed } from '../support/json-stream.js';
import { RawClient, RS } from '../support/raw-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

class RequestHub extends Hub {
  seen(): unknown {
    const { headers, query, cookies } = this.context.request;
    return { header: headers['x-step'] ?? null, query: query.get('step'), cookie: cookies['step'] ?? null };
  }
}

const HANDSHAKE = framed('{"protocol":"json","version":1}');
const SEEN = framed({ type: 1, invocationId: '1', target: 'seen', arguments: [] });
const headersOf = (step: string): Record<string, string> => ({ 'X-Step': step, Cookie: `other=x; step=${encodeURIComponent(step)}` });
const seenAs = (step: string): string => JSON.stringify({ type: 3, invocationId: '1', result: { header: step, query: step, cookie: step } });

describe("a hub's context.request", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer((hw) => hw.mapHub('/req', RequestHub), { allowStatefulReconnects: true });
  });
  after(() => server.close());

  async function negotiated(extra = ''): Promise<string> {
    const answer = await negotiate(server.url('/req'), `negotiateVersion=1&step=negotiate${extra}`, { headers: headersOf('negotiate') });
    return String(answer.body!['connectionToken']);
  }

  test('WebSockets: the upgrade request, not negotiate', async () => {
    const token = await negotiated();
    const stream = new JsonStream(await RawClient.connect(server.wsUrl(`/req?step=upgrade%20one&id=${token}`), headersOf('upgrade one')));
    try {
      stream.send(HANDSHAKE + SEEN);
      assert.equal(await stream.next(), '{}');
      assert.equal(await stream.next(), seenAs('upgrade one'));
    } finally {
      stream.client.close();
    }
  });

  test('Server-Sent Events: the event-stream GET, not negotiate nor the POSTs', async () => {
    const token = await negotiated();
    const url = server.url('/req');
    const stream = await EventStream.open(`${url}?step=stream&id=${token}`, headersOf('stream'));
    try {
      assert.equal((await send(url, token, HANDSHAKE + SEEN, headersOf('post'))).status, 200);
      assert.deepEqual(await stream.nextMessages(), ['{}']);
      assert.deepEqual(await stream.nextMessages(), [seenAs('stream')]);
    } finally {
      stream.close();
    }
  });

  test('long polling: the first poll; later polls and POSTs do not replace it', async () => {
    const token = await negotiated();
    const url = server.url('/req');
    const first = await httpRequest(`${url}?step=first&id=${token}&_=1`, { headers: headersOf('first') });
    assert.equal(first.status, 200);
    await send(url, token, HANDSHAKE, headersOf('post'));
    assert.equal((await httpRequest(`${url}?step=second&id=${token}&_=2`, { headers: headersOf('second') })).text, `{}${RS}`);
    await send(url, token, SEEN, headersOf('post'));
    const answer = await within(poll(url, token, { headers: headersOf('third') }), 5000, 'the Completion');
    assert.deepEqual(messagesOf(answer.text), [seenAs('first')]);
  });

  test('without a Cookie header cookies is empty; headers and query are still there', async () => {
    const stream = new JsonStream(await RawClient.connect(server.wsUrl('/req?step=bare'), { 'X-Step': 'bare' }));
    try {
      stream.send(HANDSHAKE + SEEN);
      assert.equal(await stream.next(), '{}');
      assert.equal(await stream.next(), JSON.stringify({ type: 3, invocationId: '1', result: { header: 'bare', query: 'bare', cookie: null } }));
    } finally {
      stream.client.close();
    }
  });

  test('stateful reconnect: the resumed WebSocket request replaces the lost one (ASP.NET sets it per WebSocket request)', async () => {
    const token = await negotiated('&useStatefulReconnect=true');
    const stream = new JsonStream(await RawClient.connect(server.wsUrl(`/req?step=before&id=${token}`), headersOf('before')));
    stream.send(framed('{"protocol":"json","version":2}') + SEEN);
    assert.equal(await stream.next(), '{}');
    assert.equal(await stream.next(), seenAs('before'));
    stream.client.close(); // TCP gone, no close frame: the connection waits for the client
    await stream.closed();
    const resumed = new JsonStream(await RawClient.connect(server.wsUrl(`/req?step=after&id=${token}`), headersOf('after')));
    try {
      assert.equal(await resumed.next(), '{"type":9,"sequenceId":1}');
      assert.equal(await resumed.next(), seenAs('before'), 'the replayed Completion');
      // The client replays its invocation (dropped as a duplicate), then asks again.
      resumed.send(framed({ type: 9, sequenceId: 1 }) + SEEN + framed({ type: 1, invocationId: '2', target: 'seen', arguments: [] }));
      assert.equal(await resumed.next(), JSON.stringify({ type: 3, invocationId: '2', result: { header: 'after', query: 'after', cookie: 'after' } }));
    } finally {
      resumed.client.close();
    }
  });
});
