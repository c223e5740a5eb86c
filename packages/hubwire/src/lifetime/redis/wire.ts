/**
 * The backplane's message layout: what one node publishes and the others read. Binary and
 * length-prefixed, so the serialized hub message travels as the bytes the sending node made (a
 * MessagePack body is never re-encoded, a JSON one never re-parsed).
 * @module
 */

/** What a published message asks of the nodes that receive it. */
export type BackplaneMessage =
  | {
      readonly kind: 'invocation';
      /** The publishing node: it served its own recipients already and skips its copy. */
      readonly sender: string;
      /** For a send to several groups: all of them, so a node delivers once per connection. */
      readonly groups: readonly string[];
      readonly except: readonly string[];
      /** The framed hub message per protocol name. */
      readonly bytes: ReadonlyMap<string, Buffer>;
    }
  | { readonly kind: 'group-add' | 'group-remove'; readonly sender: string; readonly ackId: number; readonly connectionId: string; readonly group: string }
  | { readonly kind: 'ack'; readonly ackId: number }
  /** A client-result call for a connection on the receiving node; `args` are MessagePack. */
  | { readonly kind: 'invoke'; readonly sender: string; readonly callId: number; readonly target: string; readonly timeout: number; readonly args: Buffer }
  /** The answer to an `invoke`, on the caller's node channel; `payload` is MessagePack. */
  | { readonly kind: 'result'; readonly callId: number; readonly ok: boolean; readonly payload: Buffer }
  /** The caller gave up on an `invoke` (its signal was aborted). */
  | { readonly kind: 'cancel'; readonly sender: string; readonly callId: number };

const KIND_CODES = { invocation: 1, 'group-add': 2, 'group-remove': 3, ack: 4, invoke: 5, result: 6, cancel: 7 } as const;
const KINDS = ['', 'invocation', 'group-add', 'group-remove', 'ack', 'invoke', 'result', 'cancel'] as const;

/** Encodes one message for PUBLISH. */
export function encode(message: BackplaneMessage): Buffer {
  const writer = new Writer();
  writer.byte(KIND_CODES[message.kind]);
  switch (message.kind) {
    case 'invocation':
      writer.string(message.sender);
      writer.strings(message.groups);
      writer.strings(message.except);
      writer.uint(message.bytes.size);
      for (const [name, bytes] of message.bytes) {
        writer.string(name);
        writer.bytes(bytes);
      }
      break;
    case 'group-add':
    case 'group-remove':
      writer.string(message.sender);
      writer.uint(message.ackId);
      writer.string(message.connectionId);
      writer.string(message.group);
      break;
    case 'ack':
      writer.uint(message.ackId);
      break;
    case 'invoke':
      writer.string(message.sender);
      writer.uint(message.callId);
      writer.string(message.target);
      writer.uint(message.timeout);
      writer.bytes(message.args);
      break;
    case 'result':
      writer.uint(message.callId);
      writer.byte(message.ok ? 1 : 0);
      writer.bytes(message.payload);
      break;
    case 'cancel':
      writer.string(message.sender);
      writer.uint(message.callId);
      break;
  }
  return writer.finish();
}

/** Decodes a published message; throws a RangeError for bytes that are not one. */
export function decode(input: Buffer): BackplaneMessage {
  const reader = new Reader(input);
  const kind = KINDS[reader.byte()];
  let message: BackplaneMessage;
  switch (kind) {
    case 'invocation': {
      const sender = reader.string();
      const groups = reader.strings();
      const except = reader.strings();
      const count = reader.uint();
      const bytes = new Map<string, Buffer>();
      for (let i = 0; i < count; i++) bytes.set(reader.string(), reader.bytes());
      message = { kind, sender, groups, except, bytes };
      break;
    }
    case 'group-add':
    case 'group-remove':
      message = { kind, sender: reader.string(), ackId: reader.uint(), connectionId: reader.string(), group: reader.string() };
      break;
    case 'ack':
      message = { kind, ackId: reader.uint() };
      break;
    case 'invoke':
      message = { kind, sender: reader.string(), callId: reader.uint(), target: reader.string(), timeout: reader.uint(), args: reader.bytes() };
      break;
    case 'result':
      message = { kind, callId: reader.uint(), ok: reader.byte() === 1, payload: reader.bytes() };
      break;
    case 'cancel':
      message = { kind, sender: reader.string(), callId: reader.uint() };
      break;
    default:
      throw new RangeError('Not a backplane message: unknown kind.');
  }
  if (!reader.done) throw new RangeError('Not a backplane message: trailing bytes.');
  return message;
}

class Writer {
  readonly #parts: Buffer[] = [];

  byte(value: number): void {
    this.#parts.push(Buffer.of(value));
  }

  uint(value: number): void {
    const part = Buffer.allocUnsafe(4);
    part.writeUInt32BE(value);
    this.#parts.push(part);
  }

  bytes(value: Buffer): void {
    this.uint(value.length);
    this.#parts.push(value);
  }

  string(value: string): void {
    this.bytes(Buffer.from(value, 'utf8'));
  }

  strings(values: readonly string[]): void {
    this.uint(values.length);
    for (const value of values) this.string(value);
  }

  finish(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

class Reader {
  readonly #input: Buffer;
  #offset = 0;

  constructor(input: Buffer) {
    this.#input = input;
  }

  get done(): boolean {
    return this.#offset === this.#input.length;
  }

  byte(): number {
    if (this.#offset >= this.#input.length) throw new RangeError('Not a backplane message: truncated.');
    return this.#input[this.#offset++]!;
  }

  uint(): number {
    if (this.#offset + 4 > this.#input.length) throw new RangeError('Not a backplane message: truncated.');
    const value = this.#input.readUInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  bytes(): Buffer {
    const length = this.uint();
    if (this.#offset + length > this.#input.length) throw new RangeError('Not a backplane message: truncated.');
    // A view, not a copy: the bytes go to sockets as they are.
    const value = this.#input.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  string(): string {
    return this.bytes().toString('utf8');
  }

  strings(): string[] {
    const count = this.uint();
    // Each string takes at least its 4-byte length: a count beyond that is a lie, not a loop bound.
    if (count > (this.#input.length - this.#offset) / 4) throw new RangeError('Not a backplane message: truncated.');
    const values: string[] = [];
    for (let i = 0; i < count; i++) values.push(this.string());
    return values;
  }
}
