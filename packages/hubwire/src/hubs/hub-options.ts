/**
 * Per-hub limits and behaviour, with ASP.NET Core SignalR's defaults.
 * @module
 */
import { HubwireError } from '../core/errors.js';
import type { HubProtocol } from '../protocol/hub-protocol.js';
import { jsonHubProtocol } from '../protocol/json/json-hub-protocol.js';
import type { TransportKind } from '../transports/transport.js';
import { resolveWebSocketCompression, type WebSocketCompression } from '../transports/websocket-compression-options.js';
import type { ConnectionRequestInfo, Principal } from '../connections/http-connection.js';
import type { AuthorizationRequirement } from '../auth/authorization.js';
import type { RateLimitOptions } from '../limits/rate-limits.js';
import { checkEdgeLimitOptions } from '../connections/edge-limits.js';
import type { HubFilter } from './hub-filter.js';

/**
 * Establishes who a request's client is, from its headers or query (e.g. a bearer token).
 * Return `undefined` for an anonymous client; throw to refuse the request with 401.
 */
export type Authenticator = (request: ConnectionRequestInfo) => Principal | undefined | Promise<Principal | undefined>;

/** Options of one hub; each has the default ASP.NET Core SignalR uses. */
export interface HubOptions {
  /** How often the server pings an otherwise idle connection (ms). Default 15 000. */
  keepAliveInterval?: number;
  /**
   * How long a client may stay silent before the server closes it (ms). Enforced after the
   * client's first Ping, as ASP.NET does. Default 30 000.
   */
  clientTimeoutInterval?: number;
  /** How long a client has to complete the hub handshake (ms). Default 15 000. */
  handshakeTimeout?: number;
  /** Largest framed incoming message in bytes; `null` means unlimited. Default 32 768. */
  maximumReceiveMessageSize?: number | null;
  /** Hub method invocations one connection may run at once. Default 1. */
  maximumParallelInvocationsPerClient?: number;
  /** Send error details (type and message of any thrown error) to clients. Default false. */
  enableDetailedErrors?: boolean;
  /**
   * Outbound bytes a connection may have waiting for a slow client before it is closed
   * (the slow-consumer policy). Default 1 MiB.
   */
  maximumOutboundBufferSize?: number;
  /**
   * How long a send may stay unfinished — bytes handed to a WebSocket or an event stream that
   * have not left the process — before the connection is closed (ms; ASP.NET's
   * `TransportSendTimeout`). It catches clients that stopped reading before their backlog reaches
   * `maximumOutboundBufferSize`, since the kernel buffers megabytes first. 0 switches it off.
   * Long polling is exempt: its client collects on its own schedule. Default 10 000.
   */
  transportSendTimeout?: number;
  /**
   * Close a connection when the access token it was opened with expires (ASP.NET's
   * `CloseOnAuthenticationExpiration`): the client gets a Close with `allowReconnect` and no
   * error, and reconnects with a fresh token. Needs an authenticator that sets
   * `Principal.expiresAt` (the JWT one does, from `exp`). Default false.
   */
  closeOnAuthenticationExpiration?: boolean;
  /**
   * Largest single WebSocket frame accepted (it may hold several messages); a compressed message
   * counts inflated, and inflating stops there. Default 1 MiB.
   */
  maximumWebSocketFrameSize?: number;
  /**
   * permessage-deflate on WebSockets (RFC 7692), off by default as in ASP.NET. When on, a client
   * that offers it (browsers and Node's `ws` do by themselves) gets it with no context takeover
   * either way; messages of `threshold` bytes (default 1024) up to 64 KiB go compressed, smaller
   * and larger ones not. A broadcast deflates once per protocol, not once per recipient. See
   * docs/operations.md, "Compression", for when it pays.
   *
   * @example
   * ```ts
   * createHubServer({ webSocketCompression: { threshold: 2048 } });
   * ```
   */
  webSocketCompression?: WebSocketCompression;
  /**
   * How long a negotiated connection may wait for its transport, and a long-polling client may
   * go without polling, before the connection is disposed (ms). Default 15 000.
   */
  disconnectTimeout?: number;
  /**
   * How long a long poll is held when there is nothing to send before it is answered 200 empty
   * (ms). Keep it under the client's own 100 s poll timeout. Default 90 000.
   */
  longPollingPollTimeout?: number;
  /**
   * Negotiated connections of this hub that may wait for their transport at once; beyond it,
   * negotiate (and a WebSocket without negotiate) gets 429 with `Retry-After` until one is
   * claimed or swept (`disconnectTimeout`). Default 100 000.
   */
  maximumPendingConnections?: number;
  /** The same per client address (see `trustedProxies`). Default 1 000. */
  maximumPendingConnectionsPerAddress?: number;
  /**
   * Rate limits (off unless set): negotiates per client address, connections per user and per
   * address, invocations per connection, user and method, and a dry-run mode. A hub's value
   * replaces the server's as a whole. See docs/security.md.
   */
  rateLimits?: RateLimitOptions;
  /**
   * Reverse proxies whose `X-Forwarded-For` names the client, as addresses or CIDR ranges, or
   * `'loopback'`; the per-address limits count that address. Default: none (the socket's address).
   */
  trustedProxies?: readonly string[];
  /** Transports this hub offers, in order of preference. Default: every implemented one. */
  transports?: readonly TransportKind[];
  /** Hub protocols this hub speaks. Default: JSON. */
  protocols?: readonly HubProtocol[];
  /** Lowest negotiate version accepted. Default 0. */
  minimumNegotiateVersion?: number;
  /**
   * Accept clients asking for stateful reconnect (`withStatefulReconnect()`): a WebSocket lost
   * without a close frame can be resumed on the same connection within `disconnectTimeout`,
   * with every message replayed exactly once. Default false, as in ASP.NET.
   */
  allowStatefulReconnects?: boolean;
  /** Unacknowledged bytes kept for replay before further sends wait for the client's Ack. Default 100 000. */
  statefulReconnectBufferSize?: number;
  /** Items an upload stream buffers before the connection stops reading input. Default 10. */
  streamBufferCapacity?: number;
  /** Default timeout of client-result calls (ms); 0 waits as long as the connection lives. Default 0. */
  clientResultTimeout?: number;
  /** Middleware around invocations, connects and disconnects; server-wide filters run first. */
  filters?: readonly HubFilter[];
  /** Identifies the user of each connection; anonymous when absent. */
  authenticate?: Authenticator;
  /**
   * Who may connect: negotiate and transport requests without a user get 401, a user who does
   * not meet the requirement 403. Default: anyone.
   */
  authorize?: AuthorizationRequirement;
}

