/**
 * The reasons a hub connection ends on the server's initiative, each with its counter, its log
 * line and the way it closes (abort or Close, which error, whether the client may reconnect).
 * They sit together because operators read them side by side: a metric that jumps and the log
 * line next to it should name the same reason, and a client that reconnects after one of them
 * should get the Close ASP.NET would send. The connection only decides *when*; this says *how*.
 * @module
 */
import { HubwireError, type ProtocolError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ConnectionStatus } from '../core/instruments.js';
import { labelsWith, type MetricLabels, type Metrics } from '../core/metrics.js';
import type { RateLimitRefusal } from '../limits/rate-limits.js';
import { MessageType, type CloseMessage } from '../protocol/messages.js';
import * as texts from './error-messages.js';
import type { ResolvedHubOptions } from './hub-options.js';

/** How a connection ends. */
export interface EndOptions {
  /** A Close message to send before closing the transport. */
  readonly close?: CloseMessage;
  /** Drop the transport at once instead of letting queued bytes go out. */
  readonly abort?: boolean;
  /** What `onDisconnected` receives. */
  readonly error?: Error;
  /** How it ended for `signalr.server.connection.duration`; default `normal_closure`. */
  readonly status?: ConnectionStatus;
}

/** The `reason` label of {@link handshakeFailed}. */
export type HandshakeFailure = 'malformed' | 'too_large' | 'unsupported_protocol' | 'unsupported_version' | 'transfer_format' | 'timeout';

/** The `reason` label of {@link protocolViolated}: oversized input, a broken message, or a stateful-reconnect Sequence/Ack the buffer cannot accept. */
export type ProtocolViolation = 'too_large' | 'malformed' | 'sequence';

// ASP.NET's text for an oversized message (text-framing.ts); the parsers throw it for both framings.
const TOO_LARGE = /^The maximum message size of \d+B was exceeded\./;

/** Where an ending is counted and logged (the mapped hub). */
export interface EndingHost {
  readonly path: string;
  readonly options: ResolvedHubOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly labels: MetricLabels;
}

/** The connection that ends, as its log lines name it. */
export interface EndingConnection {
  readonly connectionId: string;
  readonly userIdentifier: string | undefined;
}

/** The handshake failed: the connection never reached the hub, so there is nothing to end but the transport. */
export function handshakeFailed(host: EndingHost, connection: EndingConnection, error: string, reason: HandshakeFailure): void {
  host.metrics.increment('handshakeFailures', labelsWith(host.labels, 'reason', reason));
  host.logger.warn({ hub: host.path, connectionId: connection.connectionId, user: connection.userIdentifier, error, reason }, 'handshake failed');
}

/** `onConnected` (the lifetime manager's or the hub's) threw: an error Close, no reconnect. */
export function connectFailed(host: EndingHost, connection: EndingConnection, error: unknown): EndOptions {
  host.logger.error({ hub: host.path, connectionId: connection.connectionId, user: connection.userIdentifier, err: error }, 'onConnected threw; closing the connection');
  return {
    close: { type: MessageType.Close, error: texts.connectionClosedWithError(error, host.options.enableDetailedErrors) },
    error: error instanceof Error ? error : new Error(String(error)),
  };
}

/** More bytes wait for the client than `maximumOutboundBufferSize`: drop it rather than buffer for it. */
export function slowConsumer(host: EndingHost, connection: EndingConnection, buffered: number): EndOptions {
  host.metrics.increment('slowConsumerDisconnects', labelsWith(host.labels, 'reason', 'outbound_buffer'));
  host.logger.warn(
    { hub: host.path, connectionId: connection.connectionId, user: connection.userIdentifier, bufferedBytes: buffered, limit: host.options.maximumOutboundBufferSize },
    'slow consumer: outbound buffer full; closing the connection',
  );
  return { abort: true, error: new HubwireError('HUB_ERR_SLOW_CONSUMER', 'The outbound buffer overflowed.') };
}

/**
 * A recoverable group's slow-consumer policy gave up on the member (`disconnect`): its messages
 * queued past `maxQueued`. Unlike an overflowing outbound buffer the client gets an error Close
 * with allowReconnect (after what was already written), so it comes back and recovers the rest
 * from the group's history.
 */
