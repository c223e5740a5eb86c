/**
 * The MessagePack hub protocol's framing: each message behind its length as a VarInt (7 bits a
 * byte, low bits first, the high bit saying another byte follows). Shared by the bench's
 * MessagePack load generator and the MessagePack library comparison.
 * @module
 */

/** One message with its varint length prefix (7 bits a byte, low bits first). */
export function frame(body: Uint8Array): Uint8Array {
  const prefix: number[] = [];
  let size = body.length;
  do {
    let byte = size & 0x7f;
    size >>>= 7;
    if (size > 0) byte |= 0x80;
    prefix.push(byte);
  } while (size > 0);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix, 0);
  out.set(body, prefix.length);
  return out;
}

