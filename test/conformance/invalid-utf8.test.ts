/**
 * Conformance: a JSON hub message must be valid UTF-8. ASP.NET's reader fails on invalid UTF-8
 * ("Cannot transcode invalid UTF-8 JSON text to UTF-16 string.", an InvalidOperationException)
 * and the connection closes with `Connection closed with an error.`; it must not be decoded with
 * U+FFFD replacements and dispatched. A text WebSocket frame with invalid UTF-8 never reaches the
 * hub protocol: the WebSocket layer closes with 1007, as ASP.NET's does. A handshake with invalid
 * UTF-8 is refused with the generic handshake text.
 * Reference: signalr-protocol.md §5.1, §12, §13.2.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate } from '../support/http-probe.js';
import { messagesOf, poll, send } from '../support/http-transports.js';
import { JsonStream, framed } from '../support/json-stream.js';
import { RawClient, RS } from '../support/raw-client.js';
import { until, within } from '../support/wait.js';
import { CLOSE_WITH_ERROR, invocation, openJson, startConformanceServer, type ConformanceServer } from './fixtures.js';

const DETAIL = 'InvalidOperationException: Cannot transcode invalid UTF-8 JSON text to UTF-16 string.';

/** Ill-formed UTF-8 of every kind the WHATWG/Unicode rules reject, placed inside a JSON string. */
const INVALID: [string, number[]][] = [
  ['a byte that never occurs (0xFF)', [0xff]],
  ['a lone continuation byte', [0x80]],
  ['an overlong encoding of "/"', [0xc0, 0xaf]],
  ['an encoded UTF-16 surrogate', [0xed, 0xa0, 0x80]],
  ['a sequence cut short', [0xe2, 0x82]],
  ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
];

/** An `echo` invocation whose single string argument holds `bad` between two letters. */
function echoWith(bad: number[], invocationId: string): Buffer {
  const [head, tail] = invocation('echo', ['a\u0000b'], invocationId).split('\\u0000');
  return Buffer.concat([Buffer.from(head!), Buffer.from(bad), Buffer.from(tail! + RS)]);
}

async function expectClose(stream: JsonStream, close: string): Promise<void> {
  assert.equal(await stream.next(), close);
  assert.equal(await stream.closed(), 1000);
}

describe('invalid UTF-8 in a JSON message (detailed errors off)', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer();
  });
  after(() => server.close());

  for (const [name, bytes] of INVALID) {
    test(`binary frame, ${name}: Close with an error, nothing dispatched`, async () => {
      const stream = await openJson(server.hubWs());
      stream.client.send(echoWith(bytes, '1'), true);
      await expectClose(stream, CLOSE_WITH_ERROR);
    });
  }

  test('messages before the invalid one in the same frame are still answered', async () => {
    const stream = await openJson(server.hubWs());
    stream.client.send(Buffer.concat([Buffer.from(framed(invocation('add', [1, 2], '1'))), echoWith([0xff], '2')]), true);
    assert.equal(await stream.next(), '{"type":3,"invocationId":"1","result":3}');
    await expectClose(stream, CLOSE_WITH_ERROR);
  });

  test('valid multi-byte UTF-8 is read as before, in binary and text frames', async () => {
    const stream = await openJson(server.hubWs());
    const text = 'héllo ✓ 日本 😀';
    stream.client.send(Buffer.from(framed(invocation('echo', [text], '1'))), true);
    assert.equal(await stream.next(), JSON.stringify({ type: 3, invocationId: '1', result: text }));
    stream.send(framed(invocation('echo', [text], '2')));
    assert.equal(await stream.next(), JSON.stringify({ type: 3, invocationId: '2', result: text }));
    stream.client.close();
  });

  test('a text frame with invalid UTF-8 is closed by the WebSocket layer (1007), without a Close message', async () => {
    const stream = await openJson(server.hubWs());
    const before = server.hubwire.connectionCount('/hub');
    stream.client.send(echoWith([0xff], '1'), false);
    assert.equal(await stream.closed(), 1007);
    assert.equal(stream.pending, 0, 'no hub message may answer a frame the WebSocket layer refused');
    await until(() => server.hubwire.connectionCount('/hub') === before - 1, 5000, 'the hub connection to end');
  });

  test('other connections are untouched by a connection closed for invalid UTF-8', async () => {
    const bystander = await openJson(server.hubWs());
    const bad = await openJson(server.hubWs());
    bad.client.send(echoWith([0xc0, 0xaf], '1'), true);
    await expectClose(bad, CLOSE_WITH_ERROR);
    bystander.send(framed(invocation('add', [20, 22], '7')));
    assert.equal(await bystander.next(), '{"type":3,"invocationId":"7","result":42}');
    bystander.client.close();
  });

  test('long polling: a POST carrying invalid UTF-8 ends the connection with the Close', async () => {
    const token = String((await negotiate(server.hubUrl, 'negotiateVersion=1')).body!['connectionToken']);
    assert.equal((await poll(server.hubUrl, token)).status, 200);
    assert.equal((await send(server.hubUrl, token, framed('{"protocol":"json","version":1}'))).status, 200);
    assert.equal((await within(poll(server.hubUrl, token), 5000, 'the handshake answer')).text, `{}${RS}`);
    assert.equal((await send(server.hubUrl, token, echoWith([0xed, 0xa0, 0x80], '1'))).status, 200);
    const answer = await within(poll(server.hubUrl, token), 5000, 'the Close');
    assert.deepEqual(messagesOf(answer.text), [CLOSE_WITH_ERROR]);
  });
});

describe('invalid UTF-8 in the handshake', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer();
  });
  after(() => server.close());

  for (const [where, head, tail] of [
    ['an unknown property', '{"protocol":"json","version":1,"x":"', '"}'],
    ['the protocol name', '{"protocol":"json', '","version":1}'],
  ] as const) {
    test(`in ${where}: refused with the generic handshake text, then closed`, async () => {
      const stream = new JsonStream(await RawClient.connect(server.hubWs()));
      stream.client.send(Buffer.concat([Buffer.from(head), Buffer.from([0xff]), Buffer.from(tail + RS)]), true);
      assert.equal(await stream.next(), '{"error":"An unexpected error occurred during connection handshake."}');
      assert.equal(await stream.closed(), 1000);
    });
  }
});

describe('invalid UTF-8 in a JSON message (detailed errors on)', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer({ enableDetailedErrors: true });
  });
  after(() => server.close());

  test('the Close carries the reader text ASP.NET shows', async () => {
    const stream = await openJson(server.hubWs());
    stream.client.send(echoWith([0xff], '1'), true);
    await expectClose(stream, JSON.stringify({ type: 7, error: `Connection closed with an error. ${DETAIL}`, allowReconnect: true }));
  });
});
