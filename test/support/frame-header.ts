/**
 * The header of a server-to-client WebSocket frame (RFC 6455 §5.2; unmasked), for the test
 * clients that read raw frames off a TCP socket.
 */

/** A frame's first byte, its payload length and where the payload starts. */
export interface FrameHeader {
  /** FIN, RSV1–3 and the opcode. */
  readonly first: number;
  readonly length: number;
  readonly offset: number;
}

/** The header at the start of `input`, or undefined while the whole frame has not arrived. */
export function completeFrameHeader(input: Buffer): FrameHeader | undefined {
  if (input.length < 2) return undefined;
  let length = input[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (input.length < 4) return undefined;
    length = input.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (input.length < 10) return undefined;
    length = Number(input.readBigUInt64BE(2));
    offset = 10;
  }
  if (input.length < offset + length) return undefined;
  return { first: input[0]!, length, offset };
}
