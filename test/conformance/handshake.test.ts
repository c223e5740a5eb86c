/**
 * Conformance: the hub handshake, JSON over WebSockets, with a raw client.
 * Reference: signalr-protocol.md §6, §11.4, §15.3 (HS2 and HS6 need MessagePack / SSE: not here).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../support/fake-clock.js';
import { negotiate, probeUpgrade } from '../support/http-probe.js';
import { JsonStream, framed } from '../support/json-stream.js';
import { RawClient, RS } from '../support/raw-client.js';
import { until } from '../support/wait.js';
import { CLOSE_WITH_ERROR, invocation, startConformanceServer, type ConformanceServer } from './fixtures.js';

const GENERIC = 'An unexpected error occurred during connection handshake.';
const CANCELED = '{"error":"Handshake was canceled."}';

async function connect(server: ConformanceServer, query?: string): Promise<JsonStream> {
  return new JsonStream(await RawClient.connect(server.hubWs(query)));
}

/** Expects exactly one handshake error response, then a WebSocket close 1000 and nothing else. */
async function expectRefusal(stream: JsonStream, error: string): Promise<void> {
  assert.equal(await stream.next(), JSON.stringify({ error }));
  assert.equal(await stream.closed(), 1000);
  assert.equal(stream.pending, 0, 'nothing may follow a handshake error');
}

