/**
 * Conformance: the MessagePack hub protocol over WebSockets, with a raw client and hand-written
 * bytes. Reference: signalr-protocol.md §0.1 (#5, #7, #8), §5.2, §6, §7.3, §7.4, §11.4, §12,
 * §15.3 (HS2, HS3), §15.4 (M1, M16, M18, M19, M22).
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, jsonHubProtocol, messagePackHubProtocol } from 'hubwire';
import { RawClient, RS } from '../support/raw-client.js';
import { within } from '../support/wait.js';
import { startConformanceServer, type ConformanceServer } from './fixtures.js';

/** Bytes from spaced hex, as the reference writes them. */
const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ');

/** `[7, text, true]`, framed, for a text of 32 to 255 bytes (str 8) and a body under 128 bytes. */
function closeWithError(text: string): string {
  const bytes = Buffer.from(text);
  assert.ok(bytes.length >= 32 && bytes.length + 5 < 128);
  return toHex(Buffer.concat([Buffer.from([bytes.length + 5, 0x93, 0x07, 0xd9, bytes.length]), bytes, hex('c3')]));
}

/** What every protocol error ends with (detailed errors off). */
const CLOSE_WITH_ERROR = closeWithError('Connection closed with an error.');
/** The Completion of `add(40, 2)` for invocation id "0": `[3, {}, "0", 3, 42]`. */
const COMPLETION_42 = '07 95 03 80 a1 30 03 2a';
/** The JS client's `invoke("Add", 40, 2)` with id "0" (§7.4). */
const INVOKE_ADD = '0c 95 01 80 a1 30 a3 41 64 64 92 28 02';

/**
 * The server's framed MessagePack messages in order, whatever WebSocket frames they came in.
 * Every frame is checked to be binary and to hold whole messages only (§0.1 #5 and #7).
 */
class MessagePackStream {
  readonly client: RawClient;
  readonly #messages: string[] = [];

  constructor(client: RawClient) {
    this.client = client;
  }

  /** The next framed message (VarInt prefix included) as spaced hex. */
  async next(ms = 5000): Promise<string> {
    while (this.#messages.length === 0) {
      const frame = await this.client.next(ms);
      assert.equal(frame.binary, true, `MessagePack frames must be binary; got a text one: ${JSON.stringify(frame.text)}`);
      this.#messages.push(...splitFrames(frame.data));
    }
    return this.#messages.shift()!;
  }

  /** The next message that is not a Ping. */
  async nextNonPing(ms = 5000): Promise<string> {
    for (;;) {
      const message = await this.next(ms);
      if (message !== '02 91 06') return message;
    }
  }

  send(bytes: Buffer): void {
    this.client.send(bytes, true);
  }

  /** Messages received and not read yet. */
  get pending(): number {
    return this.#messages.length + this.client.buffered.length;
  }
}

/** Splits a WebSocket payload into its VarInt-framed messages; fails on a partial one. */
function splitFrames(data: Buffer): string[] {
  const messages: string[] = [];
  let offset = 0;
  while (offset < data.length) {
    let length = 0;
    let shift = 0;
    let cursor = offset;
    let byte: number;
    do {
      byte = data[cursor++]!;
      length |= (byte & 0x7f) << shift;
      shift += 7;
    } while ((byte & 0x80) !== 0 && cursor < data.length);
    assert.ok(cursor + length <= data.length, `a frame must hold whole messages only; got ${toHex(data)}`);
    messages.push(toHex(data.subarray(offset, cursor + length)));
    offset = cursor + length;
  }
  return messages;
}

/** Opens a socket and completes the MessagePack handshake as the JS client does (a text frame). */
async function openMessagePack(url: string, version = 1): Promise<MessagePackStream> {
  const client = await RawClient.connect(url);
  client.send(`{"protocol":"messagepack","version":${version}}${RS}`);
  const reply = await client.next();
  assert.equal(reply.binary, true, 'the handshake response must come in a binary frame');
  assert.equal(reply.text, `{}${RS}`);
  return new MessagePackStream(client);
}

/** Expects the error Close next, then the socket to close, with nothing after the Close. */
async function expectCloseWithError(stream: MessagePackStream, close = CLOSE_WITH_ERROR): Promise<void> {
  assert.equal(await stream.nextNonPing(), close);
  await within(stream.client.closed, 5000, 'the socket to close');
  assert.equal(stream.pending, 0, 'nothing may follow a Close message');
}

