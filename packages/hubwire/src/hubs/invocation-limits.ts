/**
 * The invocation rate limits as a connection applies them. The limiter (`limits/`) only says
 * whether a call is over a limit; what happens then depends on the call: a blocking one gets an
 * error Completion, a fire-and-forget one, which has nowhere to carry an error, ends the
 * connection, and in dry-run mode either goes ahead and is only counted and logged. That policy
 * and its counters and log lines live here so the connection's dispatch reads as one line.
 * @module
 */
import type { Clock } from '../core/clock.js';
import type { HttpConnection } from '../connections/http-connection.js';
import type { RateLimiter } from '../limits/rate-limits.js';
import { MessageType, type CompletionMessage } from '../protocol/messages.js';
import { rateLimitedFireAndForget, type EndingConnection, type EndingHost, type EndOptions } from './connection-endings.js';
import * as texts from './error-messages.js';

/** What the connection does with a refused call: answer it, or end. */
export type InvocationRefusal =
  | { readonly kind: 'reply'; readonly completion: CompletionMessage }
  | { readonly kind: 'end'; readonly end: EndOptions };

/** The hub's limiter and where refusals are counted and logged. */
export interface InvocationLimitHost extends EndingHost {
  /** The hub's rate limits (the invocation limits are checked here, the rest at the HTTP edge). */
  readonly rateLimiter: RateLimiter;
  readonly clock: Clock;
}

/** The calling connection: its keys in the limiter, and its address for the log line. */
export interface LimitedConnection extends EndingConnection {
  readonly http: HttpConnection;
}

/**
 * Checks one invocation of `target` against the invocation limits. Undefined means it goes
 * ahead (within the limits, or over them in dry-run mode); nothing is allocated then.
 */
export function refuseOverLimit(
  host: InvocationLimitHost,
  connection: LimitedConnection,
  target: string,
  invocationId: string | undefined,
): InvocationRefusal | undefined {
  const { rateLimiter, metrics, labels, logger, path, clock } = host;
  const refusal = rateLimiter.invocation(connection.connectionId, connection.userIdentifier, target.toLowerCase(), clock.now());
  if (refusal === undefined) return undefined;
  const counterLabels = { ...labels, limit: refusal.limit };
  const fields = {
    hub: path,
    connectionId: connection.connectionId,
    user: connection.userIdentifier,
    method: target,
    limit: refusal.limit,
    clientAddress: connection.http.clientAddress,
  };
  if (rateLimiter.dryRun) {
    metrics.increment('rateLimitedDryRun', counterLabels);
    logger.warn(fields, 'rate limit exceeded (dry run: let through)');
    return undefined;
  }
  metrics.increment('rateLimited', counterLabels);
  if (invocationId) {
    logger.debug(fields, 'invocation rate limited');
    return { kind: 'reply', completion: { type: MessageType.Completion, invocationId, hasResult: false, error: texts.rateLimited(target, refusal.retryAfterMs) } };
  }
  return { kind: 'end', end: rateLimitedFireAndForget(host, fields, refusal) };
}