describe('handshake (detailed errors off)', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer();
  });
  after(() => server.close());

  test('HS1: {"protocol":"json","version":1} is answered {} + RS in a text frame of its own', async () => {
    const client = await RawClient.connect(server.hubWs());
    try {
      client.send(`{"protocol":"json","version":1}${RS}`);
      const frame = await client.next();
      assert.equal(frame.binary, false);
      assert.equal(frame.text, `{}${RS}`);
    } finally {
      client.close();
    }
  });

  test('HS3: versions 2 and 0 of json are accepted, the protocol name case-insensitively, unknown properties ignored', async () => {
    for (const request of [
      '{"protocol":"json","version":2}',
      '{"protocol":"json","version":0}',
      '{"protocol":"JSON","version":1}',
      '{"version":1,"protocol":"json","extra":{"a":[1,2]}}',
    ]) {
      const stream = await connect(server);
      try {
        stream.send(framed(request));
        assert.equal(await stream.next(), '{}', request);
        stream.send(framed(invocation('add', [1, 2], '1')));
        assert.equal(await stream.next(), '{"type":3,"invocationId":"1","result":3}', request);
      } finally {
        stream.client.close();
      }
    }
  });

  test("HS4: an unknown protocol is refused with \"The protocol 'xml' is not supported.\" then close 1000", async () => {
    const stream = await connect(server);
    stream.send(framed('{"protocol":"xml","version":1}'));
    await expectRefusal(stream, "The protocol 'xml' is not supported.");
  });

  test('HS4: a protocol the hub does not speak (messagepack) is refused the same way', async () => {
    const stream = await connect(server);
    stream.send(framed('{"protocol":"messagepack","version":1}'));
    await expectRefusal(stream, "The protocol 'messagepack' is not supported.");
  });

  test('HS5: version 3 is refused with the exact text then close 1000', async () => {
    const stream = await connect(server);
    stream.send(framed('{"protocol":"json","version":3}'));
    await expectRefusal(stream, "The server does not support version 3 of the 'json' protocol.");
  });

  for (const [name, request] of [
    ['missing version', '{"protocol":"json"}'],
    ['missing protocol', '{"version":1}'],
    ['invalid JSON', '{"protocol":"json","version":'],
    ['version as a string', '{"protocol":"json","version":"1"}'],
    ['protocol not a string', '{"protocol":1,"version":1}'],
    ['not an object', '[1,2]'],
  ] as const) {
    test(`HS7: ${name} is refused with the generic text then close 1000`, async () => {
      const stream = await connect(server);
      stream.send(framed(request));
      await expectRefusal(stream, GENERIC);
    });
  }

  test('HS10: a hub message before the handshake is refused with the generic text and not processed', async () => {
    const stream = await connect(server);
    stream.send(framed(invocation('record', ['before-handshake'], '1')));
    await expectRefusal(stream, GENERIC);
    assert.deepEqual(server.state.log, []);
  });

  test('HS11: a handshake and an invocation in the same frame are both processed', async () => {
    const stream = await connect(server);
    try {
      stream.send(framed('{"protocol":"json","version":1}', invocation('add', [20, 22], '7')));
      assert.equal(await stream.next(), '{}');
      assert.equal(await stream.next(), '{"type":3,"invocationId":"7","result":42}');
    } finally {
      stream.client.close();
    }
  });

  test('HS12: a handshake split across two frames is accepted', async () => {
    const stream = await connect(server);
    try {
      stream.send('{"protocol":"js');
      stream.send(`on","version":1}${RS}`);
      assert.equal(await stream.next(), '{}');
      stream.send(framed(invocation('add', [1, 1], '1')));
      assert.equal(await stream.next(), '{"type":3,"invocationId":"1","result":2}');
    } finally {
      stream.client.close();
    }
  });

  test('a handshake in a binary frame is accepted (opcode not checked) and answered in a text frame', async () => {
    const client = await RawClient.connect(server.hubWs());
    try {
      client.send(Buffer.from(`{"protocol":"json","version":1}${RS}`), true);
      const frame = await client.next();
      assert.equal(frame.binary, false);
      assert.equal(frame.text, `{}${RS}`);
    } finally {
      client.close();
    }
  });

  test('HS13: a second handshake after success is a hub message without type: Close(err, allowReconnect) then close', async () => {
    const stream = await connect(server);
    stream.send(framed('{"protocol":"json","version":1}'));
    assert.equal(await stream.next(), '{}');
    stream.send(framed('{"protocol":"json","version":1}'));
    assert.equal(await stream.next(), CLOSE_WITH_ERROR);
    assert.equal(await stream.closed(), 1000);
  });

  test('HS9: more than 32 KB without a record separator is refused with "Handshake was canceled."', async () => {
    const stream = await connect(server);
    stream.send(`{"protocol":"json","version":1,"pad":"${'x'.repeat(33_000)}"`);
    assert.equal(await stream.next(), CANCELED);
    assert.equal(await stream.closed(), 1000);
  });

  test('HS9: the limit counts bytes buffered over several frames', async () => {
    const stream = await connect(server);
    stream.send(`{"protocol":"json","version":1,"pad":"`);
    for (let i = 0; i < 4; i++) stream.send('x'.repeat(9_000));
    assert.equal(await stream.next(), CANCELED);
    assert.equal(await stream.closed(), 1000);
  });

  test('a handshake of exactly 32768 framed bytes is accepted', async () => {
    const head = '{"protocol":"json","version":1,"pad":"';
    const tail = `"}${RS}`;
    const request = head + 'x'.repeat(32_768 - head.length - tail.length) + tail;
    assert.equal(Buffer.byteLength(request), 32_768);
    const stream = await connect(server);
    try {
      stream.send(request);
      assert.equal(await stream.next(), '{}');
    } finally {
      stream.client.close();
    }
  });

  test('HS9: a handshake of 32769 framed bytes is canceled even though it ends with its separator in one frame', async () => {
    // ASP.NET parses the handshake within a window of maximumReceiveMessageSize bytes; a
    // separator beyond it means no complete handshake within the limit.
    const head = '{"protocol":"json","version":1,"pad":"';
    const tail = `"}${RS}`;
    const request = head + 'x'.repeat(32_769 - head.length - tail.length) + tail;
    assert.equal(Buffer.byteLength(request), 32_769);
    const stream = await connect(server);
    try {
      stream.send(request);
      assert.equal(await stream.next(), CANCELED);
      assert.equal(await stream.closed(), 1000);
    } finally {
      stream.client.close();
    }
  });

  test('an invocation after a refused handshake is not processed', async () => {
    const stream = await connect(server);
    stream.send(framed('{"protocol":"xml","version":1}', invocation('record', ['after-refusal'], '1')));
    await expectRefusal(stream, "The protocol 'xml' is not supported.");
    assert.deepEqual(server.state.log, []);
  });

  test('a failed handshake ends the connection: its token is then unknown', async () => {
    const token = String((await negotiate(server.hubUrl)).body!['connectionToken']);
    const stream = await connect(server, `id=${token}`);
    stream.send(framed('{"protocol":"json","version":9}'));
    await expectRefusal(stream, "The server does not support version 9 of the 'json' protocol.");
    const again = await probeUpgrade(`${server.hubUrl}?id=${token}`);
    assert.equal(again.status, 404);
  });

  test('a socket closed before any handshake gets nothing and is cleaned up', async () => {
    const client = await RawClient.connect(server.hubWs());
    client.send('{"protocol":');
    client.socket.close(1000);
    assert.equal((await client.closed).code, 1000);
    assert.equal(client.buffered.length, 0);
    await until(() => server.hubwire.connectionCount() === 0, 5000, 'the connection to be forgotten');
  });
});

