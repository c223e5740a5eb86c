/**
 * The checks every Server-Sent Events, long-polling and send request starts with, answered with
 * ASP.NET's statuses and texts.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpConnection, Principal } from '../connections/http-connection.js';
import type { HubEndpoint } from '../hubs/hub-endpoint.js';
import type { TransportKind } from '../transports/transport.js';
import { authenticateRequest } from './authenticate.js';
import { queryOf, queryValue, requestInfo } from './request-info.js';
import { sendText } from './responses.js';

/** The connection the request's `id` names; otherwise answers 400 (no id) or 404 and returns undefined. */
export function connectionFor(endpoint: HubEndpoint, req: IncomingMessage, res: ServerResponse): HttpConnection | undefined {
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
 * Whether `kind` may serve the connection: switched on for the hub (404 otherwise) and the kind
 * the connection already uses, if any (400 otherwise). Answers the refusal.
 */
export function transportAllowed(endpoint: HubEndpoint, connection: HttpConnection, kind: TransportKind, res: ServerResponse): boolean {
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

/**
 * Authenticates (and authorizes) this request, as ASP.NET re-runs both on every transport
 * request. Answers the refusal (401 or 403) and resolves `false` when refused.
 */
export async function authorized(endpoint: HubEndpoint, req: IncomingMessage, res: ServerResponse): Promise<{ principal: Principal | undefined } | false> {
  const auth = await authenticateRequest(endpoint, requestInfo(req));
  if (auth.ok) return { principal: auth.principal };
  sendText(res, auth.status, auth.message);
  return false;
}

/** Binds a negotiated connection to its transport kind and the user its first request proved. */
export function claim(connection: HttpConnection, kind: TransportKind, principal: Principal | undefined): void {
  connection.transportKind = kind;
  if (principal !== undefined) connection.principal = principal;
}