/** {@link HubOptions} with every default filled in. */
export type ResolvedHubOptions = Required<Omit<HubOptions, 'authenticate' | 'authorize'>> & Pick<HubOptions, 'authenticate' | 'authorize'>;

/** The transports this build of Hubwire implements. */
export const IMPLEMENTED_TRANSPORTS: readonly TransportKind[] = ['WebSockets', 'ServerSentEvents', 'LongPolling'];

/** The defaults, as ASP.NET Core SignalR sets them. */
export const DEFAULT_HUB_OPTIONS: ResolvedHubOptions = Object.freeze({
  keepAliveInterval: 15_000,
  clientTimeoutInterval: 30_000,
  handshakeTimeout: 15_000,
  maximumReceiveMessageSize: 32_768,
  maximumParallelInvocationsPerClient: 1,
  enableDetailedErrors: false,
  maximumOutboundBufferSize: 1024 * 1024,
  maximumWebSocketFrameSize: 1024 * 1024,
  webSocketCompression: false,
  transportSendTimeout: 10_000,
  closeOnAuthenticationExpiration: false,
  disconnectTimeout: 15_000,
  longPollingPollTimeout: 90_000,
  maximumPendingConnections: 100_000,
  maximumPendingConnectionsPerAddress: 1_000,
  rateLimits: Object.freeze({}),
  trustedProxies: Object.freeze([]),
  transports: IMPLEMENTED_TRANSPORTS,
  protocols: [jsonHubProtocol],
  minimumNegotiateVersion: 0,
  allowStatefulReconnects: false,
  statefulReconnectBufferSize: 100_000,
  streamBufferCapacity: 10,
  clientResultTimeout: 0,
  filters: [],
  authenticate: undefined,
  authorize: undefined,
});

function invalid(name: string, expected: string, value: unknown): HubwireError {
  return new HubwireError('HUB_ERR_INVALID_OPTION', `Option '${name}' must be ${expected}; got ${String(value)}.`);
}

function positiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw invalid(name, 'a positive integer', value);
}

/** Merges options over the defaults and checks every value; throws HUB_ERR_INVALID_OPTION. */
export function resolveHubOptions(...layers: (HubOptions | undefined)[]): ResolvedHubOptions {
  const resolved: ResolvedHubOptions = { ...DEFAULT_HUB_OPTIONS };
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
    }
  }
  for (const name of [
    'keepAliveInterval',
    'clientTimeoutInterval',
    'handshakeTimeout',
    'maximumParallelInvocationsPerClient',
    'maximumOutboundBufferSize',
    'maximumWebSocketFrameSize',
    'disconnectTimeout',
    'longPollingPollTimeout',
    'maximumPendingConnections',
    'maximumPendingConnectionsPerAddress',
  ] as const) {
    positiveInteger(name, resolved[name]);
  }
  positiveInteger('streamBufferCapacity', resolved.streamBufferCapacity);
  positiveInteger('statefulReconnectBufferSize', resolved.statefulReconnectBufferSize);
  if (!Number.isInteger(resolved.transportSendTimeout) || resolved.transportSendTimeout < 0) {
    throw invalid('transportSendTimeout', 'a non-negative integer', resolved.transportSendTimeout);
  }
  if (!Number.isInteger(resolved.clientResultTimeout) || resolved.clientResultTimeout < 0) {
    throw invalid('clientResultTimeout', 'a non-negative integer', resolved.clientResultTimeout);
  }
  if (resolved.maximumReceiveMessageSize !== null) positiveInteger('maximumReceiveMessageSize', resolved.maximumReceiveMessageSize);
  if (!Number.isInteger(resolved.minimumNegotiateVersion) || resolved.minimumNegotiateVersion < 0) {
    throw invalid('minimumNegotiateVersion', 'a non-negative integer', resolved.minimumNegotiateVersion);
  }
  for (const transport of resolved.transports) {
    if (!IMPLEMENTED_TRANSPORTS.includes(transport)) {
      throw invalid('transports', `a list of ${IMPLEMENTED_TRANSPORTS.join(', ')}`, transport);
    }
  }
  if (resolved.protocols.length === 0) throw invalid('protocols', 'a non-empty list', '[]');
  resolved.webSocketCompression = resolveWebSocketCompression(resolved.webSocketCompression) ?? false;
  checkEdgeLimitOptions(resolved);
  return resolved;
}
