/**
 * Reading what Hubwire needs from an incoming request.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { parseCookie } from 'cookie';
import type { ConnectionRequestInfo } from '../connections/http-connection.js';

/** The path of a request URL, without its query. */
export function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const question = raw.indexOf('?');
  return question === -1 ? raw : raw.slice(0, question);
}

/** The query of a request URL. */
export function queryOf(url: string | undefined): URLSearchParams {
  const raw = url ?? '';
  const question = raw.indexOf('?');
  return new URLSearchParams(question === -1 ? '' : raw.slice(question + 1));
}

/** A query value by key, matched case-insensitively as ASP.NET does. */
export function queryValue(query: URLSearchParams, key: string): string | undefined {
  const direct = query.get(key);
  if (direct !== null) return direct;
  const lower = key.toLowerCase();
  for (const [name, value] of query) if (name.toLowerCase() === lower) return value;
  return undefined;
}

/**
 * The headers of a WebSocket upgrade that only concern the handshake itself: ws has read them,
 * and a connection that kept them would hold ~150 bytes of strings no application reads for as
 * long as it lives. (`Sec-WebSocket-Protocol` stays: it is the client's to choose.)
 */
const HANDSHAKE_ONLY = new Set(['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions']);

function withoutHandshakeHeaders(headers: IncomingMessage['headers']): IncomingMessage['headers'] {
  const kept: IncomingMessage['headers'] = {};
  for (const name in headers) if (!HANDSHAKE_ONLY.has(name)) kept[name] = headers[name];
  return kept;
}

/** A request's headers, query, cookies and address; what authenticators and connections see. */
class RequestInfo implements ConnectionRequestInfo {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly remoteAddress: string | undefined;
  /** The URL until the query is first read: a connection keeps its request, and most never read it again. */
  #url: string | undefined;
  #query: URLSearchParams | undefined;
  #cookies: Readonly<Record<string, string | undefined>> | undefined;

  constructor(headers: IncomingMessage['headers'], url: string | undefined, remoteAddress: string | undefined) {
    this.headers = headers.upgrade === undefined ? headers : withoutHandshakeHeaders(headers);
    this.#url = url;
    this.remoteAddress = remoteAddress;
  }

  get query(): URLSearchParams {
    if (this.#query === undefined) {
      this.#query = queryOf(this.#url);
      this.#url = undefined;
    }
    return this.#query;
  }

  // Most hubs never read a cookie: parse only when asked, once.
  get cookies(): Readonly<Record<string, string | undefined>> {
    if (this.#cookies === undefined) {
      const header = this.headers['cookie'];
      this.#cookies = Object.freeze(header === undefined ? {} : parseCookie(Array.isArray(header) ? header.join('; ') : header));
    }
    return this.#cookies;
  }
}

/**
 * The parts of `req` Hubwire keeps for authenticators and connections: its headers, query,
 * cookies (parsed when first read) and remote address, without the request itself. Useful to run
 * the same authenticator on other routes of an app.
 *
 * @example
 * ```ts
 * import { requestInfo } from 'hubwire';
 *
 * app.get('/api/me', async (req, res) => {
 *   const user = await authenticate(requestInfo(req)); // the authenticator the hubs use
 *   res.json({ user: user?.userIdentifier ?? null });
 * });
 * ```
 */
export function requestInfo(req: IncomingMessage): ConnectionRequestInfo {
  return new RequestInfo(req.headers, req.url, req.socket.remoteAddress);
}

/** The same from the parts of a request that did not come through `node:http` (uWebSockets.js). */
export function requestInfoOf(headers: IncomingMessage['headers'], url: string, remoteAddress: string | undefined): ConnectionRequestInfo {
  return new RequestInfo(headers, url, remoteAddress);
}

/**
 * Whether a POSTed body is binary: the official clients send `application/octet-stream` for
 * binary data and `text/plain;charset=UTF-8` for text.
 */
export function isBinaryBody(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  return type !== undefined && type.split(';')[0]!.trim().toLowerCase() === 'application/octet-stream';
}

/** Whether the request asks for an event stream (`Accept: text/event-stream`, maybe among others). */
export function acceptsEventStream(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (accept === undefined) return false;
  return accept.split(',').some((range) => range.split(';')[0]!.trim().toLowerCase() === 'text/event-stream');
}
