/**
 * `POST {hub}/negotiate`: creates a connection and tells the client how to reach it.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint } from '../connections/endpoint.js';
import { authenticateRequest } from './authenticate.js';
import { queryValue, requestInfo } from './request-info.js';
import { sendJson, sendStatus, sendText } from './responses.js';

const TRANSFER_FORMATS = {
  WebSockets: ['Text', 'Binary'],
  ServerSentEvents: ['Text'],
  LongPolling: ['Text', 'Binary'],
} as const;

/** The highest negotiate version this server speaks. */
const NEGOTIATE_VERSION = 1;

/** Picks the negotiate version, or returns the `{error}` text ASP.NET answers with. */
function chooseVersion(requested: string | undefined, minimum: number): number | { error: string } {
  if (requested === undefined) {
    return minimum > 0 ? { error: "The client requested version '0', but the server does not support this version." } : 0;
  }
  if (!/^\s*[+-]?\d+\s*$/.test(requested)) return { error: 'The client requested a non-integer protocol version.' };
  const version = Number.parseInt(requested, 10);
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
  // Nothing of this request but the user is kept: the connection's request is its transport's.
  const connection = endpoint.connections.create(version, auth.principal);
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
