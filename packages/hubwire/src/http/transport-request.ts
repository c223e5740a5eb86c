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
import { sendStatus, sendText } from './responses.js';

/** The connection the request's `id` names; otherwise answers 400 (no id) or 404 and returns undefined. */
export function connectionFor(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): HttpConnection | undefined {
  const token = queryValue(queryOf(req.url), 'id');
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
 * Binds a negotiated connection to its transport kind, the user its first transport request
 * proved and that request, which is what the connection's code sees from now on.
 */
export function claim(connection: HttpConnection, kind: TransportKind, request: AuthorizedRequest): void {
  connection.transportKind = kind;
  connection.request = request.info;
  if (request.principal !== undefined) connection.principal = request.principal;
}
