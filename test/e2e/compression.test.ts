/**
 * WebSocket compression (permessage-deflate) with the official client, which offers it through
 * `ws` by itself: what is negotiated, which frames go compressed (RSV1 on the wire), that JSON and
 * MessagePack messages arrive intact and in order, that a broadcast deflates once per protocol,
 * that it is off by default and per hub, and that a client's compressed message cannot inflate
 * past the limits.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { Hub, jsonHubProtocol, messagePackHubProtocol } from 'hubwire';
import WebSocket from 'ws';
import { deflateCount } from '../../packages/hubwire/src/transports/websocket-compression.js';
import { stopAll } from '../support/e2e.js';
import { FrameTap } from '../support/frame-tap.js';
import { RS } from '../support/raw-client.js';
import { clientFor, type signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

interface CompressionClient {
  item(seq: number, text: string): void;
}

/** Compressible text that is not trivial: random hex blocks repeated, so matches reach back `block` bytes. */
function text(size: number, block = 512): string {
  const unit = randomBytes(block / 2).toString('hex');
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

const SMALL = 'x'.repeat(100);
const BIG = text(20_000);
const HUGE = text(70_000); // above the 64 KiB compression bound
const WIDE = text(60_000, 4096); // matches 4 KiB back

class CompressionHub extends Hub<CompressionClient> {
  /** Small, big and huge items, interleaved, in one go. */
  async interleave(count: number): Promise<void> {
    for (let seq = 0; seq < count; seq++) {
      await this.clients.caller.item(seq, seq % 3 === 0 ? BIG : seq % 3 === 1 ? SMALL : HUGE);
    }
  }

  async wide(): Promise<void> {
    await this.clients.caller.item(0, WIDE);
  }

  echo(value: string): string {
    return value;
  }

  echoLength(value: string): number {
    return value.length;
  }
}

class BroadcastHub extends CompressionHub {}

const open = new Set<signalR.HubConnection>();

async function start(url: string, tap: FrameTap, protocol: 'json' | 'messagepack' = 'json'): Promise<signalR.HubConnection> {
  const builder = clientFor(url, tap.options());
  if (protocol === 'messagepack') builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  await within(connection.start(), 5000, `${protocol} client start`);
  open.add(connection);
  return connection;
}

/** Collects `item` calls; resolves once `count` arrived. */
function items(connection: signalR.HubConnection, count: number): Promise<{ seq: number; text: string }[]> {
  const got: { seq: number; text: string }[] = [];
  return within(
    new Promise((resolve) => {
      connection.on('item', (seq: number, value: string) => {
        got.push({ seq, text: value });
        if (got.length === count) resolve(got);
      });
    }),
    10_000,
    `${count} items`,
  );
}

let server: TestServer;

before(async () => {
  server = await startTestServer(
    (hubwire) => {
      hubwire.mapHub('/hub', CompressionHub);
      hubwire.mapHub('/plain', CompressionHub, { webSocketCompression: false });
      // A class of its own, so no other test's clients are in its broadcast.
      hubwire.mapHub('/broadcast', BroadcastHub);
    },
    { webSocketCompression: { threshold: 1024 }, protocols: [jsonHubProtocol, messagePackHubProtocol] },
  );
});

after(async () => {
  await stopAll(open);
  await within(server.close(), 5000, 'server close');
});

describe('negotiation', () => {
  test('an official client gets permessage-deflate with no context takeover either way', async () => {
    const tap = new FrameTap();
    await start(server.url('/hub'), tap);
    assert.match(tap.last.extensions, /^permessage-deflate/);
    assert.match(tap.last.extensions, /server_no_context_takeover/);
    assert.match(tap.last.extensions, /client_no_context_takeover/);
  });

  test('a hub mapped with webSocketCompression: false negotiates none under a server that compresses', async () => {
    const tap = new FrameTap();
    const connection = await start(server.url('/plain'), tap);
    const arrived = items(connection, 1);
    await connection.invoke('interleave', 1);
    assert.equal((await arrived)[0]!.text, BIG);
    assert.equal(tap.last.extensions, '');
    assert.ok(tap.last.dataFrames.every((frame) => !frame.rsv1));
  });

  test('a client that offers no compression connects, negotiates and gets every message as it is', async () => {
    const tap = new FrameTap({ perMessageDeflate: false });
    const connection = await start(server.url('/hub'), tap);
    const arrived = items(connection, 3);
    await connection.invoke('interleave', 3);
    assert.deepEqual((await arrived).map((item) => item.text), [BIG, SMALL, HUGE]);
    assert.equal(tap.last.extensions, '');
    assert.ok(tap.last.dataFrames.every((frame) => !frame.rsv1));
  });

  test('a client asking for a small server window gets frames deflated within it', async () => {
    // ws' inflater uses the negotiated window; a frame deflated with the default 32 KiB window
    // reaches 4 KiB back, past a 2^9 window, and fails to inflate.
    const tap = new FrameTap({ perMessageDeflate: { serverMaxWindowBits: 9 } });
    const connection = await start(server.url('/hub'), tap);
    assert.match(tap.last.extensions, /server_max_window_bits=9/);
    const arrived = items(connection, 1);
    await connection.invoke('wide');
    assert.equal((await arrived)[0]!.text, WIDE);
    assert.equal(tap.last.dataFrames[1]!.rsv1, true);
  });
});

for (const protocol of ['json', 'messagepack'] as const) {
  describe(`${protocol}: what goes compressed`, () => {
    test('small and huge messages uncompressed, big ones compressed, all intact and in order', async () => {
      const tap = new FrameTap();
      const connection = await start(server.url('/hub'), tap, protocol);
      const count = 30;
      const arrived = items(connection, count);
      await connection.invoke('interleave', count);
      const got = await arrived;
      assert.deepEqual(got.map((item) => item.seq), Array.from({ length: count }, (_, i) => i), 'in order');
      got.forEach((item) => assert.equal(item.text, item.seq % 3 === 0 ? BIG : item.seq % 3 === 1 ? SMALL : HUGE));
      // After the handshake: the 30 invocations, then the completion of interleave.
      const frames = tap.last.dataFrames.slice(1, 1 + count);
      assert.equal(frames.length, count);
      frames.forEach((frame, seq) => {
        const kind = seq % 3 === 0 ? 'big' : seq % 3 === 1 ? 'small' : 'huge';
        assert.equal(frame.opcode, protocol === 'json' ? 1 : 2);
        assert.equal(frame.rsv1, kind === 'big', `item ${seq} (${kind}) compressed: ${frame.rsv1}`);
        if (kind === 'big') assert.ok(frame.length < BIG.length / 4, `a big item is ${frame.length} bytes on the wire`);
        if (kind === 'huge') assert.ok(frame.length > HUGE.length);
      });
    });

    test("a completion above the threshold goes compressed, and the client's own compressed messages are read", async () => {
      const tap = new FrameTap();
      const connection = await start(server.url('/hub'), tap, protocol);
      // The client's ws compresses what it sends above 1 KiB: two in a row, each inflated afresh.
      assert.equal(await connection.invoke('echo', BIG), BIG);
      assert.equal(await connection.invoke('echoLength', BIG.slice(1)), BIG.length - 1);
      assert.equal(await connection.invoke('echo', SMALL), SMALL);
      const frames = tap.last.dataFrames.slice(1);
      assert.deepEqual(frames.map((frame) => frame.rsv1), [true, false, false]);
    });
  });
}

describe('broadcast', () => {
  test('a broadcast to 24 clients of two protocols deflates once per protocol', async () => {
    const taps = Array.from({ length: 24 }, () => new FrameTap());
    const connections = await Promise.all(taps.map((tap, i) => start(server.url('/broadcast'), tap, i % 2 === 0 ? 'json' : 'messagepack')));
    const arrivals = connections.map((connection) => items(connection, 2));
    const deflatesBefore = deflateCount();
    await server.hubwire.hubContext(BroadcastHub).clients.all.item(1, BIG);
    await server.hubwire.hubContext(BroadcastHub).clients.all.item(2, SMALL);
    for (const arrived of arrivals) assert.deepEqual((await arrived).map((item) => item.text), [BIG, SMALL]);
    assert.equal(deflateCount() - deflatesBefore, 2, 'one deflate for JSON, one for MessagePack');
    for (const tap of taps) {
      const [big, small] = tap.last.dataFrames.slice(-2);
      assert.equal(big!.rsv1, true);
      assert.equal(small!.rsv1, false);
    }
    // Every recipient of one protocol got the same bytes: the same frame length.
    const lengths = (parity: number) => new Set(taps.filter((_, i) => i % 2 === parity).map((tap) => tap.last.dataFrames.at(-2)!.length));
    assert.equal(lengths(0).size, 1);
    assert.equal(lengths(1).size, 1);
  });
});

describe('off by default', () => {
  test('a server without the option negotiates no extension', async () => {
    const plain = await startTestServer((hubwire) => hubwire.mapHub('/hub', CompressionHub));
    try {
      const tap = new FrameTap();
      const connection = await start(plain.url('/hub'), tap);
      const arrived = items(connection, 1);
      await connection.invoke('interleave', 1);
      assert.equal((await arrived)[0]!.text, BIG);
      assert.equal(tap.last.extensions, '');
      assert.ok(tap.last.dataFrames.every((frame) => !frame.rsv1));
      await connection.stop();
    } finally {
      await within(plain.close(), 5000, 'server close');
    }
  });
});

/** A raw ws client that offers permessage-deflate (ws compresses what it sends from 1 KiB) and did the JSON handshake. */
async function rawJsonClient(url: string): Promise<{ socket: WebSocket; messages: string[]; closed: Promise<number> }> {
  const socket = new WebSocket(url);
  const messages: string[] = [];
  const closed = new Promise<number>((resolve) => socket.once('close', (code: number) => resolve(code)));
  socket.on('message', (data: Buffer) => messages.push(...data.toString('utf8').split(RS).filter((part) => part.length > 0)));
  socket.on('error', () => undefined);
  await within(once(socket, 'open'), 5000, 'raw client open');
  assert.match(socket.extensions, /permessage-deflate/);
  socket.send(`{"protocol":"json","version":1}${RS}`);
  await until(() => messages.includes('{}'), 5000, 'the handshake answer');
  return { socket, messages, closed };
}

describe('hostile compressed input', () => {
  test('a message that inflates past maximumWebSocketFrameSize (a zip bomb) is refused with 1009', async () => {
    const client = await rawJsonClient(server.wsUrl('/hub'));
    let onWire = 0;
    // 4 MiB of one letter deflates to a few KiB; ws stops inflating at the 1 MiB maxPayload.
    client.socket.send(`{"type":1,"target":"echo","arguments":["${'a'.repeat(4 * 1024 * 1024)}"]}${RS}`, () => {
      onWire = (client.socket as unknown as { _socket: { bytesWritten: number } })._socket.bytesWritten;
    });
    assert.equal(await within(client.closed, 5000, 'the close'), 1009);
    assert.ok(onWire > 0 && onWire < 64 * 1024, `the bomb was ${onWire} bytes on the wire`);
  });

  test('a compressed message past maximumReceiveMessageSize ends the connection as an uncompressed one does', async () => {
    const client = await rawJsonClient(server.wsUrl('/hub'));
    client.socket.send(`{"type":1,"invocationId":"1","target":"echo","arguments":["${'b'.repeat(40_000)}"]}${RS}`);
    await until(() => client.messages.some((message) => message.includes('"type":7')), 5000, 'a Close message');
    const close = JSON.parse(client.messages.find((message) => message.includes('"type":7'))!) as { error?: string };
    assert.match(close.error ?? '', /^Connection closed with an error/);
    await within(client.closed, 5000, 'the close');
  });
});
