/**
 * The server's side of the hub handshake: reads the request at the start of a connection's
 * input and decides, with ASP.NET's texts, whether the protocol and version can be served.
 * @module
 */
import type { HubProtocol } from '../protocol/hub-protocol.js';
import { parseHandshakeRequest } from '../protocol/handshake.js';
import type { TransportKind } from '../transports/transport.js';
import type { HandshakeFailure } from './connection-endings.js';
import * as texts from './error-messages.js';

/** What the acceptor concluded from the input so far. */
export type HandshakeOutcome =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'refused'; readonly error: string; readonly reason: HandshakeFailure }
  | { readonly kind: 'accepted'; readonly protocol: HubProtocol; readonly version: number; readonly consumed: number };

/** What the handshake is checked against. */
export interface HandshakeRules {
  readonly protocols: readonly HubProtocol[];
  readonly maximumReceiveMessageSize: number | null;
  readonly enableDetailedErrors: boolean;
}

const INCOMPLETE: HandshakeOutcome = { kind: 'incomplete' };

/** Reads the handshake request at the start of `input` and checks it against `rules`. */
export function acceptHandshake(input: Buffer, rules: HandshakeRules, transport: TransportKind | undefined): HandshakeOutcome {
  let parsed: ReturnType<typeof parseHandshakeRequest>;
  try {
    parsed = parseHandshakeRequest(input);
  } catch (error) {
    return { kind: 'refused', error: texts.handshakeFailed(error, rules.enableDetailedErrors), reason: 'malformed' };
  }
  const limit = rules.maximumReceiveMessageSize;
  // As ASP.NET: the handshake must end within the first maximumReceiveMessageSize bytes.
  if (parsed === undefined ? limit !== null && input.length >= limit : limit !== null && parsed.consumed > limit) {
    return { kind: 'refused', error: 'Handshake was canceled.', reason: 'too_large' };
  }
  if (parsed === undefined) return INCOMPLETE;
  const { protocol: name, version } = parsed.request;
  const protocol = rules.protocols.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
  if (protocol === undefined) return { kind: 'refused', error: `The protocol '${name}' is not supported.`, reason: 'unsupported_protocol' };
  if (version > protocol.version) return { kind: 'refused', error: `The server does not support version ${version} of the '${name}' protocol.`, reason: 'unsupported_version' };
  if (protocol.transferFormat === 'Binary' && transport === 'ServerSentEvents') {
    return {
      kind: 'refused',
      error: `Cannot use the '${protocol.name}' protocol on the current transport. The transport does not support 'Binary' transfer format.`,
      reason: 'transfer_format',
    };
  }
  return { kind: 'accepted', protocol, version, consumed: parsed.consumed };
}
