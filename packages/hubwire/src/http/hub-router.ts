/**
 * Routes HTTP requests and upgrades to mapped endpoints (hubs and raw connection handlers).
 * Routing only: the work happens in the negotiate and transport handlers. On an endpoint's URL:
 * an upgrade is a WebSocket, a GET asking for `text/event-stream` is Server-Sent Events, any other
 * GET a long poll, a POST a send, a DELETE the end of a long-polling connection.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { HubwireError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Endpoint } from '../connections/endpoint.js';
import { applyCors, isOriginAllowed, type CorsOptions } from './cors.js';
import { handleDelete, handlePoll } from './long-polling.js';
import { handleNegotiate } from './negotiate.js';
import { acceptsEventStream, pathOf, queryOf, queryValue, requestInfo } from './request-info.js';
import { sendText } from './responses.js';
import { handleSend } from './send.js';
import { handleServerSentEvents } from './server-sent-events.js';
import { answerWebSocketUpgrade, wsUpgradeAnswer, type AcceptedSocket, type UpgradeAnswer } from './websocket-upgrade.js';
import type { ConnectionRequestInfo } from '../connections/http-connection.js';
import { perMessageDeflateOptions, recordAcceptedExtensions, resolveWebSocketCompression, type ResolvedWebSocketCompression } from '../transports/websocket-compression.js';
import { preframingAvailable } from '../transports/websocket-frames.js';

const NEGOTIATE_SUFFIX = '/negotiate';

/** Normalizes an endpoint path for matching: lower case, no trailing slash. */
export function normalizeHubPath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/**
 * An {@link UpgradeAnswer} of a library with one message size limit for all routes: it is told
 * the endpoint's own, to enforce itself.
 */
export interface ForeignUpgradeAnswer {
  refuse(status: number, text: string | undefined, headers?: Record<string, string>): void;
  accept(opened: (socket: AcceptedSocket) => void, maximumMessageSize: number): void;
}

/** Maps request paths to endpoints. */
export class HubRouter {
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #servers = new Map<Endpoint, { wss: WebSocketServer; compression: ResolvedWebSocketCompression | undefined }>();
  readonly #logger: Logger;
  readonly #cors: CorsOptions | undefined;
  #accepting = true;

  constructor(logger: Logger, cors: CorsOptions | undefined) {
    this.#logger = logger;
    this.#cors = cors;
  }

  add(endpoint: Endpoint): void {
    const key = normalizeHubPath(endpoint.path);
    if (this.#endpoints.has(key)) throw new HubwireError('HUB_ERR_INVALID_OPTION', `A hub or connection handler is already mapped on '${endpoint.path}'.`);
    this.#endpoints.set(key, endpoint);
    const compression = this.#compressionOf(endpoint);
    // maxPayload bounds a message after inflating too: ws stops inflating past it (close 1009).
    const wss = new WebSocketServer({
      noServer: true,
      // Connections are tracked by the hub layer; ws' own set would cost every socket a 'close' listener (a closure) and an entry.
      clientTracking: false,
      perMessageDeflate: compression === undefined ? false : perMessageDeflateOptions(compression),
      maxPayload: endpoint.options.maximumWebSocketFrameSize,
    });
    if (compression !== undefined) recordAcceptedExtensions(wss);
    this.#servers.set(endpoint, { wss, compression });
  }

  #compressionOf(endpoint: Endpoint): ResolvedWebSocketCompression | undefined {
    const compression = resolveWebSocketCompression(endpoint.options.webSocketCompression);
    // Compressed frames are written pre-framed; without that, offering the extension would only cost.
    if (compression !== undefined && !preframingAvailable) {
      this.#logger.warn({ hub: endpoint.path }, 'webSocketCompression is off: the installed ws does not export Sender.frame');
      return undefined;
    }
    return compression;
  }

  endpoints(): IterableIterator<Endpoint> {
    return this.#endpoints.values();
  }

  /** The endpoint mapped on `path` (matched as requests are: any case, trailing slash or not). */
  endpoint(path: string): Endpoint | undefined {
    return this.#endpoints.get(normalizeHubPath(path));
  }

  /** Whether a request for `url` is for an endpoint (its own URL or its negotiate). */
  matches(url: string): boolean {
    return this.#match(url) !== undefined;
  }

