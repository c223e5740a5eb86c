/**
 * What the HTTP edge of one endpoint (a hub or a raw connection handler) lets in: negotiates per
 * client address, pending connections (negotiated, no transport yet) in total and per address,
 * and connections open at once per user and per address. Every refusal names its limit, says
 * when to retry and carries the text of the 429 answer; nothing is dropped silently.
 * @module
 */
import { HubwireError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { MetricLabels, Metrics } from '../core/metrics.js';
import { clientAddressResolver, type ClientAddressResolver } from '../limits/client-address.js';
import { RateLimiter, type RateLimitOptions } from '../limits/rate-limits.js';
import type { ConnectionRequestInfo, HttpConnection } from './http-connection.js';

/** The options of an endpoint that bound what its HTTP edge admits. */
export interface EdgeLimitOptions {
  /** Negotiated connections waiting for their transport, at most, on this endpoint. */
  readonly maximumPendingConnections: number;
  /** The same, per client address. */
  readonly maximumPendingConnectionsPerAddress: number;
  /** Rate limits; the HTTP edge checks negotiatesPerAddress, connectionsPerUser, connectionsPerAddress. */
  readonly rateLimits: RateLimitOptions;
  /** Proxies whose `X-Forwarded-For` names the client (see {@link clientAddressResolver}). */
  readonly trustedProxies: readonly string[];
  /** How long a pending connection may wait for its transport (ms): when a pending slot frees at the latest. */
  readonly disconnectTimeout: number;
}

/**
 * Checks `rateLimits` and `trustedProxies` by building what they configure (the other edge
 * options are plain positive integers the caller checks); throws HUB_ERR_INVALID_OPTION.
 */
export function checkEdgeLimitOptions(options: Pick<EdgeLimitOptions, 'rateLimits' | 'trustedProxies'>): void {
  const checks = [
    ['rateLimits', () => new RateLimiter(options.rateLimits)],
    ['trustedProxies', () => clientAddressResolver(options.trustedProxies)],
  ] as const;
  for (const [name, build] of checks) {
    try {
      build();
    } catch (error) {
      throw new HubwireError('HUB_ERR_INVALID_OPTION', `Option '${name}' is invalid: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Which limit refused a request at the edge. */
export type EdgeLimitName =
  | 'negotiatesPerAddress'
  | 'maximumPendingConnections'
  | 'maximumPendingConnectionsPerAddress'
  | 'connectionsPerUser'
  | 'connectionsPerAddress';

/** A refusal: answered 429 with `Retry-After: retryAfterSeconds` and `text` as a `text/plain` body. */
export interface EdgeRefusal {
  readonly limit: EdgeLimitName;
  readonly retryAfterSeconds: number;
  readonly text: string;
}

/** The bodies of the 429 answers, by limit. */
export const EDGE_LIMIT_TEXTS: Readonly<Record<EdgeLimitName, string>> = Object.freeze({
  negotiatesPerAddress: 'Too many connection attempts from this address.',
  maximumPendingConnections: 'Too many connections are being negotiated.',
  maximumPendingConnectionsPerAddress: 'Too many connections are being negotiated from this address.',
  connectionsPerUser: 'Too many connections for this user.',
  connectionsPerAddress: 'Too many connections from this address.',
});

/**
 * When a client refused by a connection count may retry. Nothing predicts when one of its
 * connections ends; a few seconds keep a reconnect loop from hammering without locking it out.
 */
export const CONNECTION_LIMIT_RETRY_AFTER_SECONDS = 5;

/** What an {@link EdgeLimits} reports through. */
export interface EdgeLimitsInit {
  readonly options: EdgeLimitOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The endpoint's metric labels (`{ hub: path }` or `{ connection: path }`). */
  readonly labels: MetricLabels;
  readonly path: string;
}

/** Who a counted connection was counted as, to give exactly that back when it ends. */
interface Counted {
  readonly user: string | undefined;
  readonly address: string;
}

/** The admission state of one endpoint's edge. */
export class EdgeLimits {
  /** The endpoint's rate limiter; hub connections use it for the invocation limits. */
  readonly rateLimiter: RateLimiter;
  readonly #clientAddress: ClientAddressResolver;
  readonly #options: EdgeLimitOptions;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #labels: MetricLabels;
  readonly #path: string;
  /** Pending connections by the address their negotiate came from. */
  readonly #pending = new Map<HttpConnection, string>();
  readonly #pendingByAddress = new Map<string, number>();
  /** Connections counted by the connection limits when a transport claimed them. */
  readonly #counted = new Map<HttpConnection, Counted>();

  constructor(init: EdgeLimitsInit) {
    this.#options = init.options;
    this.rateLimiter = new RateLimiter(init.options.rateLimits);
    this.#clientAddress = clientAddressResolver(init.options.trustedProxies);
    this.#logger = init.logger;
    this.#metrics = init.metrics;
    this.#labels = init.labels;
    this.#path = init.path;
  }

  /** The client address of a request: its socket's, or `X-Forwarded-For`'s when the socket is a trusted proxy. */
  clientAddressOf(request: ConnectionRequestInfo): string {
    return this.#clientAddress(request.remoteAddress, request.headers['x-forwarded-for']);
  }

  /** A negotiate, or a WebSocket without one, from `address` at `now` (ms). */
  negotiate(address: string, now: number): EdgeRefusal | undefined {
    const refused = this.rateLimiter.negotiate(address, now);
    if (refused === undefined) return undefined;
    return this.#refuse('negotiatesPerAddress', address, Math.max(1, Math.ceil((refused.retryAfterMs ?? 1000) / 1000)), this.rateLimiter.dryRun);
  }

  /**
   * Whether one more pending connection from `address` fits. These caps bound memory, so a dry
   * run does not lift them. A slot frees at the latest when the sweep forgets a pending connection.
   */
  admitPending(address: string): EdgeRefusal | undefined {
    const retryAfter = Math.max(1, Math.ceil(this.#options.disconnectTimeout / 1000));
    if (this.#pending.size >= this.#options.maximumPendingConnections) return this.#refuse('maximumPendingConnections', address, retryAfter, false);
    if ((this.#pendingByAddress.get(address) ?? 0) >= this.#options.maximumPendingConnectionsPerAddress) {
      return this.#refuse('maximumPendingConnectionsPerAddress', address, retryAfter, false);
    }
    return undefined;
  }

  /** Counts `connection` as pending for `address` (call right after {@link EdgeLimits.admitPending}). */
  addPending(connection: HttpConnection, address: string): void {
    this.#pending.set(connection, address);
    this.#pendingByAddress.set(address, (this.#pendingByAddress.get(address) ?? 0) + 1);
  }

  /** Pending connections now (all, or from one address). */
  pendingCount(address?: string): number {
    return address === undefined ? this.#pending.size : (this.#pendingByAddress.get(address) ?? 0);
  }

  /**
   * A transport claims `connection` for `user` from `address`: it stops being pending and is
   * counted by the connection limits. On a refusal nothing is counted and the caller refuses the
   * transport request.
   */
  claim(connection: HttpConnection, user: string | undefined, address: string): EdgeRefusal | undefined {
    this.#unpend(connection);
    if (!this.rateLimiter.limitsConnections) return undefined;
    const refused = this.rateLimiter.connectionOpened(user, address);
    if (refused === undefined) {
      this.#counted.set(connection, { user, address });
      return undefined;
    }
    const limit = refused.limit === 'connectionsPerUser' ? 'connectionsPerUser' : 'connectionsPerAddress';
    // Let through by a dry run, it holds no count, so its end gives none back.
    return this.#refuse(limit, address, CONNECTION_LIMIT_RETRY_AFTER_SECONDS, this.rateLimiter.dryRun);
  }

  /** `connection` has ended (or was forgotten): gives back whatever it holds, once. */
  release(connection: HttpConnection): void {
    this.#unpend(connection);
    const counted = this.#counted.get(connection);
    if (counted !== undefined) {
      this.#counted.delete(connection);
      this.rateLimiter.connectionClosed(counted.user, counted.address, connection.connectionId);
    } else {
      this.rateLimiter.forgetConnection(connection.connectionId);
    }
  }

  #unpend(connection: HttpConnection): void {
    const address = this.#pending.get(connection);
    if (address === undefined) return;
    this.#pending.delete(connection);
    const count = this.#pendingByAddress.get(address) ?? 0;
    if (count <= 1) this.#pendingByAddress.delete(address);
    else this.#pendingByAddress.set(address, count - 1);
  }

  /** Counts and logs a refusal; undefined (allowed) when `dryRun`. */
  #refuse(limit: EdgeLimitName, address: string, retryAfterSeconds: number, dryRun: boolean): EdgeRefusal | undefined {
    const labels = { ...this.#labels, limit };
    if (dryRun) {
      this.#metrics.increment('rateLimitedDryRun', labels);
      this.#logger.warn({ path: this.#path, limit, clientAddress: address }, 'rate limit exceeded (dry run: let through)');
      return undefined;
    }
    this.#metrics.increment('rateLimited', labels);
    // Debug only: under a flood every refusal would be a line; the counter shows the volume.
    this.#logger.debug({ path: this.#path, limit, clientAddress: address }, 'rate limited');
    return { limit, retryAfterSeconds, text: EDGE_LIMIT_TEXTS[limit] };
  }
}
