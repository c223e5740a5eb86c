/**
 * Binary framing of the MessagePack hub protocol: every message is a VarInt length prefix
 * (little-endian base-128, 1 to 5 bytes, at most 2^31 − 1) followed by that many body bytes.
 * @module
 */
import { ProtocolError } from '../../core/errors.js';
import { messageTooLargeText } from '../text-framing.js';

/** The longest VarInt prefix: 5 bytes carry 31 bits. */
export const MAX_LENGTH_PREFIX_SIZE = 5;

/** Where one framed message lies in a buffer. */
export interface Frame {
  /** Index of the first body byte (just after the prefix). */
  readonly bodyStart: number;
  /** Index just past the last body byte: where the next frame starts. */
  readonly end: number;
}

/**
 * Reads the frame starting at `start`, or returns `undefined` when it is not complete yet.
 * Enforces `maxMessageSize` on the framed length (prefix + body), as ASP.NET does: a frame
 * longer than the limit fails as soon as its prefix is read, and so does a prefix still
 * incomplete after `maxMessageSize` bytes. Throws a ProtocolError for a prefix over 2^31 − 1.
 */
export function readFrame(input: Uint8Array, start: number, maxMessageSize: number | null): Frame | undefined {
  const available = input.length - start;
  let length = 0;
  let prefixSize = 0;
  let byte: number;
  do {
    if (prefixSize === available) {
      if (maxMessageSize !== null && available >= maxMessageSize) throw new ProtocolError(messageTooLargeText(maxMessageSize));
      return undefined;
    }
    byte = input[start + prefixSize]!;
    // The fifth byte holds bits 28-30 only; anything above (continuation bit included) is 2 GB+.
    if (prefixSize === MAX_LENGTH_PREFIX_SIZE - 1 && byte > 7) throw new ProtocolError('Messages bigger than 2GB are not supported.');
    length |= (byte & 0x7f) << (7 * prefixSize);
    prefixSize++;
  } while ((byte & 0x80) !== 0);
  const framedLength = prefixSize + length;
  if (maxMessageSize !== null && framedLength > maxMessageSize) throw new ProtocolError(messageTooLargeText(maxMessageSize));
  return framedLength <= available ? { bodyStart: start + prefixSize, end: start + framedLength } : undefined;
}

/** How many bytes the VarInt prefix of a `length`-byte body takes. */
export function lengthPrefixSize(length: number): number {
  let size = 1;
  while (length >= 0x80) {
    length >>>= 7;
    size++;
  }
  return size;
}

/** Writes the VarInt prefix of `length` at `offset`; returns the offset just after it. */
export function writeLengthPrefix(length: number, target: Uint8Array, offset: number): number {
  while (length >= 0x80) {
    target[offset++] = (length & 0x7f) | 0x80;
    length >>>= 7;
  }
  target[offset++] = length;
  return offset;
}

/**
 * Frames a body: a new Buffer holding the prefix and a copy of `body` (which may be a view of an
 * encoder's reused buffer).
 */
export function frameBody(body: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(lengthPrefixSize(body.length) + body.length);
  framed.set(body, writeLengthPrefix(body.length, framed, 0));
  return framed;
}