/** An Invocation of `echo` (id "1") with one bin argument, `size` bytes framed (16 387 to 65 549). */
function echoOfFramedSize(size: number): Buffer {
  // 3 bytes of VarInt, then [1, {}, "1", "echo", [bin16(n)]] = 14 bytes of layout + n.
  const n = size - 3 - 14;
  const body = Buffer.concat([hex('95 01 80 a1 31 a4 65 63 68 6f 91 c5'), Buffer.from([n >> 8, n & 0xff]), Buffer.alloc(n, 0x2a)]);
  const prefix = Buffer.from([(body.length & 0x7f) | 0x80, ((body.length >> 7) & 0x7f) | 0x80, body.length >> 14]);
  const framed = Buffer.concat([prefix, body]);
  assert.equal(framed.length, size);
  return framed;
}

/** A hub with nothing but its keep-alive. */
class PingHub extends Hub {}

let server: ConformanceServer;

before(async () => {
  server = await startConformanceServer({ protocols: [jsonHubProtocol, messagePackHubProtocol] }, {}, (hubwire) =>
    hubwire.mapHub('/pinging', PingHub, { keepAliveInterval: 1000, protocols: [messagePackHubProtocol] }),
  );
});
after(() => server.close());

describe('messagepack handshake', () => {
  for (const version of [1, 2]) {
    test(`HS2/HS3: messagepack version ${version} in a text frame is accepted; {}RS comes in a binary frame`, async () => {
      const stream = await openMessagePack(server.hubWs(), version);
      stream.send(hex(INVOKE_ADD));
      assert.equal(await stream.nextNonPing(), COMPLETION_42);
      stream.client.close();
    });
  }

  test('the protocol name is matched case-insensitively', async () => {
    const client = await RawClient.connect(server.hubWs());
    client.send(`{"protocol":"MessagePack","version":1}${RS}`);
    const reply = await client.next();
    assert.equal(reply.binary, true);
    assert.equal(reply.text, `{}${RS}`);
    client.close();
  });

  test('a handshake error for messagepack comes in a text frame', async () => {
    const client = await RawClient.connect(server.hubWs());
    client.send(`{"protocol":"messagepack","version":3}${RS}`);
    const reply = await client.next();
    assert.equal(reply.binary, false);
    assert.equal(reply.text, `{"error":"The server does not support version 3 of the 'messagepack' protocol."}${RS}`);
    client.close();
  });
});

