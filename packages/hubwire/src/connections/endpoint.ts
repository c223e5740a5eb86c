/**
 * The seam between the HTTP layer and what is mapped on a path: a hub, or a raw connection
 * handler (`mapConnection`). The HTTP layer negotiates, authenticates and attaches transports;
 * the endpoint decides what a connection's bytes mean.
 * @module
 */
import type { AuthorizationRequirement } from '../auth/authorization.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { TransportEvents, TransportKind } from '../transports/transport.js';
import type { WebSocketCompression } from '../transports/websocket-compression-options.js';
import type { ConnectionManager } from './connection-manager.js';
import type { EdgeLimitOptions } from './edge-limits.js';
import type { ConnectionRequestInfo, HttpConnection, Principal } from './http-connection.js';

/** The options of an endpoint the HTTP layer reads (the edge limits among them). */
export interface EndpointOptions extends EdgeLimitOptions {
  /** Transports offered, in order of preference. */
  readonly transports: readonly TransportKind[];
  /** Identifies the user of each request; anonymous when absent. Throwing refuses with 401. */
  readonly authenticate?: ((request: ConnectionRequestInfo) => Principal | undefined | Promise<Principal | undefined>) | undefined;
  /** Who may connect: 401 without a user, 403 for a user who does not meet it. */
  readonly authorize?: AuthorizationRequirement | undefined;
  /** Largest WebSocket frame accepted (bytes); with compression, after inflating. */
  readonly maximumWebSocketFrameSize: number;
  /** permessage-deflate for outgoing messages; off when absent or false. */
  readonly webSocketCompression?: WebSocketCompression | undefined;
  /** Lowest negotiate version accepted. */
  readonly minimumNegotiateVersion: number;
  /** Whether negotiate may answer `useStatefulReconnect` when a client asks. */
  readonly allowStatefulReconnects: boolean;
  /** How long an idle long poll is held (ms). */
  readonly longPollingPollTimeout: number;
  /** How long a negotiated connection may wait for its transport, and a long poll for the next (ms). */
  readonly disconnectTimeout: number;
}

/** What shutdown needs of a connection that has a transport. */
export interface LiveConnection {
  /** Resolves once the transport has closed. */
  readonly closed: Promise<void>;
  /** Drops the transport at once (the end of a shutdown that ran out of time). */
  terminate(): void;
}

/** One mapped path: a hub or a raw connection handler. */
export interface Endpoint {
  readonly path: string;
  readonly options: EndpointOptions;
  /** Its connections by token. */
  readonly connections: ConnectionManager;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Connections with a transport attached. */
  readonly live: ReadonlySet<LiveConnection>;
  /**
   * Starts the application side of `http`, whose transport is being attached (the caller sets
   * `http.transport` right after, in the same turn). Returns where the transport reports.
   */
  open(http: HttpConnection): TransportEvents;
  /** The heartbeat (about once a second): timeouts and the sweep of unused tokens. */
  tick(): void;
  /** Shutdown, first step: refuse new work; resolves when running work has finished. */
  drain(): Promise<void>;
  /** Shutdown, second step: close every connection so its client reconnects elsewhere. */
  shutdown(): void;
}
