import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExtensionCodec, decode, encode } from '@msgpack/msgpack';
import { MessageType, type HubMessage } from '../messages.js';
import { createMessagePackHubProtocol, messagePackHubProtocol as protocol } from './msgpack-hub-protocol.js';

/** Bytes from spaced hex, as the reference writes them. */
const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const toHex = (bytes: Buffer | string): string => Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ');
const parse = (bytes: Buffer, max: number | null = 32_768) => protocol.parse(bytes, max);

/** The arguments of a parsed Invocation. */
function argumentsOf(message: HubMessage | undefined): readonly unknown[] {
  assert.equal(message?.type, MessageType.Invocation);
  return message.arguments;
}

describe('messagepack hub protocol: identity', () => {
  test('name, version and transfer format', () => {
    assert.equal(protocol.name, 'messagepack');
    assert.equal(protocol.version, 2);
    assert.equal(protocol.transferFormat, 'Binary');
  });
});

describe('messagepack hub protocol: parse', () => {
  // signalr-protocol.md §7.4: one session of JS client 10.0.11, in order.
  const session: [string, HubMessage][] = [
    ['0c 95 01 80 a1 30 a3 41 64 64 92 28 02', { type: 1, invocationId: '0', target: 'Add', arguments: [40, 2], streamIds: undefined, headers: undefined }],
    ['0c 95 01 80 c0 a4 53 65 6e 64 91 a1 78', { type: 1, target: 'Send', arguments: ['x'], streamIds: undefined, headers: undefined }],
    ['0c 96 01 80 a1 32 a2 55 70 90 91 a1 31', { type: 1, invocationId: '2', target: 'Up', arguments: [], streamIds: ['1'], headers: undefined }],
    ['0f 95 04 80 a1 33 a7 43 6f 75 6e 74 65 72 91 05', { type: 4, invocationId: '3', target: 'Counter', arguments: [5], streamIds: undefined, headers: undefined }],
    ['06 94 02 80 a1 31 07', { type: 2, invocationId: '1', item: 7, headers: undefined }],
    ['06 94 03 80 a1 31 02', { type: 3, invocationId: '1', hasResult: false, result: undefined, error: undefined, headers: undefined }],
    ['0b 95 03 80 a1 31 01 a4 62 6f 6f 6d', { type: 3, invocationId: '1', hasResult: false, result: undefined, error: 'boom', headers: undefined }],
    ['08 95 03 80 a2 73 31 03 c0', { type: 3, invocationId: 's1', hasResult: true, result: null, error: undefined, headers: undefined }],
    ['05 93 05 80 a1 33', { type: 5, invocationId: '3', headers: undefined }],
    ['02 91 06', { type: 6 }],
    ['03 92 07 c0', { type: 7, allowReconnect: false }],
    ['03 92 08 24', { type: 8, sequenceId: 36 }],
    ['03 92 09 13', { type: 9, sequenceId: 19 }],
  ];

  for (const [bytes, expected] of session) {
    test(`reads the client's ${bytes}`, () => {
      const input = hex(bytes);
      assert.deepEqual(parse(input), { messages: [expected], consumed: input.length });
    });
  }

  test('reads the whole session from one buffer', () => {
    const input = hex(session.map(([bytes]) => bytes).join(' '));
    const { messages, consumed, error } = parse(input);
    assert.equal(error, undefined);
    assert.equal(consumed, input.length);
    assert.deepEqual(messages, session.map(([, message]) => message));
  });

  test('reads integers of any width (uint 8, int 64, uint 64)', () => {
    const { messages, error } = parse(hex('03 91 cc 06 0a 91 d3 00 00 00 00 00 00 00 06 0b 92 08 cf 00 00 00 00 00 00 00 24'));
    assert.equal(error, undefined);
    assert.deepEqual(messages, [{ type: 6 }, { type: 6 }, { type: 8, sequenceId: 36 }]);
  });

  test('keeps a truncated frame for later, then reads it whole (M16 style split)', () => {
    const whole = hex('02 91 06 0c 95 01 80 a1 30 a3 41 64 64 92 28 02');
    for (let cut = 4; cut < whole.length; cut++) {
      const first = parse(whole.subarray(0, cut));
      assert.deepEqual(first.messages, [{ type: 6 }]);
      assert.equal(first.consumed, 3);
      assert.equal(first.error, undefined);
      const rest = Buffer.concat([whole.subarray(first.consumed, cut), whole.subarray(cut)]);
      assert.equal(parse(rest).messages.length, 1);
    }
  });

  test('M16: an unknown type followed by a ping in one buffer: the unknown one is skipped', () => {
    const { messages, consumed, error } = parse(hex('02 91 63 05 93 63 a1 78 80 02 91 06'));
    assert.equal(error, undefined);
    assert.deepEqual(messages, [{ type: 6 }]);
    assert.equal(consumed, 12);
  });

  test('M22: an Invocation with 7 elements works; the extras are ignored', () => {
    const { messages, error } = parse(hex('0a 97 01 80 a1 31 a1 61 90 90 c0'));
    assert.equal(error, undefined);
    assert.deepEqual(messages, [{ type: 1, invocationId: '1', target: 'a', arguments: [], streamIds: undefined, headers: undefined }]);
  });

  const invalid: [string, string, string][] = [
    ['a bad VarInt (fifth byte above 7)', 'ff ff ff ff 08', 'Messages bigger than 2GB are not supported.'],
    ['a map body', '01 80', 'Unexpected msgpack code 128 (fixmap) encountered.'],
    ['an integer body', '01 06', 'Unexpected msgpack code 6 (positive fixint) encountered.'],
    ['a str 8 body', '03 d9 01 78', 'Unexpected msgpack code 217 (str 8) encountered.'],
    ['an empty body', '00', 'Unable to read beyond the end of the stream.'],
    ['resultKind 7 (M18)', '06 94 03 80 a1 31 07', 'Invalid invocation result kind.'],
    ['invalid MessagePack inside the frame', '02 91 c1', 'Invalid MessagePack: Unrecognized type byte: 0xc1'],
    ['an array claiming more items than the frame holds', '02 92 06', 'Unable to read beyond the end of the stream.'],
    ['a str claiming more bytes than the frame holds', '03 91 a5 41', 'Unable to read beyond the end of the stream.'],
    ['bytes after the array inside the frame', '03 91 06 06', 'Invalid MessagePack: Extra 1 of 3 byte(s) found at buffer[2]'],
    ['a type that is not an integer', '03 91 a1 31', "Reading 'messageType' as Int32 failed."],
  ];
  for (const [what, bytes, expected] of invalid) {
    test(`reports ${what} after the valid messages before it`, () => {
      const { messages, consumed, error } = parse(hex(`02 91 06 ${bytes} 02 91 06`));
      assert.deepEqual(messages, [{ type: 6 }]);
      assert.equal(error?.message, expected);
      assert.equal(error?.code, 'HUB_ERR_PROTOCOL');
      assert.ok(consumed >= 3);
    });
  }

  /** An Invocation of `echo` with one bin argument whose framed size is exactly `size` (16 387 to 65 549 bytes). */
  function echoOfFramedSize(size: number): Buffer {
    // 3 bytes of VarInt, then [1, {}, "1", "echo", [bin16(n)]] = 14 bytes of layout + n.
    const n = size - 3 - 14;
    const body = Buffer.concat([hex('95 01 80 a1 31 a4 65 63 68 6f 91 c5'), Buffer.from([n >> 8, n & 0xff]), Buffer.alloc(n, 0x2a)]);
    const prefix = Buffer.from([(body.length & 0x7f) | 0x80, ((body.length >> 7) & 0x7f) | 0x80, body.length >> 14]);
    return Buffer.concat([prefix, body]);
  }

  test('M19: a framed message of exactly 32 768 bytes is accepted, 32 769 is refused', () => {
    const exact = echoOfFramedSize(32_768);
    assert.equal(exact.length, 32_768);
    const accepted = parse(exact);
    assert.equal(accepted.error, undefined);
    assert.equal((argumentsOf(accepted.messages[0])[0] as Uint8Array).length, 32_751);
    const over = parse(echoOfFramedSize(32_769));
    assert.equal(over.error?.message, 'The maximum message size of 32768B was exceeded. The message size can be configured in AddHubOptions.');
    assert.deepEqual(over.messages, []);
  });

  test('an oversize frame is refused as soon as its prefix arrives, without waiting for the body', () => {
    const { error } = parse(echoOfFramedSize(40_000).subarray(0, 10));
    assert.match(error?.message ?? '', /^The maximum message size of 32768B was exceeded/);
  });

  test('several small messages in one large buffer are fine; null means no limit', () => {
    const ping = hex('02 91 06');
    const many = Buffer.concat(Array.from({ length: 20_000 }, () => ping));
    const { messages, error } = parse(many);
    assert.equal(error, undefined);
    assert.equal(messages.length, 20_000);
    assert.equal(parse(echoOfFramedSize(60_000), null).error, undefined);
  });
});

