/**
 * The registry of a hub's connections by token, the sweep that forgets negotiated connections no
 * transport ever claimed, and the limits of what the HTTP edge admits ({@link EdgeLimits}): a
 * connection is pending from its creation until a transport claims it, counted by the
 * connection limits from then on, and gives back what it holds exactly once when it is removed
 * or swept.
 * @module
 */
import type { Clock } from '../core/clock.js';
import { newConnectionId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { MetricLabels, Metrics } from '../core/metrics.js';
import type { TransportKind } from '../transports/transport.js';
import { EdgeLimits, type EdgeLimitOptions, type EdgeRefusal } from './edge-limits.js';
import { HttpConnection, type ConnectionRequestInfo, type Principal } from './http-connection.js';

/** What a {@link ConnectionManager} is built from: its endpoint's clock, limits and reporting. */
export interface ConnectionManagerInit {
  readonly clock: Clock;
  readonly options: EdgeLimitOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly labels: MetricLabels;
  readonly path: string;
}

/** What a transport request that claims a connection brings. */
export interface TransportClaim {
  readonly kind: TransportKind;
  /** The user the request proved; undefined keeps the one negotiate proved. */
  readonly principal: Principal | undefined;
  /** The request, which becomes the connection's. */
  readonly request: ConnectionRequestInfo;
}

/** Creates, finds and forgets {@link HttpConnection}s. */
export class ConnectionManager {
  readonly #byToken = new Map<string, HttpConnection>();
  readonly #clock: Clock;
  /** What the edge admits; its `rateLimiter` also holds the invocation limits hub connections check. */
  readonly limits: EdgeLimits;

  constructor(init: ConnectionManagerInit) {
    this.#clock = init.clock;
    this.limits = new EdgeLimits(init);
  }

  /** The client address of a request (honouring `X-Forwarded-For` only from trusted proxies). */
  clientAddressOf(request: ConnectionRequestInfo): string {
    return this.limits.clientAddressOf(request);
  }

  /** A negotiate (or a WebSocket without one) from `address`: refused past `negotiatesPerAddress`. */
  negotiate(address: string): EdgeRefusal | undefined {
    return this.limits.negotiate(address, this.#clock.now());
  }

  /**
   * A new pending connection for a client at `clientAddress`, or the refusal when the pending
   * caps are reached; version 0 uses the connection id as its token. Of the request that creates
   * it only the user and the client address are kept: the request a hub sees is set when a
   * transport attaches.
   */
  create(negotiateVersion: number, principal: Principal | undefined, clientAddress: string): HttpConnection | EdgeRefusal {
    const refused = this.limits.admitPending(clientAddress);
    if (refused !== undefined) return refused;
    const connectionId = newConnectionId();
    const token = negotiateVersion >= 1 ? newConnectionId() : connectionId;
    const connection = new HttpConnection({
      connectionId,
      token,
      negotiateVersion,
      createdAt: this.#clock.now(),
      principal,
      clientAddress,
    });
    this.#byToken.set(token, connection);
    this.limits.addPending(connection, clientAddress);
    return connection;
  }

  /**
   * Binds a pending connection to its first transport: its kind, the user the transport request
   * proved (or negotiate's, if it proved none), that request and its client address. The
   * connection stops being pending and is counted by the connection limits; refused by one, it
   * is removed and the refusal returned for the caller to answer.
   */
  claim(connection: HttpConnection, claim: TransportClaim): EdgeRefusal | undefined {
    const principal = claim.principal ?? connection.principal;
    const clientAddress = this.clientAddressOf(claim.request);
    const refused = this.limits.claim(connection, principal?.userIdentifier, clientAddress);
    if (refused !== undefined) {
      this.remove(connection);
      return refused;
    }
    connection.transportKind = claim.kind;
    connection.request = claim.request;
    connection.principal = principal;
    connection.clientAddress = clientAddress;
    return undefined;
  }

  get(token: string): HttpConnection | undefined {
    return this.#byToken.get(token);
  }

  /**
   * Marks a connection ended and forgets its token, so it answers 404 from now on. A long-polling
   * connection that is still draining (its client has yet to collect the last messages and the
   * final 204) keeps its token until then; call again once it has.
   */
  remove(connection: HttpConnection): void {
    connection.state = 'closed';
    this.limits.release(connection);
    if (connection.transport?.draining === true) return;
    this.#forget(connection);
  }

  /**
   * The heartbeat's sweep, with ASP.NET's `disconnectTimeout` (ms) for each case:
   * - negotiated connections no transport claimed in time (never used, or whose transport request
   *   failed half-way) are forgotten;
   * - long-polling connections whose client has not polled for that long are disposed (the hub
   *   layer hears the transport close, so onDisconnected runs) and forgotten, draining ones too.
   */
  sweep(disconnectTimeout: number): void {
    const deadline = this.#clock.now() - disconnectTimeout;
    for (const connection of this.#byToken.values()) {
      const transport = connection.transport;
      if (transport === undefined) {
        // A stateful connection waiting for its client to reconnect is timed out by its hub connection.
        if (connection.awaitingResumeSince === undefined && connection.createdAt <= deadline) this.remove(connection);
      } else if (transport.idleSince !== undefined && transport.idleSince <= deadline) {
        connection.endStatus ??= 'timeout';
        transport.abort();
        connection.state = 'closed';
        this.#forget(connection);
      }
    }
  }

  #forget(connection: HttpConnection): void {
    this.limits.release(connection);
    if (this.#byToken.get(connection.token) === connection) this.#byToken.delete(connection.token);
  }

  get size(): number {
    return this.#byToken.size;
  }

  /** Every connection still registered (for shutdown). */
  all(): IterableIterator<HttpConnection> {
    return this.#byToken.values();
  }
}