  #match(url: string | undefined): { endpoint: Endpoint; negotiate: boolean } | undefined {
    const path = normalizeHubPath(pathOf(url));
    const direct = this.#endpoints.get(path);
    if (direct !== undefined) return { endpoint: direct, negotiate: false };
    if (path.endsWith(NEGOTIATE_SUFFIX)) {
      const endpoint = this.#endpoints.get(path.slice(0, -NEGOTIATE_SUFFIX.length) || '/');
      if (endpoint !== undefined) return { endpoint, negotiate: true };
    }
    return undefined;
  }

  /**
   * The server is shutting down: from now on negotiate, upgrades and every request that would
   * attach a transport to a connection get 503. Requests of connections that have a transport
   * (polls, sends, DELETE) are still served, so a long-polling client between two polls collects
   * its Close and stops instead of failing its next poll.
   */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Whether `req` may still be served while shutting down: it belongs to an attached connection. */
  #servesWhileStopping(endpoint: Endpoint, req: IncomingMessage): boolean {
    if (req.method === 'POST' || req.method === 'DELETE') return true;
    if (req.method !== 'GET' || acceptsEventStream(req)) return false;
    const token = queryValue(queryOf(req.url), 'id');
    return token !== undefined && endpoint.connections.get(token)?.transportKind === 'LongPolling';
  }

  /** Handles the request if it is for an endpoint; returns false otherwise so others may. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const match = this.#match(req.url);
    if (match === undefined) return false;
    if (!this.#accepting && (match.negotiate || !this.#servesWhileStopping(match.endpoint, req))) {
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

  async #dispatch(endpoint: Endpoint, negotiate: boolean, req: IncomingMessage, res: ServerResponse): Promise<void> {
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

  /** Handles a WebSocket upgrade if it is for an endpoint; returns false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const match = this.#match(req.url);
    if (match === undefined || match.negotiate) return false;
    const { endpoint } = match;
    const server = this.#servers.get(endpoint)!;
    const answer = wsUpgradeAnswer(server.wss, req, socket, head, server.compression);
    this.#upgrade(endpoint, requestInfo(req), req.url, answer).catch((error: unknown) => {
      this.#logger.error({ hub: endpoint.path, err: error }, 'upgrade failed');
      socket.destroy();
    });
    return true;
  }

  /**
   * The same for a WebSocket library other than `ws` (uWebSockets.js): `answer` completes or
   * refuses the upgrade of `info`, whose URL is `url`. Returns false if no endpoint is on it.
   */
  handleForeignUpgrade(url: string, info: ConnectionRequestInfo, foreign: ForeignUpgradeAnswer): boolean {
    const match = this.#match(url);
    if (match === undefined || match.negotiate) return false;
    const { endpoint } = match;
    const limit = endpoint.options.maximumWebSocketFrameSize;
    const answer: UpgradeAnswer = { refuse: (status, text, headers) => foreign.refuse(status, text, headers), accept: (opened) => foreign.accept(opened, limit) };
    this.#upgrade(endpoint, info, url, answer).catch((error: unknown) => {
      this.#logger.error({ hub: endpoint.path, err: error }, 'upgrade failed');
      answer.refuse(500, 'Internal Server Error');
    });
    return true;
  }

  /** One upgrade, whichever library serves it: the server's own refusals, then the connection's rules. */
  async #upgrade(endpoint: Endpoint, info: ConnectionRequestInfo, url: string | undefined, answer: UpgradeAnswer): Promise<void> {
    if (!this.#accepting) {
      answer.refuse(503, 'The server is shutting down.');
      return;
    }
    const origin = info.headers['origin'];
    // Browsers let any page open a WebSocket anywhere; with CORS configured, hold WebSockets to it too.
    if (this.#cors !== undefined && typeof origin === 'string' && !(await isOriginAllowed(this.#cors, origin))) {
      answer.refuse(403, `Origin '${origin}' is not allowed.`);
      return;
    }
    await answerWebSocketUpgrade(endpoint, info, url, answer);
  }

  /** The largest WebSocket message any endpoint takes (for a library with one limit for all routes). */
  get maximumWebSocketFrameSize(): number {
    let largest = 0;
    for (const endpoint of this.#endpoints.values()) largest = Math.max(largest, endpoint.options.maximumWebSocketFrameSize);
    return largest;
  }

  /** Closes the WebSocket servers (their clients are closed by the endpoints). */
  close(): void {
    for (const { wss } of this.#servers.values()) wss.close();
  }
}