describe('messagepack hub protocol: write (the bytes ASP.NET writes)', () => {
  const cases: [string, HubMessage, string][] = [
    ['Completion with a result', { type: MessageType.Completion, invocationId: '0', hasResult: true, result: 42 }, '07 95 03 80 a1 30 03 2a'],
    ['Completion with a null result', { type: MessageType.Completion, invocationId: '0', hasResult: true, result: null }, '07 95 03 80 a1 30 03 c0'],
    ['Completion with an undefined result', { type: MessageType.Completion, invocationId: '0', hasResult: true, result: undefined }, '07 95 03 80 a1 30 03 c0'],
    ['void Completion', { type: MessageType.Completion, invocationId: '0', hasResult: false }, '06 94 03 80 a1 30 02'],
    ['error Completion', { type: MessageType.Completion, invocationId: '0', hasResult: false, error: 'bad' }, '0a 95 03 80 a1 30 01 a3 62 61 64'],
    ['error Completion with an empty text', { type: MessageType.Completion, invocationId: '0', hasResult: false, error: '' }, '0c 95 03 80 a1 30 01 a5 45 72 72 6f 72'],
    [
      'non-blocking Invocation: 6 elements, nil id, empty stream ids',
      { type: MessageType.Invocation, target: 'receive', arguments: ['hi', 1] },
      '12 96 01 80 c0 a7 72 65 63 65 69 76 65 92 a2 68 69 01 90',
    ],
    ['Invocation with an empty id', { type: MessageType.Invocation, invocationId: '', target: 't', arguments: [] }, '08 96 01 80 c0 a1 74 90 90'],
    ['Invocation with an id (client result)', { type: MessageType.Invocation, invocationId: 's1', target: 'get', arguments: [] }, '0c 96 01 80 a2 73 31 a3 67 65 74 90 90'],
    ['Invocation with headers', { type: MessageType.Invocation, target: 't', arguments: [], headers: { a: 'b' } }, '0c 96 01 81 a1 61 a1 62 c0 a1 74 90 90'],
    ['StreamItem', { type: MessageType.StreamItem, invocationId: '1', item: { a: 1 } }, '09 94 02 80 a1 31 81 a1 61 01'],
    ['CancelInvocation', { type: MessageType.CancelInvocation, invocationId: '3' }, '05 93 05 80 a1 33'],
    ['Ping', { type: MessageType.Ping }, '02 91 06'],
    ['Close without error', { type: MessageType.Close }, '04 93 07 c0 c2'],
    ['Close with an empty error', { type: MessageType.Close, error: '' }, '04 93 07 c0 c2'],
    ['Close with error and allowReconnect', { type: MessageType.Close, error: 'bye', allowReconnect: true }, '07 93 07 a3 62 79 65 c3'],
    [
      'the Close of a protocol error (str 8 text)',
      { type: MessageType.Close, error: 'Connection closed with an error.', allowReconnect: true },
      `25 93 07 d9 20 ${toHex(Buffer.from('Connection closed with an error.'))} c3`,
    ],
    ['Ack', { type: MessageType.Ack, sequenceId: 36 }, '03 92 08 24'],
    ['Sequence', { type: MessageType.Sequence, sequenceId: 19 }, '03 92 09 13'],
  ];
  for (const [what, message, expected] of cases) {
    test(`${what}: ${expected.length > 60 ? `${expected.slice(0, 60)}…` : expected}`, () => {
      assert.equal(toHex(protocol.write(message)), toHex(hex(expected)));
    });
  }

  test('a body of 128 bytes or more gets a two-byte prefix', () => {
    // [1, {}, nil, "t", [bin16(300)], []] = 4 + 2 + 1 + 3 + 300 + 1 = 311 = 0x137 → b7 02.
    const written = protocol.write({ type: MessageType.Invocation, target: 't', arguments: [new Uint8Array(300).fill(9)] }) as Buffer;
    assert.equal(toHex(written.subarray(0, 13)), 'b7 02 96 01 80 c0 a1 74 91 c5 01 2c 09');
    assert.equal(written.length, 313);
    assert.equal(written.at(-1), 0x90);
  });

  test('each write returns its own buffer', () => {
    const a = protocol.write({ type: MessageType.StreamItem, invocationId: '1', item: 1 }) as Buffer;
    protocol.write({ type: MessageType.StreamItem, invocationId: '2', item: 2 });
    assert.equal(toHex(a), '06 94 02 80 a1 31 01');
  });
});

