/**
 * What a hub method knows about the connection that called it.
 * @module
 */
import type { ConnectionRequestInfo, Principal } from '../connections/http-connection.js';
import type { TransportKind } from '../transports/transport.js';

/** The calling connection, as `this.context` in a hub. */
export interface HubCallerContext {
  /** The connection's public id (what `clients.client(id)` and groups use). */
  readonly connectionId: string;
  /** The user id from the authenticator, or undefined for anonymous connections. */
  readonly userIdentifier: string | undefined;
  /** The authenticated user with all claims, or undefined. */
  readonly user: Principal | undefined;
  /** Per-connection storage that lives as long as the connection. */
  readonly items: Map<unknown, unknown>;
  /**
   * Headers, query, cookies and address of the request that established the transport (the
   * WebSocket upgrade, the event-stream GET or the first poll; never negotiate), as ASP.NET's
   * `Context.GetHttpContext()`.
   */
  readonly request: ConnectionRequestInfo;
  /** The transport in use. */
  readonly transport: TransportKind;
  /** The hub protocol in use (`json`, `messagepack`). */
  readonly protocol: string;
  /** An AbortSignal that fires when the connection ends. */
  readonly connectionAborted: AbortSignal;
  /** Ends the connection: the client gets a Close without error and does not reconnect. */
  abort(): void;
}
