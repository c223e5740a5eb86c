/**
 * `GET {path}?id=TOKEN` with `Upgrade: websocket` (and without `id`: skipNegotiation).
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { Endpoint } from '../connections/endpoint.js';
import { acceptedExtensionsOf, type ResolvedWebSocketCompression } from '../transports/websocket-compression.js';
import { WebSocketTransport } from '../transports/websocket-transport.js';
import { HttpConnection } from '../connections/http-connection.js';
import { authenticateRequest } from './authenticate.js';
import { queryOf, requestInfo } from './request-info.js';
import { rejectUpgrade, rejectUpgradeTooMany } from './responses.js';
import { connectionTokenOf, sameUser, USER_MISMATCH_TEXT } from './transport-request.js';

/**
 * Attaches a WebSocket to a negotiated connection, or creates one when no id is given. The
 * upgrade request becomes the connection's request; a stateful-reconnect resume replaces it with
 * the new upgrade's, as ASP.NET sets the connection's HttpContext on every WebSocket request.
 * `compression` applies to the sockets that negotiated permessage-deflate.
 */
export async function handleWebSocketUpgrade(
  endpoint: Endpoint,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  compression?: ResolvedWebSocketCompression,
): Promise<void> {
  if (!endpoint.options.transports.includes('WebSockets')) {
    rejectUpgrade(socket, 404, 'WebSockets transport not supported by this end point type');
    return;
  }
  const info = requestInfo(req);
  // No id, or an empty one (ASP.NET's IsNullOrEmpty): skipNegotiation, a new connection.
  // From a query parsed for the purpose: the info's own is built only if someone reads it (kept with the connection).
  const token = connectionTokenOf(queryOf(req.url));
  let connection = token === undefined ? undefined : endpoint.connections.get(token);
  if (token === undefined) {
    // It starts a connection as a negotiate does, so it counts as one.
    const limited = endpoint.connections.negotiate(endpoint.connections.clientAddressOf(info));
    if (limited !== undefined) {
      rejectUpgradeTooMany(socket, limited);
      return;
    }
  } else if (connection === undefined) {
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
    if (!sameUser(endpoint, resumed, auth.principal)) {
      rejectUpgrade(socket, 403, USER_MISMATCH_TEXT);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (resumer.resume((events) => new WebSocketTransport(ws, events, compression, acceptedExtensionsOf(req)))) resumed.request = info;
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
    const created = endpoint.connections.create(0, auth.principal, endpoint.connections.clientAddressOf(info));
    if (!(created instanceof HttpConnection)) {
      rejectUpgradeTooMany(socket, created);
      return;
    }
    connection = created;
  }
  const claimed = connection;
  const refused = endpoint.connections.claim(claimed, { kind: 'WebSockets', principal: auth.principal, request: info });
  if (refused !== undefined) {
    rejectUpgradeTooMany(socket, refused);
    return;
  }
  claimed.state = 'active';
  wss.handleUpgrade(req, socket, head, (ws) => {
    if (endpoint.connections.get(claimed.token) !== claimed) {
      // Swept or shut down while the upgrade completed.
      ws.close(1000);
      return;
    }
    claimed.transport = new WebSocketTransport(ws, endpoint.open(claimed), compression, acceptedExtensionsOf(req));
  });
}