describe('handshake (detailed errors on)', () => {
  let server: ConformanceServer;
  before(async () => {
    server = await startConformanceServer({ enableDetailedErrors: true });
  });
  after(() => server.close());

  test("HS7: missing protocol appends \"InvalidDataException: Missing required property 'protocol'. Message content: …\"", async () => {
    const stream = await connect(server);
    stream.send(framed('{"version":1}'));
    await expectRefusal(stream, `${GENERIC} InvalidDataException: Missing required property 'protocol'. Message content: {"version":1}`);
  });

  test("HS7: missing version appends \"InvalidDataException: Missing required property 'version'. Message content: …\"", async () => {
    const stream = await connect(server);
    stream.send(framed('{"protocol":"json"}'));
    await expectRefusal(stream, `${GENERIC} InvalidDataException: Missing required property 'version'. Message content: {"protocol":"json"}`);
  });

  test('HS7: invalid JSON appends an InvalidDataException text', async () => {
    const stream = await connect(server);
    stream.send(framed('{"protocol":'));
    const reply = JSON.parse(await stream.next()) as { error: string };
    assert.ok(reply.error.startsWith(`${GENERIC} InvalidDataException: `), reply.error);
    assert.equal(await stream.closed(), 1000);
  });

  test('the non-generic texts are the same with detailed errors', async () => {
    const stream = await connect(server);
    stream.send(framed('{"protocol":"xml","version":1}'));
    await expectRefusal(stream, "The protocol 'xml' is not supported.");
  });
});

describe('handshake timeout (FakeClock)', () => {
  test('HS8: no handshake within 15 s is answered "Handshake was canceled." then close 1000', async () => {
    const clock = new FakeClock();
    const server = await startConformanceServer({ clock });
    try {
      const stream = await connect(server);
      for (let i = 0; i < 15; i++) clock.advance(1000);
      assert.equal(await stream.next(), CANCELED);
      assert.equal(await stream.closed(), 1000);
    } finally {
      await server.close();
    }
  });

  test('HS8: a partial handshake does not stop the timeout', async () => {
    const clock = new FakeClock();
    const server = await startConformanceServer({ clock });
    try {
      const stream = await connect(server);
      stream.send('{"protocol":"json",');
      for (let i = 0; i < 15; i++) clock.advance(1000);
      assert.equal(await stream.next(), CANCELED);
      assert.equal(await stream.closed(), 1000);
    } finally {
      await server.close();
    }
  });

  test('HS8: a handshake completed at 14 s is accepted', async () => {
    const clock = new FakeClock();
    const server = await startConformanceServer({ clock });
    try {
      const stream = await connect(server);
      try {
        for (let i = 0; i < 14; i++) clock.advance(1000);
        stream.send(framed('{"protocol":"json","version":1}'));
        assert.equal(await stream.next(), '{}');
        // The timeout no longer applies once the handshake succeeded.
        for (let i = 0; i < 5; i++) clock.advance(1000);
        stream.send(framed(invocation('add', [1, 2], '1')));
        assert.equal(await stream.nextNonPing(), '{"type":3,"invocationId":"1","result":3}');
      } finally {
        stream.client.close();
      }
    } finally {
      await server.close();
    }
  });

  test('HS8: a custom handshakeTimeout is honoured', async () => {
    const clock = new FakeClock();
    const server = await startConformanceServer({ clock }, { handshakeTimeout: 3_000 });
    try {
      const stream = await connect(server);
      for (let i = 0; i < 3; i++) clock.advance(1000);
      assert.equal(await stream.next(), CANCELED);
      assert.equal(await stream.closed(), 1000);
    } finally {
      await server.close();
    }
  });
});
