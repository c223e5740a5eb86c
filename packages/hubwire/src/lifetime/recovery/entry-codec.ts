/**
 * The payload of a history entry, as the stores keep it and a shared store publishes it: one or
 * more messages, each serialized once in every hub protocol WITHOUT its position (the position is
 * known only once the store took the entry), and the connections that do not get it live.
 *
 * Layout (big-endian uint32 lengths): `version(1) | except count | (len, utf8)* | message count |
 * per message: protocol count | (name len, name, bytes len, bytes)*`. Binary and length-prefixed,
 * so MessagePack bodies travel as the bytes the publishing node made.
 * @module
 */

/** One message of an entry: its framed bytes per protocol name. */
export interface EntryMessage {
  readonly bytes: ReadonlyMap<string, Buffer>;
}

/** A decoded history entry payload. */
export interface EntryPayload {
  readonly messages: readonly EntryMessage[];
  /** Connection ids that do not get the messages live (`groupExcept`, `othersInGroup`). */
  readonly except: readonly string[];
}

const VERSION = 1;

/**
 * Encodes an entry payload.
 *
 * @example
 * ```ts
 * const payload = encodeEntry({ messages: [{ bytes: new Map([['json', jsonBytes]]) }], except: [] });
 * decodeEntry(payload).messages[0]!.bytes.get('json'); // jsonBytes
 * ```
 */
export function encodeEntry(entry: EntryPayload): Buffer {
  // Sized first, then written into one buffer: an entry is encoded on every recoverable send.
  const except = entry.except.map((id) => Buffer.from(id, 'utf8'));
  let size = 1 + 4 + 4;
  for (const id of except) size += 4 + id.length;
  const names: Buffer[][] = [];
  for (const message of entry.messages) {
    size += 4;
    const encoded: Buffer[] = [];
    for (const [name, body] of message.bytes) {
      const bytes = Buffer.from(name, 'utf8');
      encoded.push(bytes);
      size += 8 + bytes.length + body.length;
    }
    names.push(encoded);
  }
  const out = Buffer.allocUnsafe(size);
  let offset = out.writeUInt8(VERSION, 0);
  const bytes = (value: Buffer): void => {
    offset = out.writeUInt32BE(value.length, offset);
    offset += value.copy(out, offset);
  };
  offset = out.writeUInt32BE(except.length, offset);
  for (const id of except) bytes(id);
  offset = out.writeUInt32BE(entry.messages.length, offset);
  entry.messages.forEach((message, i) => {
    offset = out.writeUInt32BE(message.bytes.size, offset);
    let j = 0;
    for (const body of message.bytes.values()) {
      bytes(names[i]![j++]!);
      bytes(body);
    }
  });
  return out;
}

/** Decodes an entry payload; throws a RangeError for bytes that are not one. */
export function decodeEntry(input: Buffer): EntryPayload {
  let offset = 0;
  const need = (count: number): void => {
    if (offset + count > input.length) throw new RangeError('Not a history entry: truncated.');
  };
  const uint = (): number => {
    need(4);
    const value = input.readUInt32BE(offset);
    offset += 4;
    return value;
  };
  const bytes = (): Buffer => {
    const length = uint();
    need(length);
    // A view, not a copy: the bytes go to sockets as they are.
    const value = input.subarray(offset, offset + length);
    offset += length;
    return value;
  };
  // Each counted item takes at least 4 bytes: a count beyond that is a lie, not a loop bound.
  const count = (): number => {
    const value = uint();
    if (value > (input.length - offset) / 4) throw new RangeError('Not a history entry: truncated.');
    return value;
  };
  need(1);
  if (input[offset++] !== VERSION) throw new RangeError('Not a history entry: unknown version.');
  const except: string[] = [];
  for (let i = count(); i > 0; i--) except.push(bytes().toString('utf8'));
  const messages: EntryMessage[] = [];
  for (let i = count(); i > 0; i--) {
    const map = new Map<string, Buffer>();
    for (let j = count(); j > 0; j--) map.set(bytes().toString('utf8'), bytes());
    messages.push({ bytes: map });
  }
  if (offset !== input.length) throw new RangeError('Not a history entry: trailing bytes.');
  return { messages, except };
}
