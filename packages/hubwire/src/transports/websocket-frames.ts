/**
 * Pre-framed WebSocket writes for broadcasts. A broadcast hands every recipient the same payload
 * Buffer; framing it once (header + payload in one Buffer) and writing that Buffer straight to
 * each socket saves every recipient a frame build and a corked two-buffer write. This leans on
 * `ws` internals (as Socket.IO's engine does), so it is used only when a capability check passes
 * and the socket's sender is idle; anything else goes through `ws.send`. Compressed frames
 * (permessage-deflate) are built the same way, once per payload and window, and only this way.
 * @module
 */
import * as ws from 'ws';
import type { WebSocket } from 'ws';
import { deflatePayload } from './websocket-compression.js';

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

/** A payload's compressed frame for one (level, window); others are rare (a client's small window). */
interface CompressedFrames {
  readonly key: number;
  readonly frame: Buffer;
  others?: Map<number, Buffer>;
}
const compressedByPayload = new WeakMap<Buffer, CompressedFrames>();

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
  const raw = idleSocketOf(socket);
  if (raw === undefined) return false;
  let framed = framesByPayload.get(payload);
  if (framed === undefined) {
    const parts = frame!(payload, { fin: true, rsv1: false, opcode: binary ? BINARY : TEXT, mask: false, readOnly: true });
    framed = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    framesByPayload.set(payload, framed);
  }
  raw.write(framed);
  return true;
}

/** Whether frames can be written this way at all with the installed `ws` (compression needs it). */
export const preframingAvailable: boolean = frame !== undefined;

/**
 * Writes `payload` as one compressed (RSV1) final frame, deflated without context so any
 * recipient that negotiated permessage-deflate with a window of `windowBits` can inflate it. The
 * deflate and the frame are made once per payload Buffer, level and window, and shared. Returns
 * the frame's length, or undefined (nothing written) when the socket is not idle as in
 * {@link writePreframed}.
 */
export function writePrecompressed(socket: WebSocket, payload: Buffer, binary: boolean, level: number, windowBits: number, shared: boolean): number | undefined {
  const raw = idleSocketOf(socket);
  if (raw === undefined) return undefined;
  const key = windowBits * 16 + level;
  const cached = shared ? compressedByPayload.get(payload) : undefined;
  let framed = cached?.key === key ? cached.frame : cached?.others?.get(key);
  if (framed === undefined) {
    const parts = frame!(deflatePayload(payload, level, windowBits), { fin: true, rsv1: true, opcode: binary ? BINARY : TEXT, mask: false, readOnly: false });
    framed = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    // A payload of one send (not shared) is written once: nothing to keep.
    if (shared && cached === undefined) compressedByPayload.set(payload, { key, frame: framed });
    else if (shared) (cached!.others ??= new Map()).set(key, framed);
  }
  raw.write(framed);
  return framed.length;
}

/** The raw socket when ws has nothing of its own in flight, so frames never interleave or reorder. */
function idleSocketOf(socket: WebSocket): { write(chunk: Buffer): boolean } | undefined {
  if (frame === undefined) return undefined;
  const internals = socket as unknown as SocketInternals;
  const sender = internals._sender;
  const raw = internals._socket;
  if (raw === undefined || sender === undefined || sender._state !== SENDER_IDLE || sender._firstFragment !== true) return undefined;
  return raw;
}
