/**
 * Routes HTTP requests and upgrades to mapped hubs. Routing only: the work happens in the
 * negotiate and transport handlers. On the hub URL: an upgrade is a WebSocket, a GET asking for
 * `text/event-stream` is Server-Sent Events, any other GET a long poll, a POST a send, a DELETE
 * the end of a long-polling connection.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../core/logger.js';
import type { HubEndpoint } from '../hubs/hub-endpoint.js';
import { applyCors, isOriginAllowed, type CorsOptions } from './cors.js';
import { handleDelete, handlePoll } from './long-polling.js';
import { handleNegotiate } from './negotiate.js';
import { acceptsEventStream, pathOf } from './request-info.js';
import { rejectUpgrade, sendText } from './responses.js';
import { handleSend } from './send.js';
import { handleServerSentEvents } from './server-sent-events.js';
import { handleWebSocketUpgrade } from './websocket-upgrade.js';

const NEGOTIATE_SUFFIX = '/negotiate';

/** Normalizes a hub path for matching: lower case, no trailing slash. */
export function normalizeHubPath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/** Maps request paths to hub endpoints. */
export class HubRouter {
  readonly #endpoints = new Map<string, HubEndpoint>();
  readonly #servers = new Map<HubEndpoint, WebSocketServer>();
  readonly #logger: Logger;
  readonly #cors: CorsOptions | undefined;
  #accepting = true;

  constructor(logger: Logger, cors: CorsOptions | undefined) {
    this.#logger = logger;
    this.#cors = cors;
  }

  add(endpoint: HubEndpoint): void {
    const key = normalizeHubPath(endpoint.path);
    if (this.#endpoints.has(key)) throw new Error(`A hub is already mapped on '${endpoint.path}'.`);
    this.#endpoints.set(key, endpoint);
    this.#servers.set(
      endpoint,
      new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: endpoint.options.maximumWebSocketFrameSize }),
    );
  }

  endpoints(): IterableIterator<HubEndpoint> {
    return this.#endpoints.values();
  }

  #match(url: string | undefined): { endpoint: HubEndpoint; negotiate: boolean } | undefined {
    const path = normalizeHubPath(pathOf(url));
    const direct = this.#endpoints.get(path);
    if (direct !== undefined) return { endpoint: direct, negotiate: false };
    if (path.endsWith(NEGOTIATE_SUFFIX)) {
      const endpoint = this.#endpoints.get(path.slice(0, -NEGOTIATE_SUFFIX.length) || '/');
      if (endpoint !== undefined) return { endpoint, negotiate: true };
    }
    return undefined;
  }

  /** From now on, answer 503 to every hub request and upgrade (the server is shutting down). */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Handles the request if it is for a hub; returns false otherwise so others may. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const match = this.#match(req.url);
    if (match === undefined) return false;
    if (!this.#accepting) {
      req.resume();
      sendText(res, 503, 'The server is shutting down.');
      return true;
    }
    this.#dispatch(match.endpoint, match.negotiate, req, res).catch((error: unknown) => {
      this.#logger.error({ hub: match.endpoint.path, err: error }, 'request handler failed');
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error');
      else res.destroy();
    });
    return true;
  }

  async #dispatch(endpoint: HubEndpoint, negotiate: boolean, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if ((await applyCors(this.#cors, req, res)) === 'answered') return;
    if (negotiate) {
      await handleNegotiate(endpoint, req, res);
      return;
    }
    // A WebSocket upgrade never gets here (see handleUpgrade).
    switch (req.method) {
      case 'GET':
        return acceptsEventStream(req) ? handleServerSentEvents(endpoint, req, res) : handlePoll(endpoint, req, res);
      case 'POST':
        return handleSend(endpoint, req, res);
      case 'DELETE':
        return handleDelete(endpoint, req, res);
      default:
        req.resume();
        return sendText(res, 405, 'Method Not Allowed');
    }
  }

  /** Handles a WebSocket upgrade if it is for a hub; returns false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const match = this.#match(req.url);
    if (match === undefined || match.negotiate) return false;
    if (!this.#accepting) {
      rejectUpgrade(socket, 503, 'The server is shutting down.');
      return true;
    }
    const { endpoint } = match;
    const wss = this.#servers.get(endpoint)!;
    this.#upgrade(endpoint, wss, req, socket, head).catch((error: unknown) => {
      this.#logger.error({ hub: endpoint.path, err: error }, 'upgrade failed');
      socket.destroy();
    });
    return true;
  }

  async #upgrade(endpoint: HubEndpoint, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const origin = req.headers.origin;
    // Browsers let any page open a WebSocket anywhere; with CORS configured, hold WebSockets to it too.
    if (this.#cors !== undefined && origin !== undefined && !(await isOriginAllowed(this.#cors, origin))) {
      rejectUpgrade(socket, 403, `Origin '${origin}' is not allowed.`);
      return;
    }
    await handleWebSocketUpgrade(endpoint, wss, req, socket, head);
  }

  /** Closes the WebSocket servers (their clients are closed by the endpoints). */
  close(): void {
    for (const wss of this.#servers.values()) wss.close();
  }
}
