/**
 * One logical connection at the HTTP level: created by negotiate (or by a WebSocket without an
 * id), registered under its token, and bound to at most one transport at a time.
 * @module
 */
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
}

/** What Hubwire keeps of the HTTP request that started the connection. */
export interface ConnectionRequestInfo {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly query: URLSearchParams;
  readonly remoteAddress: string | undefined;
}

/** The transport-level half of a connection. */
export class HttpConnection {
  readonly connectionId: string;
  /** The secret the client puts in `id=`; equals connectionId for negotiate version 0. */
  readonly token: string;
  readonly negotiateVersion: number;
  readonly createdAt: number;
  readonly request: ConnectionRequestInfo;
  principal: Principal | undefined;
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
   * The tail of the chain of POSTs being fed to the connection (see
   * {@link HttpConnection.serializeSend}); created on first use, WebSocket connections never need it.
   */
  #sending: Promise<void> | undefined;

  constructor(init: {
    connectionId: string;
    token: string;
    negotiateVersion: number;
    createdAt: number;
    request: ConnectionRequestInfo;
    principal: Principal | undefined;
  }) {
    this.connectionId = init.connectionId;
    this.token = init.token;
    this.negotiateVersion = init.negotiateVersion;
    this.createdAt = init.createdAt;
    this.request = init.request;
    this.principal = init.principal;
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
