/**
 * The few MessagePack forms ASP.NET's Redis backplane uses (arrays, maps, str, bin, int, nil),
 * written the way MessagePack-CSharp's `MessagePackWriter` writes them — the smallest form of
 * each — so a payload made here is byte for byte the one a .NET server makes. A general
 * MessagePack library would do, but its choices of form (and its copies of `bin` values) are its
 * own; these are the ones the byte vectors in aspnet-wire.test.ts pin down.
 * @module
 */

/** Writes MessagePack values into one buffer. */
export class PackWriter {
  readonly #parts: Buffer[] = [];

  arrayHeader(count: number): void {
    this.#header(count, 0x90, 0xdc, 0xdd);
  }

  mapHeader(count: number): void {
    this.#header(count, 0x80, 0xde, 0xdf);
  }

  /** A non-negative int in its smallest form (positive fixint, uint8, uint16, uint32), as MessagePack-CSharp writes an Int32. */
  uint(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new RangeError(`Not a MessagePack uint32: ${value}`);
    if (value <= 0x7f) this.#parts.push(Buffer.of(value));
    else if (value <= 0xff) this.#parts.push(Buffer.of(0xcc, value));
    else if (value <= 0xffff) this.#parts.push(Buffer.of(0xcd, value >> 8, value & 0xff));
    else {
      const part = Buffer.allocUnsafe(5);
      part[0] = 0xce;
      part.writeUInt32BE(value, 1);
      this.#parts.push(part);
    }
  }

  /** A str (fixstr, str8, str16, str32), or nil for null. */
  string(value: string | null): void {
    if (value === null) {
      this.#parts.push(Buffer.of(0xc0));
      return;
    }
    const bytes = Buffer.from(value, 'utf8');
    const length = bytes.length;
    if (length <= 31) this.#parts.push(Buffer.of(0xa0 | length));
    else if (length <= 0xff) this.#parts.push(Buffer.of(0xd9, length));
    else this.#lengthHeader(length, 0xda, 0xdb);
    this.#parts.push(bytes);
  }

  /** A bin (bin8, bin16, bin32); the bytes are not copied until {@link finish}. */
  bin(value: Buffer): void {
    if (value.length <= 0xff) this.#parts.push(Buffer.of(0xc4, value.length));
    else this.#lengthHeader(value.length, 0xc5, 0xc6);
    this.#parts.push(value);
  }

  finish(): Buffer {
    return Buffer.concat(this.#parts);
  }

  #header(count: number, fix: number, code16: number, code32: number): void {
    if (count <= 15) this.#parts.push(Buffer.of(fix | count));
    else this.#lengthHeader(count, code16, code32);
  }

  #lengthHeader(length: number, code16: number, code32: number): void {
    if (length <= 0xffff) {
      this.#parts.push(Buffer.of(code16, length >> 8, length & 0xff));
      return;
    }
    const part = Buffer.allocUnsafe(5);
    part[0] = code32;
    part.writeUInt32BE(length, 1);
    this.#parts.push(part);
  }
}

/**
 * Reads MessagePack values from the start of a buffer, one at a time, as MessagePack-CSharp's
 * `MessagePackReader` reads them for the backplane: what follows the items a message needs is
 * never looked at. Every failure is a RangeError.
 */
export class PackReader {
  readonly #input: Buffer;
  #offset = 0;

  constructor(input: Buffer) {
    this.#input = input;
  }

  /** An array header; fails with ASP.NET's text when it announces fewer than `minimum` items. */
  arrayHeader(minimum: number, what: string): number {
    const count = this.#containerHeader(0x90, 0xdc, 0xdd, 'array');
    if (count < minimum) throw new RangeError(`Insufficient items in ${what} array.`);
    return count;
  }

  mapHeader(): number {
    return this.#containerHeader(0x80, 0xde, 0xdf, 'map');
  }

  /** Any MessagePack int that fits an Int32 (MessagePack-CSharp's `ReadInt32`). */
  int32(): number {
    const code = this.#byte();
    let value: number;
    if (code <= 0x7f) value = code;
    else if (code >= 0xe0) value = code - 0x100;
    else {
      switch (code) {
        case 0xcc: value = this.#take(1).readUInt8(0); break;
        case 0xcd: value = this.#take(2).readUInt16BE(0); break;
        case 0xce: value = this.#take(4).readUInt32BE(0); break;
        case 0xcf: value = Number(this.#take(8).readBigUInt64BE(0)); break;
        case 0xd0: value = this.#take(1).readInt8(0); break;
        case 0xd1: value = this.#take(2).readInt16BE(0); break;
        case 0xd2: value = this.#take(4).readInt32BE(0); break;
        case 0xd3: value = Number(this.#take(8).readBigInt64BE(0)); break;
        default: throw new RangeError(`Expected an int, found MessagePack code 0x${code.toString(16)}.`);
      }
    }
    if (value < -(2 ** 31) || value > 2 ** 31 - 1) throw new RangeError(`The int ${value} does not fit an Int32.`);
    return value;
  }

  /** A str, or null for nil. */
  string(): string | null {
    const code = this.#byte();
    let length: number;
    if (code === 0xc0) return null;
    if (code >= 0xa0 && code <= 0xbf) length = code & 0x1f;
    else if (code === 0xd9) length = this.#take(1).readUInt8(0);
    else if (code === 0xda) length = this.#take(2).readUInt16BE(0);
    else if (code === 0xdb) length = this.#take(4).readUInt32BE(0);
    else throw new RangeError(`Expected a str, found MessagePack code 0x${code.toString(16)}.`);
    return this.#take(length).toString('utf8');
  }

  /** A bin as a view of the input (no copy), or an empty buffer for nil (as ASP.NET reads it). */
  bin(): Buffer {
    const code = this.#byte();
    let length: number;
    if (code === 0xc0) return Buffer.alloc(0);
    if (code === 0xc4) length = this.#take(1).readUInt8(0);
    else if (code === 0xc5) length = this.#take(2).readUInt16BE(0);
    else if (code === 0xc6) length = this.#take(4).readUInt32BE(0);
    else throw new RangeError(`Expected a bin, found MessagePack code 0x${code.toString(16)}.`);
    return this.#take(length);
  }

  #containerHeader(fix: number, code16: number, code32: number, what: string): number {
    const code = this.#byte();
    if ((code & 0xf0) === fix) return code & 0x0f;
    if (code === code16) return this.#take(2).readUInt16BE(0);
    if (code === code32) return this.#take(4).readUInt32BE(0);
    throw new RangeError(`Expected ${what === 'array' ? 'an array' : 'a map'}, found MessagePack code 0x${code.toString(16)}.`);
  }

  #byte(): number {
    return this.#take(1)[0]!;
  }

  #take(length: number): Buffer {
    if (this.#offset + length > this.#input.length) throw new RangeError('Truncated MessagePack input.');
    const part = this.#input.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return part;
  }
}
