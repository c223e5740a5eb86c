/**
 * The hub handshake: the client names a protocol and version in a JSON text frame; the server
 * answers `{}` or `{"error": ...}`. Handshakes are always JSON, whatever the hub protocol.
 * @module
 */
import { HubwireError } from '../core/errors.js';
import { decodeJsonText } from './json/json-reader.js';
import { RECORD_SEPARATOR, RECORD_SEPARATOR_CODE } from './text-framing.js';

/** What the client asked for. */
export interface HandshakeRequest {
  readonly protocol: string;
  readonly version: number;
}

/** The handshake was not valid; `detail` is shown only with detailed errors. */
export class HandshakeError extends HubwireError {
  constructor(detail: string) {
    super('HUB_ERR_HANDSHAKE', detail, { typeName: 'InvalidDataException' });
  }
}

/** The successful handshake response. */
export const HANDSHAKE_SUCCESS = `{}${RECORD_SEPARATOR}`;

/** A failed handshake response carrying `error`. */
export function handshakeErrorResponse(error: string): string {
  return `${JSON.stringify({ error })}${RECORD_SEPARATOR}`;
}

/**
 * Reads the handshake request at the start of `input`.
 * Returns `undefined` while it is incomplete; throws {@link HandshakeError} when it is invalid.
 */
export function parseHandshakeRequest(input: Buffer): { request: HandshakeRequest; consumed: number } | undefined {
  const end = input.indexOf(RECORD_SEPARATOR_CODE);
  if (end === -1) return undefined;
  let text: string;
  try {
    text = decodeJsonText(input, 0, end);
  } catch (error) {
    throw new HandshakeError((error as Error).message);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new HandshakeError(`Error reading JSON. Message content: ${text.slice(0, 200)}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new HandshakeError(`Unexpected JSON Token Type. Expected a JSON Object. Message content: ${text.slice(0, 200)}`);
  }
  const { protocol, version } = doc as Record<string, unknown>;
  if (protocol === undefined) throw new HandshakeError(`Missing required property 'protocol'. Message content: ${text.slice(0, 200)}`);
  if (typeof protocol !== 'string') throw new HandshakeError("Expected 'protocol' to be of type String.");
  if (version === undefined) throw new HandshakeError(`Missing required property 'version'. Message content: ${text.slice(0, 200)}`);
  if (typeof version !== 'number' || !Number.isInteger(version) || version < -2147483648 || version > 2147483647) {
    throw new HandshakeError("Expected 'version' to be of type Integer.");
  }
  return { request: { protocol, version }, consumed: end + 1 };
}
