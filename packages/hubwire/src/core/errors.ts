/**
 * Error codes and the error classes Hubwire throws or turns into protocol answers.
 *
 * Every failure Hubwire reports has a stable code from {@link ErrorCodes}; the table says how the
 * code surfaces on the wire (HTTP status for endpoint errors, or nothing for hub-level errors that
 * become Completion/Close messages). Keeping them in one table is what lets docs, tests and logs
 * agree on names.
 * @module
 */

/** One row of the error table. */
export interface ErrorCodeInfo {
  /** HTTP status when the error answers an HTTP request; undefined for hub-level errors. */
  readonly status?: number;
  /** What the code means, for docs and logs. */
  readonly description: string;
}

/** The error table: every code Hubwire uses, with its HTTP status where one applies. */
export const ErrorCodes = {
  HUB_ERR_CONNECTION_ID_REQUIRED: { status: 400, description: 'A transport request came without an id query parameter.' },
  HUB_ERR_CONNECTION_NOT_FOUND: { status: 404, description: 'No connection has that token (never negotiated, expired or closed).' },
  HUB_ERR_TRANSPORT_ACTIVE: { status: 409, description: 'A transport is already attached to this connection.' },
  HUB_ERR_TRANSPORT_CHANGE: { status: 400, description: 'The connection already uses another transport.' },
  HUB_ERR_TRANSPORT_DISABLED: { status: 404, description: 'The requested transport is switched off for this hub.' },
  HUB_ERR_METHOD_NOT_ALLOWED: { status: 405, description: 'The HTTP verb is not valid on this endpoint.' },
  HUB_ERR_NEGOTIATE_VERSION: { status: 200, description: 'The negotiate version is not an integer or below the minimum (answered as {"error"} with 200).' },
  HUB_ERR_CORS_ORIGIN: { status: 403, description: 'A cross-origin request came from an origin that is not allowed.' },
  HUB_ERR_RATE_LIMITED: { status: 429, description: 'A rate limit (rateLimits) or a cap on pending connections refused a negotiate or a transport request (429 with Retry-After), or an invocation (an error Completion; a Close for a fire-and-forget one).' },
  HUB_ERR_USER_MISMATCH: { status: 403, description: "A request on an existing connection proved another user than the connection's." },
  HUB_ERR_HANDSHAKE: { description: 'The hub handshake failed; the client gets a handshake error response.' },
  HUB_ERR_PROTOCOL: { description: 'A malformed hub message; the connection is closed with an error.' },
  HUB_ERR_MESSAGE_TOO_LARGE: { description: 'An incoming message exceeded maximumReceiveMessageSize.' },
  HUB_ERR_CLIENT_TIMEOUT: { description: 'The client sent nothing within clientTimeoutInterval.' },
  HUB_ERR_SLOW_CONSUMER: { description: 'The connection\u2019s outbound buffer overflowed; it was closed.' },
  HUB_ERR_SEND_TIMEOUT: { description: 'A send stayed unfinished for transportSendTimeout (the client stopped reading); the connection was closed.' },
  HUB_ERR_AUTH_EXPIRED: { description: 'The access token of the connection expired (closeOnAuthenticationExpiration); it was closed with allowReconnect.' },
  HUB_ERR_SERIALIZATION: { description: 'A message (arguments or a result) could not be serialized with a protocol.' },
  HUB_ERR_CLIENT_RESULT: { description: 'A client-result call failed: no such connection, it disconnected, it was canceled or timed out.' },
  HUB_ERR_HUB_METHOD: { description: 'A hub method failed (client-visible only as a HubError or with detailed errors).' },
  HUB_ERR_INVALID_OPTION: { description: 'An option passed to Hubwire is invalid.' },
  HUB_ERR_SERVER_CLOSED: { description: 'The server is shutting down.' },
  HUB_ERR_BACKPLANE: { description: 'A cross-node operation through the backplane (Redis) failed: Redis is unreachable, or the node owning a connection did not acknowledge a group change in time.' },
  HUB_ERR_RECOVERY: { description: 'A recoverable-group operation (recover, publish, position) was asked for a group no recovery spec of the hub matches, or recover() for a connection that is not on this node.' },
  HUB_ERR_PRESENCE_DISABLED: { description: 'A presence question was asked of a lifetime manager whose presence is switched off (redisLifetimeManager({ presence: false })).' },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A Hubwire error code, e.g. `HUB_ERR_PROTOCOL`. */
export type ErrorCode = keyof typeof ErrorCodes;

/** An error raised by Hubwire itself, carrying a stable {@link ErrorCode}. */
export class HubwireError extends Error {
  override readonly name: string = 'HubwireError';
  /** Stable code from {@link ErrorCodes}. */
  readonly code: ErrorCode;
  /** The .NET-style exception type name used when the text is shown with detailed errors. */
  readonly typeName: string;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; typeName?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.typeName = options?.typeName ?? 'InvalidDataException';
  }

  /** The HTTP status for this error, when it answers an HTTP request. */
  get status(): number | undefined {
    const info: ErrorCodeInfo = ErrorCodes[this.code];
    return info.status;
  }
}

/**
 * An error whose message is meant for the client, like ASP.NET's `HubException`.
 *
 * Throw it from a hub method and the caller receives
 * `An unexpected error occurred invoking 'Method' on the server. HubException: <message>`
 * even when detailed errors are off. Any other error is reported to the client without its
 * message unless `enableDetailedErrors` is on.
 *
 * @example
 * ```ts
 * class RoomsHub extends Hub {
 *   join(room: string) {
 *     if (!this.rooms.has(room)) throw new HubError(`Room '${room}' does not exist.`);
 *   }
 * }
 * ```
 */
export class HubError extends Error {
  override readonly name: string = 'HubError';
}

/** Thrown by a protocol parser for input that breaks the protocol; it closes the connection. */
export class ProtocolError extends HubwireError {
  constructor(message: string, typeName = 'InvalidDataException') {
    super('HUB_ERR_PROTOCOL', message, { typeName });
  }
}
