/**
 * permessage-deflate (RFC 7692) for WebSockets, with no context takeover either way so that
 * every message is compressed on its own. That is what lets a broadcast compress once: the
 * compressed payload of a message is then the same for every recipient, and is cached beside the
 * protocol bytes it was made from (keyed by that Buffer, which the broadcast's
 * `SerializedMessage` holds and shares), then framed once and written to every socket.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { constants, deflateRawSync } from 'node:zlib';
import type { PerMessageDeflateOptions, WebSocketServer } from 'ws';
import { DEFAULT_WINDOW_BITS, type ResolvedWebSocketCompression } from './websocket-compression-options.js';

export { DEFAULT_COMPRESSION_THRESHOLD, DEFAULT_WINDOW_BITS, MAXIMUM_COMPRESSED_MESSAGE_SIZE, resolveWebSocketCompression, type ResolvedWebSocketCompression, type WebSocketCompression, type WebSocketCompressionOptions } from './websocket-compression-options.js';

/**
 * The `perMessageDeflate` option of a `WebSocketServer`. Both no-context-takeover parameters are
 * answered whatever the client offered (RFC 7692 lets the server add them): the server's so a
 * compressed frame can be shared, the client's so the server's inflater keeps no history between
 * a client's messages. Inflated messages stay bounded by the server's `maxPayload`.
 */
export function perMessageDeflateOptions(compression: ResolvedWebSocketCompression): PerMessageDeflateOptions {
  return {
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    // ws compresses nothing itself (every send says compress: false); these matter only to it.
    threshold: compression.threshold,
    zlibDeflateOptions: { level: compression.level },
  };
}

const acceptedExtensions = new WeakMap<IncomingMessage, string>();

/**
 * Listens to a `WebSocketServer`'s `headers` event (its public hook on the 101 answer) for the
 * `Sec-WebSocket-Extensions` value it accepted per request: `ws`' own `socket.extensions` names
 * the extensions without their parameters, and the window the client asked for is one.
 */
export function recordAcceptedExtensions(wss: WebSocketServer): void {
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    const line = headers.find((header) => header.toLowerCase().startsWith('sec-websocket-extensions:'));
    if (line !== undefined) acceptedExtensions.set(req, line.slice(line.indexOf(':') + 1).trim());
  });
}

/** What {@link recordAcceptedExtensions} saw accepted for `req` ('' for nothing). */
export function acceptedExtensionsOf(req: IncomingMessage): string {
  return acceptedExtensions.get(req) ?? '';
}

/**
 * The window our compressed frames must fit in on a socket: undefined when permessage-deflate was
 * not negotiated, else the `server_max_window_bits` the client asked for, or 15. Read from the
 * accepted `Sec-WebSocket-Extensions` value ({@link acceptedExtensionsOf}).
 */
export function negotiatedWindowBits(extensions: string): number | undefined {
  if (!extensions.includes('permessage-deflate')) return undefined;
  const match = /server_max_window_bits\s*=\s*"?(\d+)/.exec(extensions);
  // zlib's raw deflate cannot use a window of 8 (it makes 9), so a client asking for 8 gets none.
  const bits = match === null ? DEFAULT_WINDOW_BITS : Number(match[1]);
  return bits >= 9 && bits <= 15 ? bits : undefined;
}

let deflates = 0;

/**
 * The RFC 7692 payload of `data`: raw DEFLATE ending in a sync flush, its trailing
 * `00 00 ff ff` removed (the receiver appends it back).
 */
export function deflatePayload(data: Buffer, level: number, windowBits: number): Buffer {
  deflates++;
  const deflated = deflateRawSync(data, { level, windowBits, finishFlush: constants.Z_SYNC_FLUSH });
  return deflated.subarray(0, deflated.length - 4);
}

/** How many payloads were deflated in this process: a test seam for "once per broadcast". */
export function deflateCount(): number {
  return deflates;
}
