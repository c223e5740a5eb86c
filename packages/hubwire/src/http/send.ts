/**
 * `POST {path}?id=TOKEN`: the client→server half of Server-Sent Events and long polling. For a
 * hub the body is one or more framed hub messages (or part of one; the hub layer reassembles).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint } from '../connections/endpoint.js';
import { receivesPosts } from '../transports/transport.js';
import { isBinaryBody } from './request-info.js';
import { sendText } from './responses.js';
import { authorized, checkUser, connectionFor } from './transport-request.js';

/**
 * Feeds the body to the connection and answers 200 once it is consumed. POSTs of one connection
 * run one after another in arrival order, authentication included, so a slow authenticator
 * cannot reorder them.
 */
export async function handleSend(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const connection = connectionFor(endpoint, req, res);
  if (connection === undefined) return;
  if (connection.transportKind === 'WebSockets') return sendText(res, 405, 'POST requests are not allowed for WebSocket connections.');
  await connection.serializeSend(async () => {
    const auth = await authorized(endpoint, req, res);
    if (auth === false || !checkUser(endpoint, connection, auth, res)) return;
    const transport = connection.transport;
    // Ended (and, for long polling, still draining): ASP.NET has disposed it by then.
    if (connection.state === 'closed') return sendText(res, 404, 'No Connection with that ID');
    // Negotiated but no stream or poll yet: nothing could take the bytes.
    if (!receivesPosts(transport)) return sendText(res, 409, '');
    try {
      await transport.receive(req, isBinaryBody(req));
    } catch {
      // The body broke off (the client went away mid-upload).
      if (!res.headersSent && !res.destroyed) sendText(res, 400, 'Reading the request body failed.');
      return;
    }
    sendText(res, 200, '');
  });
}
