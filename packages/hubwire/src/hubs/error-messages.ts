/**
 * The texts clients receive for failed invocations and closes, exactly as ASP.NET Core SignalR
 * words them (clients and their tests match on them).
 * @module
 */
import { HubError, HubwireError } from '../core/errors.js';
import type { RateLimitRefusal } from '../limits/rate-limits.js';

/** The .NET-style type name shown after a base text with detailed errors. */
function typeNameOf(error: unknown): string {
  if (error instanceof HubError) return 'HubException';
  if (error instanceof HubwireError) return error.typeName;
  // A subclass that does not set `name` is still reported by its class, like a .NET exception type.
  if (error instanceof Error) return error.name && error.name !== 'Error' ? error.name : error.constructor.name || 'Error';
  return 'Error';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `base`, plus ` <Type>: <message>` when detailed errors are on or the error is a HubError. */
export function withDetails(base: string, error: unknown, detailed: boolean): string {
  return detailed || error instanceof HubError ? `${base} ${typeNameOf(error)}: ${messageOf(error)}` : base;
}

export function methodDoesNotExist(target: string): string {
  return `Failed to invoke '${target}' due to an error on the server. HubException: Method does not exist.`;
}

export function argumentCountMismatch(target: string, provided: number, expected: number, detailed: boolean): string {
  const base = `Failed to invoke '${target}' due to an error on the server.`;
  return detailed ? `${base} InvalidDataException: Invocation provides ${provided} argument(s) but target expects ${expected}.` : base;
}

export function invocationFailed(target: string, error: unknown, detailed: boolean): string {
  return withDetails(`An unexpected error occurred invoking '${target}' on the server.`, error, detailed);
}

export function streamCountMismatch(target: string, sent: number, expected: number): string {
  return `An unexpected error occurred invoking '${target}' on the server. HubException: Client sent ${sent} stream(s), Hub method expects ${expected}.`;
}

/** An invocation that arrived after shutdown began. */
export function shuttingDown(): string {
  return 'The server is shutting down.';
}

/** ASP.NET's text for a method-level authorization failure (it has no trailing period). */
export function unauthorized(target: string): string {
  return `Failed to invoke '${target}' because user is unauthorized`;
}

export function streamingMethodInvoked(target: string): string {
  return `The client attempted to invoke the streaming '${target}' method with a non-streaming invocation.`;
}

export function notAStream(target: string): string {
  return `The value returned by the streaming method '${target}' is not a ChannelReader<> or IAsyncEnumerable<>.`;
}

export function streamFailed(error: unknown, detailed: boolean): string {
  return withDetails('An error occurred on the server while streaming results.', error, detailed);
}

export function invocationIdInUse(invocationId: string): string {
  return `Invocation ID '${invocationId}' is already in use.`;
}

/** An upload stream id that is open already (Hubwire's text: ASP.NET's exact wording is unconfirmed). */
export function streamIdInUse(target: string, streamId: string): string {
  return `An unexpected error occurred invoking '${target}' on the server. HubException: Stream ID '${streamId}' is already in use.`;
}

/** A blocking invocation over one of the hub's rate limits (Hubwire's own text; ASP.NET has no rate limits). */
export function rateLimited(target: string, retryAfterMs: number | undefined): string {
  const retry = retryAfterMs === undefined ? '' : ` Try again in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s.`;
  return `Failed to invoke '${target}' because of a rate limit.${retry}`;
}

/** The Close a fire-and-forget invocation over a rate limit gets. */
export function rateLimitClose(refusal: RateLimitRefusal, detailed: boolean): string {
  return connectionClosedWithError(new HubError(`Rate limit '${refusal.limit}' exceeded.`), detailed);
}

export function nonStreamingMethodStreamed(target: string): string {
  return `The client attempted to invoke the non-streaming '${target}' method with a streaming invocation.`;
}

/** The Close error for protocol errors, timeouts and OnConnected failures. */
export function connectionClosedWithError(error: unknown, detailed: boolean): string {
  return withDetails('Connection closed with an error.', error, detailed);
}

/** The handshake error for malformed handshakes. */
export function handshakeFailed(error: unknown, detailed: boolean): string {
  return withDetails('An unexpected error occurred during connection handshake.', error, detailed);
}
