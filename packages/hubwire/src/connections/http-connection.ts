/**
 * One logical connection at the HTTP level: created by negotiate (or by a WebSocket without an
 * id), registered under its token, and bound to at most one transport at a time.
 * @module
 */
import type { ConnectionStatus } from '../core/instruments.js';
import type { Transport, TransportEvents, TransportKind } from '../transports/transport.js';

/** The hub layer's hook for taking over a new WebSocket of a stateful-reconnect connection. */
export interface TransportResumer {
  /** Attaches the transport `attach` builds and replays what the client missed; false if too late. */
  resume(attach: (events: TransportEvents) => Transport): boolean;
}

/** Where a connection is in its life. */
export type ConnectionState = 'negotiated' | 'active' | 'closed';

/** Who the client is, as established by an authenticator. */
export interface Principal {
  /** The id that `clients.user(id)` targets; usually the token's subject. */
  readonly userIdentifier?: string;
  /** Roles checked by authorization requirements. */
  readonly roles?: readonly string[];
  /** Every claim of the user (e.g. the verified JWT payload). */
  readonly claims: Readonly<Record<string, unknown>>;
  /**
   * When the proof of identity runs out (ms since the epoch), for `closeOnAuthenticationExpiration`.
   * When absent, a numeric `exp` claim (JWT, seconds) is used.
   */
  readonly expiresAt?: number;
}

/**
 * What Hubwire keeps of an HTTP request. An authenticator sees the request it checks; a
 * connection (`context.request` in a hub, `connection.request` of a raw connection) sees the
 * request that established its transport, as ASP.NET's `Context.GetHttpContext()`: the
 * WebSocket upgrade, the Server-Sent Events `GET`, or the first long-polling `GET` (later polls do
 * not replace it). Never the negotiate `POST`: that one carries no transport, and clients may send
 * it with other headers, query or cookies.
 */
export interface ConnectionRequestInfo {
  /**
   * Header names in lower case, as `node:http` gives them. A WebSocket connection's lack the
   * handshake's own (`Connection`, `Upgrade`, `Sec-WebSocket-Key`, `-Version`, `-Extensions`).
   */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The query of the request URL (`id`, `access_token` and the client's own parameters). */
  readonly query: URLSearchParams;
  /** The `Cookie` header parsed by name (values URL-decoded); `{}` without one. Parsed on first read. */
  readonly cookies: Readonly<Record<string, string | undefined>>;
  readonly remoteAddress: string | undefined;
}

/** What a connection reports as its request before a transport attached (nothing is kept of negotiate). */
export const NO_REQUEST: ConnectionRequestInfo = Object.freeze({
  headers: Object.freeze({}),
  query: new URLSearchParams(),
  cookies: Object.freeze({}),
  remoteAddress: undefined,
});

/** The transport-level half of a connection. */
export class HttpConnection {
  readonly connectionId: string;
  /** The secret the client puts in `id=`; equals connectionId for negotiate version 0. */
  readonly token: string;
  readonly negotiateVersion: number;
  readonly createdAt: number;
  /**
   * The request that established the transport ({@link ConnectionRequestInfo}); set when a
   * transport attaches, and again when stateful reconnect resumes on a new WebSocket (as ASP.NET
   * does). {@link NO_REQUEST} before.
   */
  request: ConnectionRequestInfo = NO_REQUEST;
  /** Who the client is; with the client address, all that is kept of the negotiate request until a transport attaches. */
  principal: Principal | undefined;
  /**
   * The client's address: the socket's, or `X-Forwarded-For`'s when the socket is a trusted
   * proxy (`trustedProxies`). Negotiate's until a transport attaches, then the transport
   * request's. What the per-address limits count.
   */
  clientAddress: string;
  state: ConnectionState = 'negotiated';
  transport: Transport | undefined;
  /** The kind of transport first attached; a connection never changes kinds. */
  transportKind: TransportKind | undefined;
  /** Negotiated with `useStatefulReconnect`. */
  statefulReconnect = false;
  /** Set while a new WebSocket may take over this connection (stateful reconnect is on). */
  resumer: TransportResumer | undefined;
  /** Since when (clock ms) the connection has lost its WebSocket and waits for the client to come back. */
  awaitingResumeSince: number | undefined;
  /**
   * How the connection ended, for `signalr.server.connection.duration`: set by whoever ends it
   * for a timeout or the server's shutdown (the first one wins); unset means `normal_closure`.
   */
  endStatus: ConnectionStatus | undefined;
  /**
   * The tail of the chain of POSTs being fed to the connection (see
   * {@link HttpConnection.serializeSend}); created on first use, WebSocket connections never need it.
   */
  #sending: Promise<void> | undefined;

  constructor(init: {
    connectionId: string;
    token: string;
    negotiateVersion: number;
    createdAt: number;
    principal: Principal | undefined;
    clientAddress: string;
  }) {
    this.connectionId = init.connectionId;
    this.token = init.token;
    this.negotiateVersion = init.negotiateVersion;
    this.createdAt = init.createdAt;
    this.principal = init.principal;
    this.clientAddress = init.clientAddress;
  }

  /**
   * Runs `task` once every earlier one has finished, so concurrent POSTs reach the connection
   * whole and in arrival order (ASP.NET's per-connection write lock).
   */
  serializeSend<T>(task: () => Promise<T>): Promise<T> {
    const run = (this.#sending ?? Promise.resolve()).then(task);
    this.#sending = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
