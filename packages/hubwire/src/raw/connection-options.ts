/**
 * Options of a raw connection endpoint (`mapConnection`), with their defaults.
 * @module
 */
import type { AuthorizationRequirement } from '../auth/authorization.js';
import type { EndpointOptions } from '../connections/endpoint.js';
import { checkEdgeLimitOptions } from '../connections/edge-limits.js';
import type { RateLimitOptions } from '../limits/rate-limits.js';
import type { ConnectionRequestInfo, Principal } from '../connections/http-connection.js';
import { HubwireError } from '../core/errors.js';
import { TRANSPORT_KINDS, type TransportKind } from '../transports/transport.js';

/**
 * Options of {@link HubServer.mapConnection}. Those a hub has too (transports, auth, limits,
 * timeouts) default to the server's options, then to the defaults below.
 */
export interface MapConnectionOptions {
  /** Transports offered, in order of preference. Default: all three. */
  transports?: readonly TransportKind[];
  /** Identifies the user of each request; anonymous when absent. Throw to refuse with 401. */
  authenticate?: (request: ConnectionRequestInfo) => Principal | undefined | Promise<Principal | undefined>;
  /** Who may connect: requests without a user get 401, a user who does not meet it 403. Default: anyone. */
  authorize?: AuthorizationRequirement;
  /** Largest WebSocket frame accepted; a larger one closes the socket with 1009. Default 1 MiB. */
  maximumWebSocketFrameSize?: number;
  /**
   * Received bytes the handler has not read yet before the transport stops reading from the
   * client (back-pressure: TCP pushes back, a POST stays unanswered). Default 64 KiB, ASP.NET's
   * `ApplicationMaxBufferSize`.
   */
  maximumInboundBufferSize?: number;
  /**
   * Bytes a connection may have waiting for a slow client; a send past it drops the connection
   * (the slow-consumer policy). `send()` returns false past half of it. Default 1 MiB.
   */
  maximumOutboundBufferSize?: number;
  /**
   * How long a negotiated connection may wait for its transport, and a long-polling client may
   * go without polling, before the connection is disposed (ms). Default 15 000.
   */
  disconnectTimeout?: number;
  /** How long an idle long poll is held before it is answered 200 empty (ms). Default 90 000. */
  longPollingPollTimeout?: number;
  /** Lowest negotiate version accepted. Default 0. */
  minimumNegotiateVersion?: number;
  /** Negotiated connections that may wait for their transport at once (429 beyond). Default 100 000. */
  maximumPendingConnections?: number;
  /** The same per client address. Default 1 000. */
  maximumPendingConnectionsPerAddress?: number;
  /**
   * Rate limits of the HTTP edge: `negotiatesPerAddress`, `connectionsPerUser`,
   * `connectionsPerAddress`, `dryRun` (the invocation limits are a hub's). Default: none.
   */
  rateLimits?: RateLimitOptions;
  /** Reverse proxies whose `X-Forwarded-For` names the client. Default: none. */
  trustedProxies?: readonly string[];
}

/** {@link MapConnectionOptions} with every default filled in, as the HTTP layer reads them. */
export interface ResolvedConnectionOptions extends EndpointOptions {
  readonly maximumInboundBufferSize: number;
  readonly maximumOutboundBufferSize: number;
}

/** The defaults (ASP.NET's where it has the option). */
export const DEFAULT_CONNECTION_OPTIONS = Object.freeze({
  transports: TRANSPORT_KINDS,
  maximumWebSocketFrameSize: 1024 * 1024,
  maximumInboundBufferSize: 64 * 1024,
  maximumOutboundBufferSize: 1024 * 1024,
  disconnectTimeout: 15_000,
  longPollingPollTimeout: 90_000,
  minimumNegotiateVersion: 0,
  maximumPendingConnections: 100_000,
  maximumPendingConnectionsPerAddress: 1_000,
  rateLimits: Object.freeze({}),
  trustedProxies: Object.freeze([]),
});

const KEYS = [
  'transports',
  'authenticate',
  'authorize',
  'maximumWebSocketFrameSize',
  'maximumInboundBufferSize',
  'maximumOutboundBufferSize',
  'disconnectTimeout',
  'longPollingPollTimeout',
  'minimumNegotiateVersion',
  'maximumPendingConnections',
  'maximumPendingConnectionsPerAddress',
  'rateLimits',
  'trustedProxies',
] as const satisfies readonly (keyof MapConnectionOptions)[];

function invalid(name: string, expected: string, value: unknown): HubwireError {
  return new HubwireError('HUB_ERR_INVALID_OPTION', `Option '${name}' must be ${expected}; got ${String(value)}.`);
}

/**
 * Merges option layers (the server's, then the endpoint's) over the defaults, keeping only the
 * options a raw connection has, and checks every value; throws HUB_ERR_INVALID_OPTION.
 */
export function resolveConnectionOptions(...layers: (Partial<MapConnectionOptions> | undefined)[]): ResolvedConnectionOptions {
  const resolved: Record<string, unknown> = { ...DEFAULT_CONNECTION_OPTIONS, authenticate: undefined, authorize: undefined };
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const key of KEYS) if (layer[key] !== undefined) resolved[key] = layer[key];
  }
  for (const name of [
    'maximumWebSocketFrameSize',
    'maximumInboundBufferSize',
    'maximumOutboundBufferSize',
    'disconnectTimeout',
    'longPollingPollTimeout',
    'maximumPendingConnections',
    'maximumPendingConnectionsPerAddress',
  ] as const) {
    const value = resolved[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw invalid(name, 'a positive integer', value);
  }
  const minimum = resolved['minimumNegotiateVersion'];
  if (typeof minimum !== 'number' || !Number.isInteger(minimum) || minimum < 0) throw invalid('minimumNegotiateVersion', 'a non-negative integer', minimum);
  for (const transport of resolved['transports'] as readonly TransportKind[]) {
    if (!TRANSPORT_KINDS.includes(transport)) throw invalid('transports', `a list of ${TRANSPORT_KINDS.join(', ')}`, transport);
  }
  checkEdgeLimitOptions(resolved as unknown as Pick<EndpointOptions, 'rateLimits' | 'trustedProxies'>);
  // Resuming a lost WebSocket needs message numbering, which raw bytes do not have.
  return { ...(resolved as unknown as Omit<ResolvedConnectionOptions, 'allowStatefulReconnects'>), allowStatefulReconnects: false };
}
