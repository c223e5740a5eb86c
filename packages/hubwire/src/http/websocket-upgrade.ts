/**
 * `GET {path}?id=TOKEN` with `Upgrade: websocket` (and without `id`: skipNegotiation).
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { Endpoint } from '../connections/endpoint.js';
import { WebSocketTransport } from '../transports/websocket-transport.js';
import { authenticateRequest } from './authenticate.js';
import { queryValue, requestInfo } from './request-info.js';
import { rejectUpgrade } from './responses.js';

/**
 * Attaches a WebSocket to a negotiated connection, or creates one when no id is given. The
 * upgrade request becomes the connection's request; a stateful-reconnect resume replaces it with
 * the new upgrade's, as ASP.NET sets the connection's HttpContext on every WebSocket request.
 */
export async function handleWebSocketUpgrade(
  endpoint: Endpoint,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  if (!endpoint.options.transports.includes('WebSockets')) {
    rejectUpgrade(socket, 404, 'WebSockets transport not supported by this end point type');
    return;
  }
  const info = requestInfo(req);
  const token = queryValue(info.query, 'id');
  let connection = token === undefined ? undefined : endpoint.connections.get(token);
  if (token !== undefined && connection === undefined) {
    rejectUpgrade(socket, 404, 'No Connection with that ID');
    return;
  }
  if (connection !== undefined && connection.transportKind !== undefined && connection.transportKind !== 'WebSockets') {
    rejectUpgrade(socket, 400, 'Cannot change transports mid-connection');
    return;
  }
  // A second socket is refused, except for a stateful-reconnect connection, whose client resumes
  // on the same token (even while the old socket still looks open).
  if (connection !== undefined && connection.state !== 'negotiated' && connection.resumer === undefined) {
    rejectUpgrade(socket, 409, '');
    return;
  }
  const auth = await authenticateRequest(endpoint, info);
  if (!auth.ok) {
    rejectUpgrade(socket, auth.status, undefined);
    return;
  }
  const resumed = connection;
  const resumer = resumed?.resumer;
  if (resumed !== undefined && resumer !== undefined) {
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (resumer.resume((events) => new WebSocketTransport(ws, events))) resumed.request = info;
      else ws.close(1000);
    });
    return;
  }
  // Authentication is async: another request may have claimed the connection meanwhile.
  if (connection !== undefined && connection.state !== 'negotiated') {
    rejectUpgrade(socket, 409, '');
    return;
  }
  if (connection === undefined) {
    connection = endpoint.connections.create(0, auth.principal);
  } else if (auth.principal !== undefined) {
    connection.principal = auth.principal;
  }
  const claimed = connection;
  claimed.transportKind = 'WebSockets';
  claimed.request = info;
  claimed.state = 'active';
  wss.handleUpgrade(req, socket, head, (ws) => {
    if (endpoint.connections.get(claimed.token) !== claimed) {
      // Swept or shut down while the upgrade completed.
      ws.close(1000);
      return;
    }
    claimed.transport = new WebSocketTransport(ws, endpoint.open(claimed));
  });
}
