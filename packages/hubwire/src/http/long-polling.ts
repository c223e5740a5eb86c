/**
 * Long polling's own requests: `GET {hub}?id=TOKEN` (a poll; the first one attaches the
 * transport) and `DELETE {hub}?id=TOKEN` (the client ends the connection).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint } from '../connections/endpoint.js';
import { LongPollingTransport } from '../transports/long-polling-transport.js';
import { sendText } from './responses.js';
import { authorized, checkUser, claim, connectionFor, transportAllowed } from './transport-request.js';

/**
 * A poll. The first one after negotiate attaches the transport and is answered at once, and is
 * the request the connection keeps (ASP.NET clones it; later polls do not replace it); later ones
 * wait for data (see {@link LongPollingTransport.poll}).
 */
export async function handlePoll(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  const connection = connectionFor(endpoint, req, res);
  if (connection === undefined || !transportAllowed(endpoint, connection, 'LongPolling', res)) return;
  const auth = await authorized(endpoint, req, res);
  if (auth === false) return;
  // Authentication is async: another request may have claimed or ended the connection meanwhile.
  if (!transportAllowed(endpoint, connection, 'LongPolling', res)) return;
  if (connection.transportKind === undefined) {
    if (connection.state !== 'negotiated') return sendText(res, 404, 'No Connection with that ID');
    if (!claim(endpoint, connection, 'LongPolling', auth, res)) return;
    connection.transport = new LongPollingTransport(res, endpoint.open(connection), {
      clock: endpoint.clock,
      pollTimeout: endpoint.options.longPollingPollTimeout,
    });
    return;
  }
  if (!checkUser(endpoint, connection, auth, res)) return;
  const transport = connection.transport;
  if (!(transport instanceof LongPollingTransport)) return sendText(res, 409, '');
  const outcome = await transport.poll(res);
  // The client now knows the connection is over: its token can go.
  if (outcome === 'ended') endpoint.connections.remove(connection);
}

/** Ends a long-polling connection gracefully (202); a pending poll gets 204. */
export async function handleDelete(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  const connection = connectionFor(endpoint, req, res);
  if (connection === undefined) return;
  if (connection.transportKind !== 'LongPolling') return sendText(res, 400, 'Cannot terminate this connection using the DELETE endpoint.');
  const auth = await authorized(endpoint, req, res);
  if (auth === false || !checkUser(endpoint, connection, auth, res)) return;
  const transport = connection.transport;
  if (transport instanceof LongPollingTransport) transport.closeByClient();
  // The hub layer forgets an open connection when it hears the close; one that had already
  // ended (draining) is forgotten here.
  endpoint.connections.remove(connection);
  sendText(res, 202, '');
}