describe('messagepack hub protocol: values (JS ⇄ MessagePack)', () => {
  /** The bytes of the single argument of a written non-blocking Invocation of target "t". */
  function argumentBytes(value: unknown): string {
    const written = protocol.write({ type: MessageType.Invocation, target: 't', arguments: [value] }) as Buffer;
    // prefix (1 byte here), 96 01 80 c0 a1 74 91 … 90
    return toHex(written.subarray(8, written.length - 1));
  }

  test('numbers: ints in the smallest form up to 64 bits, other numbers as float 64', () => {
    assert.equal(argumentBytes(5), '05');
    assert.equal(argumentBytes(-1), 'ff');
    assert.equal(argumentBytes(300), 'cd 01 2c');
    assert.equal(argumentBytes(2 ** 40), 'cf 00 00 01 00 00 00 00 00');
    assert.equal(argumentBytes(-(2 ** 40)), 'd3 ff ff ff 00 00 00 00 00');
    assert.equal(argumentBytes(1.5), 'cb 3f f8 00 00 00 00 00 00');
  });

  test('Uint8Array and Buffer → bin; strings → str; booleans; null and undefined → nil', () => {
    assert.equal(argumentBytes(new Uint8Array([1, 2, 3])), 'c4 03 01 02 03');
    assert.equal(argumentBytes(Buffer.from([1, 2, 3])), 'c4 03 01 02 03');
    assert.equal(argumentBytes('é'), 'a2 c3 a9');
    assert.equal(argumentBytes(true), 'c3');
    assert.equal(argumentBytes(null), 'c0');
    assert.equal(argumentBytes(undefined), 'c0');
    assert.equal(argumentBytes([undefined]), '91 c0');
  });

  test('object properties holding undefined are left out, as in JSON', () => {
    assert.equal(argumentBytes({ a: undefined, b: 1 }), '81 a1 62 01');
  });

  test('Date ⇄ timestamp extension −1 (32-bit form for whole seconds, 64-bit with milliseconds)', () => {
    // 1 700 000 000 s = 0x6553f100; 123 ms = 123 000 000 ns, stored as ns << 2 = 0x1d535300.
    assert.equal(argumentBytes(new Date(1_700_000_000_000)), 'd6 ff 65 53 f1 00');
    assert.equal(argumentBytes(new Date(1_700_000_000_123)), 'd7 ff 1d 53 53 00 65 53 f1 00');
    const { messages } = parse(hex('11 95 01 80 c0 a1 74 91 d7 ff 1d 53 53 00 65 53 f1 00'));
    const date = argumentsOf(messages[0])[0];
    assert.ok(date instanceof Date);
    assert.equal(date.getTime(), 1_700_000_000_123);
  });

  test('bin → Uint8Array; maps → plain objects, integer keys as strings; unknown extensions kept as data', () => {
    const { messages, error } = parse(hex('15 95 01 80 c0 a1 74 93 c4 02 01 02 82 01 a1 61 a1 6b c3 d4 05 01'));
    assert.equal(error, undefined);
    const [bin, map, ext] = argumentsOf(messages[0]) as [Uint8Array, object, { type: number; data: Uint8Array }];
    assert.ok(bin instanceof Uint8Array);
    assert.deepEqual([...bin], [1, 2]);
    assert.deepEqual(map, { 1: 'a', k: true });
    assert.equal(ext.type, 5);
    assert.deepEqual([...ext.data], [1]);
  });

  test('uint 64 and int 64 decode to numbers (precision beyond 2^53 is lost, as in the JS client)', () => {
    const { messages } = parse(hex('19 95 01 80 c0 a1 74 92 cf 00 00 01 00 00 00 00 00 d3 ff ff ff ff ff ff ff ff'));
    assert.deepEqual(argumentsOf(messages[0]), [2 ** 40, -1]);
  });

  test('what MessagePack cannot encode fails the write (BigInt, functions, too deep)', () => {
    assert.throws(() => protocol.write({ type: MessageType.Completion, invocationId: '1', hasResult: true, result: 10n }), /Unrecognized object/);
    assert.throws(() => protocol.write({ type: MessageType.Completion, invocationId: '1', hasResult: true, result: () => 1 }), /Unrecognized object/);
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    assert.throws(() => protocol.write({ type: MessageType.Completion, invocationId: '1', hasResult: true, result: circular }), /Too deep/);
    // The protocol still works afterwards.
    assert.equal(toHex(protocol.write({ type: MessageType.Completion, invocationId: '0', hasResult: true, result: 42 })), '07 95 03 80 a1 30 03 2a');
  });

  test('createMessagePackHubProtocol: custom extension types both ways', () => {
    const extensionCodec = new ExtensionCodec();
    extensionCodec.register({
      type: 1,
      encode: (value: unknown) => (value instanceof Set ? encode([...value]) : null),
      decode: (data: Uint8Array) => new Set(decode(data) as unknown[]),
    });
    const custom = createMessagePackHubProtocol({ extensionCodec });
    const written = custom.write({ type: MessageType.Completion, invocationId: '0', hasResult: true, result: new Set([1, 2]) }) as Buffer;
    // ext 8: c7, 3 data bytes, type 1, then the encoded array [1, 2].
    assert.equal(toHex(written), '0c 95 03 80 a1 30 03 c7 03 01 92 01 02');
    const { messages } = custom.parse(written, null);
    assert.deepEqual((messages[0] as { result: unknown }).result, new Set([1, 2]));
  });
});
