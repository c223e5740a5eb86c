/**
 * Pre-framed WebSocket writes for broadcasts. A broadcast hands every recipient the same payload
 * Buffer; framing it once (header + payload in one Buffer) and writing that Buffer straight to
 * each socket saves every recipient a frame build and a corked two-buffer write. This leans on
 * `ws` internals (as Socket.IO's engine does), so it is used only when a capability check passes
 * and the socket's sender is idle; anything else goes through `ws.send`.
 * @module
 */
import * as ws from 'ws';
import type { WebSocket } from 'ws';

interface SenderInternals {
  readonly _state?: number;
  readonly _firstFragment?: boolean;
}

interface SocketInternals {
  readonly _sender?: SenderInternals;
  readonly _socket?: { write(chunk: Buffer): boolean };
}

type FrameFn = (data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }) => Buffer[];

// ws's ESM entry exports Sender (undocumented, untyped): use it only if it is what we expect.
const frame: FrameFn | undefined = (() => {
  const candidate = (ws as unknown as { Sender?: { frame?: unknown } }).Sender?.frame;
  return typeof candidate === 'function' ? (candidate as FrameFn).bind((ws as unknown as { Sender: object }).Sender) : undefined;
})();

// Keyed by the payload Buffer every recipient of one broadcast shares; entries go with it.
const framesByPayload = new WeakMap<Buffer, Buffer>();

const TEXT = 1;
const BINARY = 2;
// ws's Sender state when nothing is queued or being compressed.
const SENDER_IDLE = 0;

/**
 * Writes `payload` as one unmasked, final, uncompressed frame to `socket`, reusing the frame
 * built for the same Buffer before. Returns false (and writes nothing) when that cannot be done
 * safely; the caller then uses `socket.send`.
 */
export function writePreframed(socket: WebSocket, payload: Buffer, binary: boolean): boolean {
  if (frame === undefined) return false;
  const internals = socket as unknown as SocketInternals;
  const sender = internals._sender;
  const raw = internals._socket;
  // Only while ws has nothing of its own in flight, so frames never interleave or reorder.
  if (raw === undefined || sender === undefined || sender._state !== SENDER_IDLE || sender._firstFragment !== true) return false;
  let framed = framesByPayload.get(payload);
  if (framed === undefined) {
    const parts = frame(payload, { fin: true, rsv1: false, opcode: binary ? BINARY : TEXT, mask: false, readOnly: true });
    framed = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    framesByPayload.set(payload, framed);
  }
  raw.write(framed);
  return true;
}
