/**
 * The WebSocket compression option, its defaults and its check: what the hub options and the
 * public API name. Apart from the deflate itself (`websocket-compression.ts`) so that the
 * published declarations of the options import nothing of `ws`, whose types a user may not have.
 * @module
 */
import { HubwireError } from '../core/errors.js';

/**
 * Compression of outgoing WebSocket messages. `false` (the default, as in ASP.NET) offers no
 * extension in the handshake; an object accepts a client's permessage-deflate offer.
 *
 * @example
 * ```ts
 * createHubServer({ webSocketCompression: { threshold: 2048 } })
 *   .mapHub('/reports', ReportsHub) // inherits the server's setting
 *   .mapHub('/chat', ChatHub, { webSocketCompression: false }); // small messages: not worth it
 * ```
 */
export type WebSocketCompression = false | WebSocketCompressionOptions;

/** How outgoing messages are compressed once a client negotiated permessage-deflate. */
export interface WebSocketCompressionOptions {
  /** Messages smaller than this (bytes) go uncompressed. Default 1024. */
  readonly threshold?: number;
  /** zlib level, 1 (fastest) to 9 (smallest). Default 6, zlib's own (and `ws`' and browsers'). */
  readonly level?: number;
}

/** {@link WebSocketCompressionOptions} with the defaults filled in. */
export interface ResolvedWebSocketCompression {
  readonly threshold: number;
  readonly level: number;
}

/** Default {@link WebSocketCompressionOptions.threshold}. */
export const DEFAULT_COMPRESSION_THRESHOLD = 1024;
const DEFAULT_LEVEL = 6;

/**
 * Largest message compressed. Deflating runs synchronously, once per message whatever the number
 * of recipients, so it is bounded: 64 KiB costs well under a millisecond at level 6. Larger
 * messages go uncompressed rather than stall the event loop.
 */
export const MAXIMUM_COMPRESSED_MESSAGE_SIZE = 64 * 1024;

/** The window RFC 7692 assumes when `server_max_window_bits` was not negotiated. */
export const DEFAULT_WINDOW_BITS = 15;

/** Checks the option and fills in its defaults; undefined when compression is off. Throws HUB_ERR_INVALID_OPTION. */
export function resolveWebSocketCompression(value: unknown): ResolvedWebSocketCompression | undefined {
  if (value === false || value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw invalid('webSocketCompression', 'false or { threshold?, level? }', value);
  const { threshold = DEFAULT_COMPRESSION_THRESHOLD, level = DEFAULT_LEVEL } = value as WebSocketCompressionOptions;
  if (!Number.isInteger(threshold) || threshold < 0) throw invalid('webSocketCompression.threshold', 'a non-negative integer', threshold);
  if (!Number.isInteger(level) || level < 1 || level > 9) throw invalid('webSocketCompression.level', 'an integer from 1 to 9', level);
  return { threshold, level };
}

function invalid(name: string, expected: string, value: unknown): HubwireError {
  return new HubwireError('HUB_ERR_INVALID_OPTION', `Option '${name}' must be ${expected}; got ${JSON.stringify(value) ?? String(value)}.`);
}

