/**
 * The checks every Server-Sent Events, long-polling and send request starts with, answered with
 * ASP.NET's statuses and texts.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint } from '../connections/endpoint.js';
import type { ConnectionRequestInfo, HttpConnection, Principal } from '../connections/http-connection.js';
import type { TransportKind } from '../transports/transport.js';
import { authenticateRequest } from './authenticate.js';
import { queryOf, queryValue, requestInfo } from './request-info.js';
import { sendStatus, sendText, sendTooManyRequests } from './responses.js';

/** The body of the 403 that refuses a request proving another user than its connection's. */
export const USER_MISMATCH_TEXT = "The request's user is not the connection's user.";

/** The connection token (`id`) of a transport request; an empty one is none, as in ASP.NET. */
export function connectionTokenOf(query: URLSearchParams): string | undefined {
  const token = queryValue(query, 'id');
  return token === '' ? undefined : token;
}

/** The connection the request's `id` names; otherwise answers 400 (no or empty id) or 404 and returns undefined. */
export function connectionFor(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): HttpConnection | undefined {
  const token = connectionTokenOf(queryOf(req.url));
  if (token === undefined) {
    sendText(res, 400, 'Connection ID required');
    return undefined;
  }
  const connection = endpoint.connections.get(token);
  if (connection === undefined) sendText(res, 404, 'No Connection with that ID');
  return connection;
}

/**
 * Whether `kind` may serve the connection: switched on for the endpoint (404 otherwise) and the
 * kind the connection already uses, if any (400 otherwise). Answers the refusal.
 */
export function transportAllowed(endpoint: Endpoint, connection: HttpConnection, kind: TransportKind, res: ServerResponse): boolean {
  if (!endpoint.options.transports.includes(kind)) {
    sendText(res, 404, `${kind} transport not supported by this end point type`);
    return false;
  }
  if (connection.transportKind !== undefined && connection.transportKind !== kind) {
    sendText(res, 400, 'Cannot change transports mid-connection');
    return false;
  }
  return true;
}

/** An authenticated request: who it proved to be, and the request as connections keep it. */
export interface AuthorizedRequest {
  readonly principal: Principal | undefined;
  readonly info: ConnectionRequestInfo;
}

/**
 * Authenticates (and authorizes) this request, as ASP.NET re-runs both on every transport
 * request. Answers the refusal (401 or 403, empty body) and resolves `false` when refused.
 */
export async function authorized(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<AuthorizedRequest | false> {
  const info = requestInfo(req);
  const auth = await authenticateRequest(endpoint, info);
  if (auth.ok) return { principal: auth.principal, info };
  sendStatus(res, auth.status);
  return false;
}

/**
 * Whether a request on a connection that already has its transport proved the connection's user
 * (the same `userIdentifier`, or anonymous on an anonymous connection). Hubwire refuses the
 * others, so a connection token alone does not let another account act on a connection and a
 * connection's user never changes under its hub; ASP.NET logs the change and switches users on
 * polls. Logs and answers the refusal.
 */
export function sameUser(endpoint: Endpoint, connection: HttpConnection, principal: Principal | undefined): boolean {
  if (principal?.userIdentifier === connection.principal?.userIdentifier) return true;
  endpoint.logger.warn(
    { path: endpoint.path, connectionId: connection.connectionId, user: connection.principal?.userIdentifier, requestUser: principal?.userIdentifier },
    "request refused: its user is not the connection's",
  );
  return false;
}

/** {@link sameUser}, answering the refusal: 403 with {@link USER_MISMATCH_TEXT}. */
export function checkUser(endpoint: Endpoint, connection: HttpConnection, request: AuthorizedRequest, res: ServerResponse): boolean {
  if (sameUser(endpoint, connection, request.principal)) return true;
  sendText(res, 403, USER_MISMATCH_TEXT);
  return false;
}

/**
 * Binds a negotiated connection to its transport kind, the user its first transport request
 * proved and that request, which is what the connection's code sees from now on. Refused by a
 * connection limit (the connection is then removed), answers 429 and returns false.
 */
export function claim(endpoint: Endpoint, connection: HttpConnection, kind: TransportKind, request: AuthorizedRequest, res: ServerResponse): boolean {
  const refused = endpoint.connections.claim(connection, { kind, principal: request.principal, request: request.info });
  if (refused === undefined) return true;
  sendTooManyRequests(res, refused);
  return false;
}
