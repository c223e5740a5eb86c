/**
 * Where SignalR clients put their access token: the `Authorization: Bearer` header (negotiate,
 * long polling, sends, Node WebSockets) or the `access_token` query parameter (browser
 * WebSockets and Server-Sent Events, which cannot set headers).
 * @module
 */
import type { ConnectionRequestInfo } from '../connections/http-connection.js';

/** The bearer token of a request, from the header first, then the query; undefined if none. */
export function bearerToken(request: ConnectionRequestInfo, queryParameter = 'access_token'): string | undefined {
  const header = request.headers['authorization'];
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== undefined) {
    const match = /^Bearer\s+(.+)$/i.exec(value.trim());
    if (match) return match[1]!.trim();
  }
  const fromQuery = request.query.get(queryParameter);
  return fromQuery === null || fromQuery === '' ? undefined : fromQuery;
}
