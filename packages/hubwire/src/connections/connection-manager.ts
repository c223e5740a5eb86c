/**
 * The registry of a hub's connections by token, and the sweep that forgets negotiated
 * connections no transport ever claimed.
 * @module
 */
import type { Clock } from '../core/clock.js';
import { newConnectionId } from '../core/ids.js';
import { HttpConnection, type Principal } from './http-connection.js';

/** Creates, finds and forgets {@link HttpConnection}s. */
export class ConnectionManager {
  readonly #byToken = new Map<string, HttpConnection>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * A new connection; version 0 uses the connection id as its token. Of the request that creates
   * it only the user is kept: the request a hub sees is set when a transport attaches.
   */
  create(negotiateVersion: number, principal: Principal | undefined): HttpConnection {
    const connectionId = newConnectionId();
    const token = negotiateVersion >= 1 ? newConnectionId() : connectionId;
    const connection = new HttpConnection({
      connectionId,
      token,
      negotiateVersion,
      createdAt: this.#clock.now(),
      principal,
    });
    this.#byToken.set(token, connection);
    return connection;
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
        transport.abort();
        connection.state = 'closed';
        this.#forget(connection);
      }
    }
  }

  #forget(connection: HttpConnection): void {
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
