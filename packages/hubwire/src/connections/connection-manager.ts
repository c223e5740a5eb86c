/**
 * The registry of a hub's connections by token, and the sweep that forgets negotiated
 * connections no transport ever claimed.
 * @module
 */
import type { Clock } from '../core/clock.js';
import { newConnectionId } from '../core/ids.js';
import { HttpConnection, type ConnectionRequestInfo, type Principal } from './http-connection.js';

/** Creates, finds and forgets {@link HttpConnection}s. */
export class ConnectionManager {
  readonly #byToken = new Map<string, HttpConnection>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** A new connection; version 0 uses the connection id as its token. */
  create(negotiateVersion: number, request: ConnectionRequestInfo, principal: Principal | undefined): HttpConnection {
    const connectionId = newConnectionId();
    const token = negotiateVersion >= 1 ? newConnectionId() : connectionId;
    const connection = new HttpConnection({
      connectionId,
      token,
      negotiateVersion,
      createdAt: this.#clock.now(),
      request,
      principal,
    });
    this.#byToken.set(token, connection);
    return connection;
  }

  get(token: string): HttpConnection | undefined {
    return this.#byToken.get(token);
  }

  /** Forgets a connection at once, so its token answers 404 from now on. */
  remove(connection: HttpConnection): void {
    connection.state = 'closed';
    if (this.#byToken.get(connection.token) === connection) this.#byToken.delete(connection.token);
  }

  /**
   * Forgets connections that got no transport within `disconnectTimeout` ms of being created:
   * negotiated but never used, or whose transport request failed half-way.
   */
  sweep(disconnectTimeout: number): void {
    const deadline = this.#clock.now() - disconnectTimeout;
    for (const connection of this.#byToken.values()) {
      if (connection.transport === undefined && connection.createdAt <= deadline) this.remove(connection);
    }
  }

  get size(): number {
    return this.#byToken.size;
  }

  /** Every connection still registered (for shutdown). */
  all(): IterableIterator<HttpConnection> {
    return this.#byToken.values();
  }
}
