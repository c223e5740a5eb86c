/**
 * `GET {hub}?id=TOKEN` with `Accept: text/event-stream`: opens a connection's event stream.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint } from '../connections/endpoint.js';
import { ServerSentEventsTransport } from '../transports/sse-transport.js';
import { sendText } from './responses.js';
import { authorized, claim, connectionFor, transportAllowed } from './transport-request.js';

/** Attaches an event stream to a negotiated connection; a second stream is refused with 409. */
export async function handleServerSentEvents(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  const connection = connectionFor(endpoint, req, res);
  if (connection === undefined || !transportAllowed(endpoint, connection, 'ServerSentEvents', res)) return;
  if (connection.state !== 'negotiated') return sendText(res, 409, '');
  const auth = await authorized(endpoint, req, res);
  if (auth === false) return;
  // Authentication is async: another request may have claimed the connection meanwhile.
  if (!transportAllowed(endpoint, connection, 'ServerSentEvents', res)) return;
  if (connection.state !== 'negotiated') return sendText(res, 409, '');
  // A client that left while being authenticated never gets a stream; the sweep forgets its token.
  if (res.destroyed) return;
  if (!claim(endpoint, connection, 'ServerSentEvents', auth, res)) return;
  connection.transport = new ServerSentEventsTransport(res, endpoint.open(connection));
}
