import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { frameBody, lengthPrefixSize, readFrame, writeLengthPrefix } from './varint-framing.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const TOO_BIG = 'Messages bigger than 2GB are not supported.';

describe('VarInt length prefix', () => {
  // The reference's examples (signalr-protocol.md §5.2) plus the bounds of each prefix size.
  const cases: [number, string][] = [
    [0, '00'],
    [11, '0b'],
    [127, '7f'],
    [128, '80 01'],
    [300, 'ac 02'],
    [5248, '80 29'],
    [16_383, 'ff 7f'],
    [16_384, '80 80 01'],
    [2 ** 21 - 1, 'ff ff 7f'],
    [2 ** 28, '80 80 80 80 01'],
    [2 ** 31 - 1, 'ff ff ff ff 07'],
  ];
  for (const [length, prefix] of cases) {
    test(`${length} ⇄ ${prefix}`, () => {
      const expected = hex(prefix);
      const written = Buffer.alloc(8);
      assert.equal(writeLengthPrefix(length, written, 1), 1 + expected.length);
      assert.deepEqual(written.subarray(1, 1 + expected.length), expected);
      assert.equal(lengthPrefixSize(length), expected.length);
      // Only the prefix present: the frame is announced but incomplete (unless empty).
      if (length > 0) assert.equal(readFrame(expected, 0, null), undefined);
      if (length < 1000) {
        const framed = Buffer.concat([expected, Buffer.alloc(length, 0x90)]);
        assert.deepEqual(readFrame(framed, 0, null), { bodyStart: expected.length, end: framed.length });
      }
    });
  }

  test('a zero-length frame is a frame', () => {
    assert.deepEqual(readFrame(hex('00'), 0, null), { bodyStart: 1, end: 1 });
  });

  test('reads a frame at an offset and leaves what follows', () => {
    assert.deepEqual(readFrame(hex('aa bb 02 91 06 03'), 2, null), { bodyStart: 3, end: 5 });
  });

  test('a fifth byte above 7 is refused, with or without a continuation bit', () => {
    assert.throws(() => readFrame(hex('ff ff ff ff 08'), 0, null), { message: TOO_BIG, code: 'HUB_ERR_PROTOCOL' });
    assert.throws(() => readFrame(hex('80 80 80 80 80 01'), 0, null), { message: TOO_BIG });
    assert.throws(() => readFrame(hex('ff ff ff ff ff ff'), 0, null), { message: TOO_BIG });
  });

  test('a truncated prefix waits for more bytes', () => {
    assert.equal(readFrame(hex('80'), 0, null), undefined);
    assert.equal(readFrame(hex('ff ff ff ff'), 0, null), undefined);
    assert.equal(readFrame(Buffer.alloc(0), 0, null), undefined);
  });

  test('frameBody prefixes a copy of the body', () => {
    const body = new Uint8Array(300).fill(7);
    const framed = frameBody(body);
    assert.deepEqual(framed.subarray(0, 2), hex('ac 02'));
    assert.equal(framed.length, 302);
    body[0] = 0;
    assert.equal(framed[2], 7);
  });
});

describe('VarInt frames and maxMessageSize (framed length = prefix + body)', () => {
  test('a frame of exactly the limit is accepted, one byte more is refused as soon as the prefix is read', () => {
    // 1 byte of prefix + 126 bytes of body = 127.
    assert.deepEqual(readFrame(Buffer.concat([hex('7e'), Buffer.alloc(126)]), 0, 127), { bodyStart: 1, end: 127 });
    assert.throws(() => readFrame(hex('7f'), 0, 127), {
      message: 'The maximum message size of 127B was exceeded. The message size can be configured in AddHubOptions.',
    });
    // 2 bytes of prefix + 128 = 130.
    assert.equal(readFrame(hex('80 01'), 0, 130), undefined, 'within the limit, an incomplete frame waits');
    assert.throws(() => readFrame(hex('80 01'), 0, 129), /maximum message size of 129B/);
  });

  test('a prefix still incomplete after maxMessageSize bytes is refused', () => {
    assert.equal(readFrame(hex('80 80'), 0, 3), undefined);
    assert.throws(() => readFrame(hex('80 80 80'), 0, 3), /maximum message size of 3B/);
  });

  test('null means no limit', () => {
    assert.equal(readFrame(hex('ff ff ff ff 07'), 0, null), undefined);
  });
});
