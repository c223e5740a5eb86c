/**
 * What a data-plane operation answers, in Azure SignalR's terms: a status, an optional JSON body
 * and headers. Failures are {@link DataPlaneError}s built from one table ({@link FAILURES}), so
 * every error code the data plane can answer is listed in one place.
 *
 * One body shape for every error, the union of the two Azure documents: the `ServiceResponse`
 * its service answers (`code`, `level`, `scope`, `errorKind`, `message`, `isSuccess: false`,
 * `statusCode`) and the `ErrorDetail` its 2024-12-01 swagger names as the default error body
 * (`code`, `message`, `target`). A client of either reads the fields it knows; the others are
 * extra. The code is in `x-ms-error-code` too: Azure's management SDK tells an expected 404
 * (e.g. `Warning.Connection.NotExisted` on a close) from a real failure by that header alone.
 * @module
 */

/** The answer of one operation: what the HTTP route writes. */
export interface DataPlaneResult {
  readonly status: number;
  /** A JSON body; absent for 200/202/204 answers without one and for every HEAD answer. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Azure's `ServiceResponse.scope` values. */
export type ServiceScope = 'Unknown' | 'Request' | 'Connection' | 'User' | 'Group';

/** Azure's `ServiceResponse.errorKind` values. */
export type ErrorKind = 'Unknown' | 'NotExisted' | 'NotInGroup' | 'Invalid';

interface Failure {
  readonly status: number;
  /** What `errorKind` says; default `Invalid` for a 400, else `Unknown`. */
  readonly kind?: ErrorKind;
  /** Default `Request`. */
  readonly scope?: ServiceScope;
  /** Default `Error`. */
  readonly level?: 'Info' | 'Warning' | 'Error';
  readonly description: string;
}

/**
 * Every error the data plane answers, by the code it sends. The `*.NotExisted` / `NotInGroup`
 * codes are Azure's own (its SDK matches them); the others are Hubwire's names for the cases
 * Azure documents only as "Error response".
 */
export const FAILURES = {
  'Warning.Connection.NotExisted': { status: 404, kind: 'NotExisted', scope: 'Connection', level: 'Warning', description: 'No connection of the hub has that id (an existence check, a close, a removal, an invoke).' },
  'Error.Connection.NotExisted': { status: 404, kind: 'NotExisted', scope: 'Connection', level: 'Error', description: 'A connection to add to a group does not exist.' },
  'Warning.User.NotExisted': { status: 404, kind: 'NotExisted', scope: 'User', level: 'Warning', description: 'The user has no connection to the hub.' },
  'Warning.Group.NotExisted': { status: 404, kind: 'NotExisted', scope: 'Group', level: 'Warning', description: 'The group has no connection.' },
  'Info.User.NotInGroup': { status: 404, kind: 'NotInGroup', scope: 'User', level: 'Info', description: 'The user is not in the group (not added through the data plane, or its ttl ran out).' },
  'Error.Hub.NotExisted': { status: 404, kind: 'NotExisted', scope: 'Request', level: 'Error', description: 'No hub of this server has that name (the last segment of its path).' },
  ApiVersionUnspecified: { status: 400, description: 'The request has no api-version query parameter.' },
  UnsupportedApiVersion: { status: 400, description: 'The api-version is not one the operation is served in (2022-06-01, 2024-12-01).' },
  InvalidArgument: { status: 400, description: 'A path, query or body value is invalid; `target` names it.' },
  Unauthorized: { status: 401, description: 'No credential, or one that no configured access key verifies (bad signature, wrong audience, expired).' },
  Forbidden: { status: 403, description: 'A credential that may not call this operation.' },
  TooManyRequests: { status: 429, description: "The app's per-address rate limit (REST_RATE_LIMIT_PER_SECOND) was reached." },
  IdempotencyKeyReused: { status: 422, description: 'An Idempotency-Key came back with another request than the one it was first used with.' },
  ClientInvocationFailed: { status: 502, description: 'The client answered an :invoke with an error (its text is the message).' },
  ClientInvocationTimeout: { status: 504, description: 'The client did not answer an :invoke in time.' },
  ServiceUnavailable: { status: 503, description: "The cluster's Redis cannot be reached (other nodes' connections, user groups and idempotency keys live there)." },
  InternalServerError: { status: 500, description: 'An unexpected failure; the server log has it.' },
} as const satisfies Record<string, Failure>;

/** A code of {@link FAILURES}. */
export type FailureCode = keyof typeof FAILURES;

/**
 * A failed operation, thrown by the operations and turned into its answer by
 * {@link DataPlaneError.result}.
 *
 * @example
 * ```ts
 * throw new DataPlaneError('Warning.Connection.NotExisted', `Connection '${id}' does not exist.`);
 * ```
 */
export class DataPlaneError extends Error {
  override readonly name = 'DataPlaneError';
  readonly code: FailureCode;
  /** For `InvalidArgument`: the parameter at fault (`group`, `ttl`, `payload.target`, …). */
  readonly target: string | undefined;

  constructor(code: FailureCode, message: string, target?: string) {
    super(message);
    this.code = code;
    this.target = target;
  }

  get status(): number {
    return FAILURES[this.code].status;
  }

  /** The HTTP answer: {@link errorBody} with `x-ms-error-code` (and a challenge for a 401). */
  result(): DataPlaneResult {
    const failure: Failure = FAILURES[this.code];
    const headers: Record<string, string> = { 'x-ms-error-code': this.code };
    if (this.code === 'Unauthorized') headers['www-authenticate'] = 'Bearer';
    return { status: failure.status, headers, body: errorBody(this.code, this.message, this.target) };
  }
}

/**
 * Azure's error body for `code`: ServiceResponse and ErrorDetail fields in one object.
 *
 * @example
 * ```ts
 * errorBody('InvalidArgument', 'A group name has 1 to 1024 characters.', 'group');
 * // { code: 'InvalidArgument', level: 'Error', scope: 'Request', errorKind: 'Invalid', message: '…', isSuccess: false, statusCode: 400, target: 'group' }
 * ```
 */
export function errorBody(code: FailureCode, message: string, target?: string): Readonly<Record<string, unknown>> {
  const failure: Failure = FAILURES[code];
  return {
    code,
    level: failure.level ?? 'Error',
    scope: failure.scope ?? 'Request',
    errorKind: failure.kind ?? (failure.status === 400 ? 'Invalid' : 'Unknown'),
    message,
    isSuccess: false,
    statusCode: failure.status,
    ...(target === undefined ? {} : { target }),
  };
}

/** `202 Accepted` without a body: what every send answers. */
export const ACCEPTED: DataPlaneResult = { status: 202 };
/** `200 OK` without a body. */
export const OK: DataPlaneResult = { status: 200 };
/** `204 No Content`. */
export const NO_CONTENT: DataPlaneResult = { status: 204 };
