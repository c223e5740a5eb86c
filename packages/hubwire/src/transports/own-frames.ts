/**
 * One connection's own text message (a Completion, a coalesced batch of them) as one WebSocket
 * frame in one Buffer and one socket write. `ws.send(string)` would encode the string, build the
 * header apart and write both corked: a two-chunk `writev` through the stream machinery for every
 * answer. Here the header and the UTF-8 bytes go into a single allocation, written once — the
 * same write a pre-framed broadcast costs (`websocket-frames.ts`). Like that path it leans on
 * `ws` internals only behind a check that its sender is idle (nothing queued, not mid-message),
 * so frames never interleave; otherwise the caller uses `ws.send`.
 * @module
 */
import type { WebSocket } from 'ws';

interface SocketInternals {
  readonly _sender?: { readonly _state?: number; readonly _firstFragment?: boolean };
  readonly _socket?: { write(chunk: Buffer): boolean };
}

// FIN + the text opcode.
const TEXT_FINAL = 0x81;
// ws's Sender state when nothing is queued or being compressed.
const SENDER_IDLE = 0;

/**
 * Writes `text` as one unmasked, final, uncompressed frame to `socket`. Returns false (having
 * written nothing) when the socket is not in a state to take a frame this way.
 *
 * @example
 * ```ts
 * if (!writeOwnTextFrame(socket, '{"type":3,"invocationId":"1","result":2}\u001e')) socket.send(text);
 * ```
 */
export function writeOwnTextFrame(socket: WebSocket, text: string): boolean {
  const internals = socket as unknown as SocketInternals;
  const sender = internals._sender;
  const raw = internals._socket;
  if (raw === undefined || sender === undefined || sender._state !== SENDER_IDLE || sender._firstFragment !== true) return false;
  const size = Buffer.byteLength(text);
  const header = size < 126 ? 2 : size < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + size);
  frame[0] = TEXT_FINAL;
  if (header === 2) {
    frame[1] = size;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(size, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(size / 2 ** 32), 2);
    frame.writeUInt32BE(size >>> 0, 6);
  }
  frame.write(text, header, size, 'utf8');
  raw.write(frame);
  return true;
}
