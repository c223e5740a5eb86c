/**
 * The contract of Azure-style upstream delivery (issue 11), shared by the serverless hubs
 * (`modules/serverless/`, which forward invocations and wait for the answer) and the lifecycle
 * webhooks (`modules/upstream/`, which deliver connection and group events with retries). Types
 * only; the implementations live beside it.
 *
 * Azure SignalR's upstream protocol, which both follow: a `POST` to the first configured item
 * whose patterns match the event, its URL template filled with `{hub}`, `{category}` and
 * `{event}` (each percent-encoded), with the headers `X-ASRS-Connection-Id`, `X-ASRS-Hub`,
 * `X-ASRS-Category`, `X-ASRS-Event`, `X-ASRS-User-Id` (when known), `X-ASRS-User-Claims`,
 * `X-ASRS-Client-Query` and `X-ASRS-Signature` (`sha256=<hex HMAC-SHA256 of the connection id>`
 * for each access key, comma-separated).
 * @module
 */

/** Azure's categories, and Hubwire's own one for group membership. */
export type UpstreamCategory = 'connections' | 'messages' | 'groups';

/** What an upstream request says about the connection it is about. */
export interface ConnectionFacts {
  /** The hub's name: the last segment of its path, as the data plane names it (`chat`). */
  readonly hub: string;
  readonly connectionId: string;
  /** `Principal.userIdentifier`, when the connection has a user. */
  readonly userId?: string;
  /** The claims of the connection's principal, as `type` / `value` pairs. */
  readonly claims: readonly { readonly type: string; readonly value: string }[];
  /** The query string the client connected with, without `?`, access token removed. */
  readonly query: string;
}

/** One event for the upstream. */
export interface UpstreamEvent {
  readonly category: UpstreamCategory;
  /**
   * `connected` / `disconnected` (connections), the invocation's target (messages), `joined` /
   * `left` (groups).
   */
  readonly event: string;
  readonly connection: ConnectionFacts;
}

/** A request ready to be sent: where and with what. */
export interface UpstreamRequest {
  /** The filled URL template. Never logged as is: it may carry a key (`?code=`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/**
 * A lifecycle event waiting for delivery. `id` stays the same over every retry (it is sent as
 * `X-Hubwire-Event-Id`), so a receiver drops duplicates by it.
 */
export interface WebhookDelivery {
  readonly id: string;
  readonly event: UpstreamEvent;
  /** JSON body: `{}` for connected, `{ "Error": "…" }` for disconnected, `{ "group": "…" }` for groups. */
  readonly body: Readonly<Record<string, unknown>>;
}

/** A delivery that ran out of attempts (or found the queue full), kept for operators. */
export interface DeadLetter {
  readonly id: string;
  readonly hub: string;
  readonly category: UpstreamCategory;
  readonly event: string;
  readonly connectionId: string;
  /** The upstream's origin and path only: no query, which may hold a key. */
  readonly target: string;
  readonly attempts: number;
  /** The last failure: `HTTP 503`, `timeout`, `ECONNREFUSED`, `queue full`. */
  readonly reason: string;
  /** ISO time of the last attempt. */
  readonly at: string;
}

/**
 * Delivers lifecycle events with bounded exponential retries (network errors, timeouts, 408, 429
 * and 5xx are retried; other answers are final), a bounded queue and a dead-letter log.
 *
 * @example
 * ```ts
 * dispatcher.enqueue({ category: 'connections', event: 'connected', connection }, {});
 * ```
 */
export interface WebhookDispatcher {
  /** Queues an event when an upstream item matches it; a no-op otherwise. Never throws. */
  enqueue(event: UpstreamEvent, body: Readonly<Record<string, unknown>>): void;
  /** Whether an upstream item matches (so callers can skip building an event nobody wants). */
  wants(hub: string, category: UpstreamCategory, event: string): boolean;
  /** The latest dead letters, newest last (bounded). */
  deadLetters(): readonly DeadLetter[];
  /** Stops retrying: waits up to `ms` for in-flight deliveries, dead-letters what is left. */
  close(ms: number): Promise<void>;
}
