/**
 * `POST {hub}/negotiate`: creates a connection and tells the client how to reach it.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint } from '../connections/endpoint.js';
import { HttpConnection } from '../connections/http-connection.js';
import { authenticateRequest } from './authenticate.js';
import { queryValue, requestInfo } from './request-info.js';
import { sendJson, sendStatus, sendText, sendTooManyRequests } from './responses.js';

const TRANSFER_FORMATS = {
  WebSockets: ['Text', 'Binary'],
  ServerSentEvents: ['Text'],
  LongPolling: ['Text', 'Binary'],
} as const;

/** The highest negotiate version this server speaks. */
const NEGOTIATE_VERSION = 1;

/**
 * What .NET's `int.TryParse` accepts: an optional sign and ASCII digits, with the white space of
 * `NumberStyles.Integer` (tab to carriage return, and space) around them.
 */
const INT32_TEXT = /^[\t\n\v\f\r ]*[+-]?[0-9]+[\t\n\v\f\r ]*$/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Picks the negotiate version, or returns the `{error}` text ASP.NET answers with. */
export function chooseVersion(requested: string | undefined, minimum: number): number | { error: string } {
  if (requested === undefined) {
    return minimum > 0 ? { error: "The client requested version '0', but the server does not support this version." } : 0;
  }
  const version = INT32_TEXT.test(requested) ? Number.parseInt(requested.trim(), 10) : Number.NaN;
  // Out of int32's range is not an integer to .NET either: 2147483648 is refused, not taken as 1.
  if (!(version >= INT32_MIN && version <= INT32_MAX)) return { error: 'The client requested a non-integer protocol version.' };
  if (version < minimum) return { error: `The client requested version '${version}', but the server does not support this version.` };
  return Math.min(version, NEGOTIATE_VERSION);
}

/** Answers a negotiate request. */
export async function handleNegotiate(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    sendText(res, 405, 'Method Not Allowed');
    return;
  }
  // The body is empty; drain whatever came so the socket can be reused.
  req.resume();
  const info = requestInfo(req);
  const clientAddress = endpoint.connections.clientAddressOf(info);
  // Before anything costs: a flood is refused without running the authenticator.
  const limited = endpoint.connections.negotiate(clientAddress);
  if (limited !== undefined) {
    sendTooManyRequests(res, limited);
    return;
  }
  const version = chooseVersion(queryValue(info.query, 'negotiateVersion'), endpoint.options.minimumNegotiateVersion);
  if (typeof version !== 'number') {
    sendJson(res, version);
    return;
  }
  const auth = await authenticateRequest(endpoint, info);
  if (!auth.ok) {
    sendStatus(res, auth.status);
    return;
  }
  // Nothing of this request but the user and the client address is kept: the connection's
  // request is its transport's.
  const connection = endpoint.connections.create(version, auth.principal, clientAddress);
  if (!(connection instanceof HttpConnection)) {
    sendTooManyRequests(res, connection);
    return;
  }
  // Only when asked: a client that did not ask aborts if told "useStatefulReconnect".
  const stateful = endpoint.options.allowStatefulReconnects && queryValue(info.query, 'useStatefulReconnect') === 'true';
  connection.statefulReconnect = stateful;
  sendJson(res, {
    ...(stateful ? { useStatefulReconnect: true } : {}),
    negotiateVersion: version,
    connectionId: connection.connectionId,
    ...(version >= 1 ? { connectionToken: connection.token } : {}),
    availableTransports: endpoint.options.transports.map((transport) => ({
      transport,
      transferFormats: TRANSFER_FORMATS[transport],
    })),
  });
}
