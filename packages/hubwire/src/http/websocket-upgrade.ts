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
import { HttpConnection, type ConnectionRequestInfo } from '../connections/http-connection.js';
import type { EdgeRefusal } from '../connections/edge-limits.js';
import type { Transport, TransportEvents } from '../transports/transport.js';
import { authenticateRequest } from './authenticate.js';
import { queryOf } from './request-info.js';
import { rejectUpgrade } from './responses.js';
import { connectionTokenOf, sameUser, USER_MISMATCH_TEXT } from './transport-request.js';

/**
 * How a WebSocket library completes or refuses one upgrade: `ws` on a Node HTTP server, or
 * uWebSockets.js. The rules of which upgrade gets which answer are the same for both.
 */
export interface UpgradeAnswer {
  /** Refuses with a plain HTTP answer before any 101; `text` undefined: the status alone. */
  refuse(status: number, text: string | undefined, headers?: Record<string, string>): void;
  /** Completes the handshake; `opened` runs once the socket is open. */
  accept(opened: (socket: AcceptedSocket) => void): void;
}

/** A socket whose handshake completed, before the connection takes it. */
export interface AcceptedSocket {
  /** Makes the connection's transport over this socket, reporting to `events`. */
  transport(events: TransportEvents): Transport;
  /** Closes the socket with 1000: its connection is gone. */
  close(): void;
}

function refuseTooMany(answer: UpgradeAnswer, refusal: EdgeRefusal): void {
  answer.refuse(429, refusal.text, { 'Retry-After': String(refusal.retryAfterSeconds) });
}

/**
 * The {@link UpgradeAnswer} of a `ws` server for one upgrade request of a Node HTTP server.
 * `compression` applies to the sockets that negotiated permessage-deflate.
 */
export function wsUpgradeAnswer(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer, compression: ResolvedWebSocketCompression | undefined): UpgradeAnswer {
  return {
    refuse: (status, text, headers) => rejectUpgrade(socket, status, text, headers),
    accept: (opened) =>
      wss.handleUpgrade(req, socket, head, (ws) =>
        opened({
          transport: (events) => new WebSocketTransport(ws, events, compression, acceptedExtensionsOf(req)),
          close: () => ws.close(1000),
        }),
      ),
  };
}

/**
 * Attaches a WebSocket to a negotiated connection, or creates one when no id is given; `info`
 * and `url` are the upgrade request's, `answer` completes or refuses it (whichever library
 * serves the socket). The upgrade request becomes the connection's request; a
 * stateful-reconnect resume replaces it with the new upgrade's, as ASP.NET sets the
 * connection's HttpContext on every WebSocket request.
 */
export async function answerWebSocketUpgrade(endpoint: Endpoint, info: ConnectionRequestInfo, url: string | undefined, answer: UpgradeAnswer): Promise<void> {
  if (!endpoint.options.transports.includes('WebSockets')) {
    answer.refuse(404, 'WebSockets transport not supported by this end point type');
    return;
  }
  // No id, or an empty one (ASP.NET's IsNullOrEmpty): skipNegotiation, a new connection.
  // From a query parsed for the purpose: the info's own is built only if someone reads it (kept with the connection).
  const token = connectionTokenOf(queryOf(url));
  let connection = token === undefined ? undefined : endpoint.connections.get(token);
  if (token === undefined) {
    // It starts a connection as a negotiate does, so it counts as one.
    const limited = endpoint.connections.negotiate(endpoint.connections.clientAddressOf(info));
    if (limited !== undefined) {
      refuseTooMany(answer, limited);
      return;
    }
  } else if (connection === undefined) {
    answer.refuse(404, 'No Connection with that ID');
    return;
  }
  if (connection !== undefined && connection.transportKind !== undefined && connection.transportKind !== 'WebSockets') {
    answer.refuse(400, 'Cannot change transports mid-connection');
    return;
  }
  // A second socket is refused, except for a stateful-reconnect connection, whose client resumes
  // on the same token (even while the old socket still looks open).
  if (connection !== undefined && connection.state !== 'negotiated' && connection.resumer === undefined) {
    answer.refuse(409, '');
    return;
  }
  const auth = await authenticateRequest(endpoint, info);
  if (!auth.ok) {
    answer.refuse(auth.status, undefined);
    return;
  }
  const resumed = connection;
  const resumer = resumed?.resumer;
  if (resumed !== undefined && resumer !== undefined) {
    if (!sameUser(endpoint, resumed, auth.principal)) {
      answer.refuse(403, USER_MISMATCH_TEXT);
      return;
    }
    answer.accept((socket) => {
      if (resumer.resume((events) => socket.transport(events))) resumed.request = info;
      else socket.close();
    });
    return;
  }
  // Authentication is async: another request may have claimed the connection meanwhile.
  if (connection !== undefined && connection.state !== 'negotiated') {
    answer.refuse(409, '');
    return;
  }
  if (connection === undefined) {
    const created = endpoint.connections.create(0, auth.principal, endpoint.connections.clientAddressOf(info));
    if (!(created instanceof HttpConnection)) {
      refuseTooMany(answer, created);
      return;
    }
    connection = created;
  }
  const claimed = connection;
  const refused = endpoint.connections.claim(claimed, { kind: 'WebSockets', principal: auth.principal, request: info });
  if (refused !== undefined) {
    refuseTooMany(answer, refused);
    return;
  }
  claimed.state = 'active';
  answer.accept((socket) => {
    if (endpoint.connections.get(claimed.token) !== claimed) {
      // Swept or shut down while the upgrade completed.
      socket.close();
      return;
    }
    claimed.transport = socket.transport(endpoint.open(claimed));
  });
}
