/**
 * Byte-level arbitraries: mutations of a valid input, the places a stream is cut into chunks,
 * and bytes a parser must be wary of.
 * @module
 */
import fc from 'fast-check';

/**
 * Bytes with a meaning to one of the parsers: the record separator, JSON punctuation, UTF-8
 * lead/continuation bytes and bytes that never occur in UTF-8, MessagePack type codes with a
 * length (str/bin/array/map/ext 8/16/32) and 64-bit integers, VarInt continuation bits.
 */
const INTERESTING = [
  0x00, 0x1e, 0x22, 0x2c, 0x2d, 0x30, 0x39, 0x3a, 0x5b, 0x5c, 0x5d, 0x65, 0x7b, 0x7d, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
  0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xcb, 0xcf, 0xd3, 0xd4, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xed,
  0xf4, 0xf5, 0xff,
];

/** Any byte, often an interesting one. */
export const byte: fc.Arbitrary<number> = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...INTERESTING));

/** Arbitrary bytes built from {@link byte}. */
export function bytes(maxLength = 256): fc.Arbitrary<Uint8Array> {
  return fc.array(byte, { maxLength }).map((list) => Uint8Array.from(list));
}

/** One edit of a byte string; positions are taken modulo the length at the time. */
export interface Mutation {
  readonly kind: 'set' | 'flip' | 'insert' | 'delete' | 'duplicate' | 'truncate';
  readonly at: number;
  readonly byte: number;
  readonly length: number;
}

/** One to six stacked mutations. */
export const mutations: fc.Arbitrary<Mutation[]> = fc.array(
  fc.record({
    kind: fc.constantFrom<Mutation['kind']>('set', 'flip', 'insert', 'delete', 'duplicate', 'truncate'),
    at: fc.nat(),
    byte,
    length: fc.integer({ min: 1, max: 16 }),
  }),
  { minLength: 1, maxLength: 6 },
);

/** Applies `edits` in order to a copy of `input`. */
export function mutate(input: Uint8Array, edits: readonly Mutation[]): Buffer {
  let data = Buffer.from(input);
  for (const edit of edits) {
    const at = data.length === 0 ? 0 : edit.at % data.length;
    switch (edit.kind) {
      case 'set':
        if (data.length > 0) data[at] = edit.byte;
        break;
      case 'flip':
        if (data.length > 0) data[at] = data[at]! ^ (1 << (edit.byte % 8));
        break;
      case 'insert':
        data = Buffer.concat([data.subarray(0, at), Buffer.alloc(edit.length, edit.byte), data.subarray(at)]);
        break;
      case 'delete':
        data = Buffer.concat([data.subarray(0, at), data.subarray(at + edit.length)]);
        break;
      case 'duplicate':
        data = Buffer.concat([data.subarray(0, at + edit.length), data.subarray(at)]);
        break;
      case 'truncate':
        data = data.subarray(0, at);
        break;
    }
  }
  return data;
}

/** Up to eight cut points; {@link split} takes them modulo the length. */
export const cuts: fc.Arbitrary<number[]> = fc.array(fc.nat(), { maxLength: 8 });

/** `input` cut at `points` into consecutive chunks (some may be empty) that concatenate to it. */
export function split(input: Uint8Array, points: readonly number[]): Buffer[] {
  const at = [...new Set(points.map((point) => point % (input.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const end of at) {
    chunks.push(Buffer.from(input.subarray(start, end)));
    start = end;
  }
  chunks.push(Buffer.from(input.subarray(start)));
  return chunks;
}

/** Ill-formed UTF-8: bytes that never occur, lone continuations, overlongs, surrogates, cut sequences, > U+10FFFF. */
export const invalidUtf8: fc.Arbitrary<number[]> = fc.constantFrom(
  [0xff],
  [0xfe],
  [0x80],
  [0xbf],
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
);