describe('messagepack hub messages', () => {
  let stream: MessagePackStream;
  beforeEach(async () => {
    stream = await openMessagePack(server.hubWs());
  });
  afterEach(() => stream.client.close());

  test('M1: value, void and null results: kinds 3, 2 and 3 + nil, byte-exact', async () => {
    // [1, {}, "1", "nothing", []] and [1, {}, "2", "nullResult", []]
    stream.send(hex(`${INVOKE_ADD} 0e 95 01 80 a1 31 a7 6e 6f 74 68 69 6e 67 90 11 95 01 80 a1 32 aa 6e 75 6c 6c 52 65 73 75 6c 74 90`));
    assert.equal(await stream.nextNonPing(), COMPLETION_42);
    assert.equal(await stream.nextNonPing(), '06 94 03 80 a1 31 02');
    assert.equal(await stream.nextNonPing(), '07 95 03 80 a1 32 03 c0');
  });

  test('a HubError becomes an error Completion (kind 1)', async () => {
    // [1, {}, "9", "hubFail", []]
    stream.send(hex('0e 95 01 80 a1 39 a7 68 75 62 46 61 69 6c 90'));
    const text = "An unexpected error occurred invoking 'hubFail' on the server. HubException: Not allowed.";
    const body = Buffer.concat([hex('95 03 80 a1 39 01 d9'), Buffer.from([text.length]), Buffer.from(text)]);
    assert.ok(body.length < 128, 'a one-byte VarInt prefix');
    assert.equal(await stream.nextNonPing(), toHex(Buffer.concat([Buffer.from([body.length]), body])));
  });

  test('a truncated frame followed by the rest in a second frame works', async () => {
    const bytes = hex(INVOKE_ADD);
    for (const cut of [1, 5, bytes.length - 1]) {
      stream.send(bytes.subarray(0, cut));
      await new Promise((resolve) => setTimeout(resolve, 20));
      stream.send(bytes.subarray(cut));
      assert.equal(await stream.nextNonPing(), COMPLETION_42);
    }
  });

  test('several messages in one frame are all processed', async () => {
    stream.send(hex(`02 91 06 ${INVOKE_ADD} ${INVOKE_ADD.replace('a1 30', 'a1 31')}`));
    assert.equal(await stream.nextNonPing(), COMPLETION_42);
    assert.equal(await stream.nextNonPing(), COMPLETION_42.replace('a1 30', 'a1 31'));
  });

  test('M16: an unknown type ([99]) followed by an Invocation in the same frame: the unknown one is ignored', async () => {
    stream.send(hex(`02 91 63 ${INVOKE_ADD}`));
    assert.equal(await stream.nextNonPing(), COMPLETION_42);
  });

  test('M22: Invocations with 5, 6 and 7 elements all work', async () => {
    // [1, {}, "0", "Add", [40, 2], []] and the same with a trailing nil.
    stream.send(hex(`${INVOKE_ADD} 0d 96 01 80 a1 30 a3 41 64 64 92 28 02 90 0e 97 01 80 a1 30 a3 41 64 64 92 28 02 90 c0`));
    for (let i = 0; i < 3; i++) assert.equal(await stream.nextNonPing(), COMPLETION_42);
  });

  test('M19: a framed message of exactly 32 768 bytes is accepted', async () => {
    stream.send(echoOfFramedSize(32_768));
    const completion = hex(await stream.nextNonPing());
    // 3 bytes of VarInt, then [3, {}, "1", 3, bin16(32 751)]: 95 03 80 a1 31 03 c5 7f ef.
    assert.equal(toHex(completion.subarray(3, 12)), '95 03 80 a1 31 03 c5 7f ef');
    assert.equal(completion.length, 3 + 9 + 32_751);
  });

  const fatal: [string, () => Buffer][] = [
    ['a bad VarInt (fifth byte above 7)', () => hex('ff ff ff ff 08')],
    ['a non-array body (a map)', () => hex('01 80')],
    ['an empty body', () => hex('00')],
    ['M18: a Completion with resultKind 7', () => hex('06 94 03 80 a1 31 07')],
    ['an Invocation without a target', () => hex('06 95 01 80 c0 c0 90')],
    ['M19: a framed message of 32 769 bytes', () => echoOfFramedSize(32_769)],
    ['an announced frame over the limit, before its body arrives', () => hex('ff ff 01')],
  ];
  for (const [what, bytes] of fatal) {
    test(`${what} → Close [7, "Connection closed with an error.", true], then the socket closes`, async () => {
      stream.send(bytes());
      await expectCloseWithError(stream);
    });
  }

  test('messages before a bad one in the same frame are dispatched; nothing after it is', async () => {
    server.state.log.length = 0;
    // [1, {}, nil, "record", ["before"]], a map body, then the same with "after!".
    const record = (arg: string) => `13 95 01 80 c0 a6 72 65 63 6f 72 64 91 a6 ${toHex(Buffer.from(arg))}`;
    stream.send(hex(`${record('before')} 01 80 ${record('after!')}`));
    await expectCloseWithError(stream);
    assert.deepEqual(server.state.log, ['before']);
  });

  test('another connection is unaffected by one that breaks the protocol', async () => {
    const other = await openMessagePack(server.hubWs());
    try {
      stream.send(hex('06 94 03 80 a1 31 07'));
      await expectCloseWithError(stream);
      other.send(hex(INVOKE_ADD));
      assert.equal(await other.nextNonPing(), COMPLETION_42);
    } finally {
      other.client.close();
    }
  });

  test('a client Close ([7, nil]) gets a Close without error and the socket closes', async () => {
    stream.send(hex('03 92 07 c0'));
    assert.equal(await stream.next(), '04 93 07 c0 c2');
    await within(stream.client.closed, 5000, 'the socket to close');
  });
});

describe('messagepack protocol errors with detailed errors on', () => {
  let detailed: ConformanceServer;
  before(async () => {
    detailed = await startConformanceServer({ protocols: [messagePackHubProtocol], enableDetailedErrors: true });
  });
  after(() => detailed.close());

  const cases: [string, string, string][] = [
    ['a bad VarInt', 'ff ff ff ff 08', 'InvalidDataException: Messages bigger than 2GB are not supported.'],
    ['a map body', '01 80', 'MessagePackSerializationException: Unexpected msgpack code 128 (fixmap) encountered.'],
    ['resultKind 7', '06 94 03 80 a1 31 07', 'InvalidDataException: Invalid invocation result kind.'],
    ['a truncated value', '02 92 06', 'EndOfStreamException: Unable to read beyond the end of the stream.'],
  ];
  for (const [what, bytes, detail] of cases) {
    test(`${what} → "Connection closed with an error. ${detail}"`, async () => {
      const stream = await openMessagePack(detailed.hubWs());
      stream.send(hex(bytes));
      await expectCloseWithError(stream, closeWithError(`Connection closed with an error. ${detail}`));
    });
  }
});

describe('messagepack keep-alive', () => {
  test('server pings are 02 91 06 in binary frames', async () => {
    const stream = await openMessagePack(server.wsUrl('/pinging'));
    try {
      assert.equal(await stream.next(4000), '02 91 06');
    } finally {
      stream.client.close();
    }
  });
});
