/**
 * The rate limits of a hub, as named options, and the one object that checks them. The checks
 * are pure (time is passed in), so the HTTP layer and the connection can call them on their hot
 * paths and tests can drive them with a fake clock.
 * @module
 */
import { ConcurrencyLimit, TokenBuckets, type BucketLimit, type TakeResult } from './token-buckets.js';

/** The rate limits of a hub (or, given to `createHubServer`, of every hub). Every limit is off unless set. */
export interface RateLimitOptions {
  /** Invocations (and stream invocations) per connection. */
  readonly invocationsPerConnection?: BucketLimit;
  /** Invocations per user, across all of that user's connections to the hub. */
  readonly invocationsPerUser?: BucketLimit;
  /** Limits of single hub methods (by name, any case), per connection. */
  readonly methods?: Readonly<Record<string, BucketLimit>>;
  /** Connections open at once per user. */
  readonly connectionsPerUser?: number;
  /** Connections open at once per client address. */
  readonly connectionsPerAddress?: number;
  /** Negotiate requests (and WebSockets without negotiate) per client address. */
  readonly negotiatesPerAddress?: BucketLimit;
  /**
   * Count and log what would be refused, but refuse nothing: for finding the right numbers in
   * production before enforcing them.
   */
  readonly dryRun?: boolean;
  /** Most keys (connections, users, addresses) tracked per limit; the least recently used go first. Default 100,000. */
  readonly maxTrackedKeys?: number;
}

/** Which limit refused something. */
export type RateLimitName =
  | 'invocationsPerConnection'
  | 'invocationsPerUser'
  | 'method'
  | 'connectionsPerUser'
  | 'connectionsPerAddress'
  | 'negotiatesPerAddress';

/** A refusal: which limit, and for the bucket limits when to try again. */
export interface RateLimitRefusal {
  readonly limit: RateLimitName;
  /** For token-bucket limits: when a retry could succeed. */
  readonly retryAfterMs?: number;
}

/** Checks one hub's rate limits. Undefined from a check means allowed. */
export class RateLimiter {
  readonly dryRun: boolean;
  readonly #perConnection: TokenBuckets | undefined;
  readonly #perUser: TokenBuckets | undefined;
  readonly #methods: ReadonlyMap<string, TokenBuckets>;
  readonly #connectionsPerUser: ConcurrencyLimit | undefined;
  readonly #connectionsPerAddress: ConcurrencyLimit | undefined;
  readonly #negotiates: TokenBuckets | undefined;

  constructor(options: RateLimitOptions) {
    const keys = options.maxTrackedKeys ?? 100_000;
    this.dryRun = options.dryRun ?? false;
    this.#perConnection = options.invocationsPerConnection && new TokenBuckets(options.invocationsPerConnection, keys);
    this.#perUser = options.invocationsPerUser && new TokenBuckets(options.invocationsPerUser, keys);
    this.#methods = new Map(Object.entries(options.methods ?? {}).map(([name, limit]) => [name.toLowerCase(), new TokenBuckets(limit, keys)]));
    this.#connectionsPerUser = options.connectionsPerUser === undefined ? undefined : new ConcurrencyLimit(options.connectionsPerUser);
    this.#connectionsPerAddress = options.connectionsPerAddress === undefined ? undefined : new ConcurrencyLimit(options.connectionsPerAddress);
    this.#negotiates = options.negotiatesPerAddress && new TokenBuckets(options.negotiatesPerAddress, keys);
  }

  /** Whether any invocation limit is set (so the connection can skip the check entirely). */
  get limitsInvocations(): boolean {
    return this.#perConnection !== undefined || this.#perUser !== undefined || this.#methods.size > 0;
  }

  /**
   * One invocation of `method` (lower-cased) on `connectionId` by `user`, at `now`. Tokens are
   * taken from the narrowest limit first; a refused call takes none from the wider ones.
   */
  invocation(connectionId: string, user: string | undefined, method: string, now: number): RateLimitRefusal | undefined {
    const methodBuckets = this.#methods.get(method);
    if (methodBuckets !== undefined) {
      const refused = refusal('method', methodBuckets.take(`${connectionId}\u0000${method}`, now));
      if (refused !== undefined) return refused;
    }
    if (this.#perConnection !== undefined) {
      const refused = refusal('invocationsPerConnection', this.#perConnection.take(connectionId, now));
      if (refused !== undefined) return refused;
    }
    if (this.#perUser !== undefined && user !== undefined) return refusal('invocationsPerUser', this.#perUser.take(user, now));
    return undefined;
  }

  /** A negotiate (or a WebSocket without one) from `address`. */
  negotiate(address: string, now: number): RateLimitRefusal | undefined {
    return this.#negotiates === undefined ? undefined : refusal('negotiatesPerAddress', this.#negotiates.take(address, now));
  }

  /**
   * A connection opens for `user` from `address`. When allowed, the caller must call
   * {@link RateLimiter.connectionClosed} with the same values once it ends.
   */
  connectionOpened(user: string | undefined, address: string): RateLimitRefusal | undefined {
    const perUser = this.#connectionsPerUser;
    const perAddress = this.#connectionsPerAddress;
    if (perUser !== undefined && user !== undefined && !perUser.acquire(user)) return { limit: 'connectionsPerUser' };
    if (perAddress !== undefined && !perAddress.acquire(address)) {
      if (perUser !== undefined && user !== undefined) perUser.release(user);
      return { limit: 'connectionsPerAddress' };
    }
    return undefined;
  }

  /** A connection counted by {@link RateLimiter.connectionOpened} has ended. */
  connectionClosed(user: string | undefined, address: string, connectionId: string): void {
    if (user !== undefined) this.#connectionsPerUser?.release(user);
    this.#connectionsPerAddress?.release(address);
    this.forgetConnection(connectionId);
  }

  /**
   * Forgets the invocation buckets of a connection that ended without being counted (one let
   * through by a dry run, or refused before it opened), so no count is given back twice.
   */
  forgetConnection(connectionId: string): void {
    this.#perConnection?.delete(connectionId);
    for (const [method, buckets] of this.#methods) buckets.delete(`${connectionId}\u0000${method}`);
  }

  /** Whether {@link RateLimiter.connectionOpened} can refuse anything (so callers may skip it). */
  get limitsConnections(): boolean {
    return this.#connectionsPerUser !== undefined || this.#connectionsPerAddress !== undefined;
  }
}

function refusal(limit: RateLimitName, outcome: TakeResult): RateLimitRefusal | undefined {
  return outcome.allowed ? undefined : { limit, retryAfterMs: outcome.retryAfterMs };
}