export function slowGroupMember(host: EndingHost, connection: EndingConnection, reason: string): EndOptions {
  const error = new HubwireError('HUB_ERR_SLOW_CONSUMER', reason);
  // Not counted here: the recovery engine that gave up counts slowConsumerDisconnects itself.
  host.logger.warn({ hub: host.path, connectionId: connection.connectionId, user: connection.userIdentifier, reason }, 'slow consumer: a recoverable group gave up on it; closing the connection');
  return { close: { type: MessageType.Close, error: texts.connectionClosedWithError(error, host.options.enableDetailedErrors), allowReconnect: true }, error };
}

/** ASP.NET's TransportSendTimeout: the client stopped reading; drop it rather than buffer for it. */
export function sendTimedOut(host: EndingHost, connection: EndingConnection, buffered: number, waited: number): EndOptions {
  host.metrics.increment('sendTimeouts', host.labels);
  host.logger.warn(
    { hub: host.path, connectionId: connection.connectionId, user: connection.userIdentifier, bufferedBytes: buffered, waitedMs: waited },
    'send timed out: the client stopped reading; closing the connection',
  );
  return { abort: true, error: new HubwireError('HUB_ERR_SEND_TIMEOUT', `A send did not complete within ${host.options.transportSendTimeout} ms.`), status: 'timeout' };
}

/** closeOnAuthenticationExpiration: a Close with allowReconnect and no error, as ASP.NET sends. */
export function authenticationExpired(host: EndingHost, connection: EndingConnection): EndOptions {
  host.metrics.increment('authenticationExpired', host.labels);
  host.logger.info({ hub: host.path, connectionId: connection.connectionId, user: connection.userIdentifier }, 'access token expired; closing the connection');
  return { close: { type: MessageType.Close, allowReconnect: true }, error: new HubwireError('HUB_ERR_AUTH_EXPIRED', 'The access token expired.') };
}

/** The client sent nothing within `clientTimeoutInterval`: ASP.NET's text, with allowReconnect. */
export function clientTimedOut(host: EndingHost, connection: EndingConnection): EndOptions {
  const error = new HubwireError('HUB_ERR_CLIENT_TIMEOUT', "Client hasn't sent a message/ping within the configured ClientTimeoutInterval.", {
    typeName: 'OperationCanceledException',
  });
  host.metrics.increment('clientTimeouts', host.labels);
  host.logger.warn({ hub: host.path, connectionId: connection.connectionId, user: connection.userIdentifier }, 'client timed out');
  return { close: { type: MessageType.Close, error: texts.connectionClosedWithError(error, host.options.enableDetailedErrors), allowReconnect: true }, error, status: 'timeout' };
}

/**
 * Malformed or oversized input: an error Close with allowReconnect. `sequence` marks a
 * stateful-reconnect violation; otherwise the error's text tells oversized from malformed.
 */
export function protocolViolated(host: EndingHost, connection: EndingConnection, error: ProtocolError, sequence = false): EndOptions {
  const reason: ProtocolViolation = sequence ? 'sequence' : TOO_LARGE.test(error.message) ? 'too_large' : 'malformed';
  host.metrics.increment('protocolErrors', labelsWith(host.labels, 'reason', reason));
  host.logger.warn({ hub: host.path, connectionId: connection.connectionId, user: connection.userIdentifier, error: error.message, reason }, 'protocol error; closing the connection');
  return {
    close: { type: MessageType.Close, error: texts.connectionClosedWithError(error, host.options.enableDetailedErrors), allowReconnect: true },
    error,
  };
}

/**
 * A fire-and-forget invocation over its rate limit has nowhere to carry an error, so the
 * connection closes with an error Close (with allowReconnect, so a well-behaved client backs off
 * and comes back). The caller has counted the refusal; `fields` are its log fields.
 */
export function rateLimitedFireAndForget(host: EndingHost, fields: Record<string, unknown>, refusal: RateLimitRefusal): EndOptions {
  host.logger.warn(fields, 'fire-and-forget invocation over its rate limit; closing the connection');
  return { close: { type: MessageType.Close, error: texts.rateLimitClose(refusal, host.options.enableDetailedErrors), allowReconnect: true } };
}
