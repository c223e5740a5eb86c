/**
 * uWebSockets.js requests and responses in the shape of `node:http`'s, as far as Hubwire's HTTP
 * handlers use them (negotiate, Server-Sent Events, long polling, sends, CORS): one set of
 * handlers serves both engines.
 * @module
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { Readable } from 'node:stream';
import type { UwsHttpRequest, UwsHttpResponse } from './uws-types.js';

/** Methods whose requests carry no body unless they say so. */
const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);
/** Headers uWebSockets.js writes itself (it frames the body: a length, or chunks). */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection']);

/** The text of an address uWebSockets.js gives as bytes. */
export function addressText(bytes: ArrayBuffer): string | undefined {
  const text = Buffer.from(bytes).toString();
  return text === '' ? undefined : text;
}

/** The headers of `req`, names in lower case as `node:http` has them, repeats joined with a comma. */
export function headersOf(req: UwsHttpRequest): IncomingMessage['headers'] {
  const headers: Record<string, string> = {};
  req.forEach((name, value) => {
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  });
  return headers;
}

/** The request URL, query included, as `req.url` has it. */
export function urlOf(req: UwsHttpRequest): string {
  const query = req.getQuery();
  return query ? `${req.getUrl()}?${query}` : req.getUrl();
}

/**
 * A request as {@link IncomingMessage}: method, URL, headers, the client's address, and the body
 * as a stream. Read it all in the handler's synchronous part: uWebSockets.js' request is gone after.
 */
class UwsIncoming extends Readable {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly socket: { readonly remoteAddress: string | undefined };
  readonly #res: UwsHttpResponse;
  readonly #state: ResponseState;
  #pausedSource = false;

  constructor(res: UwsHttpResponse, req: UwsHttpRequest, state: ResponseState) {
    super();
    this.#res = res;
    this.#state = state;
    this.method = req.getCaseSensitiveMethod?.() ?? req.getMethod().toUpperCase();
    this.url = urlOf(req);
    this.headers = headersOf(req);
    this.socket = { remoteAddress: addressText(res.getRemoteAddressAsText()) };
    if (BODILESS.has(this.method) && this.headers['content-length'] === undefined && this.headers['transfer-encoding'] === undefined) {
      this.push(null);
      return;
    }
    res.onData((bytes, isLast) => {
      // Answered already (a 404 before the body, say): the rest is dropped, and the response,
      // which uWebSockets.js has discarded, is not touched again.
      if (this.#state.done) return;
      // The chunk is uWebSockets.js' until the handler returns.
      if (bytes.byteLength > 0 && !this.push(Buffer.copyBytesFrom(new Uint8Array(bytes))) && !isLast) {
        this.#pausedSource = true;
        res.pause();
      }
      if (isLast) this.push(null);
    });
  }

  override _read(): void {
    if (!this.#pausedSource || this.#state.done) return;
    this.#pausedSource = false;
    this.#res.resume();
  }
}

/** Shared by a request and its response: whether uWebSockets.js' response may still be touched. */
interface ResponseState {
  done: boolean;
}

/** A response as {@link ServerResponse}: status, headers, writes, end, destroy, `close`. */
class UwsOutgoing extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  destroyed = false;
  writableEnded = false;
  readonly #res: UwsHttpResponse;
  readonly #state: ResponseState;
  readonly #headers = new Map<string, [string, string]>();
  /** Bytes uWebSockets.js holds because the client reads slower than we write. */
  #backlog = 0;
  #watchingWritable = false;

  constructor(res: UwsHttpResponse, state: ResponseState) {
    super();
    this.#res = res;
    this.#state = state;
    res.onAborted(() => {
      this.#state.done = true;
      // As node:http reports a closed socket: after this turn's I/O. A client that posts a Close
      // message and drops its event stream at once gets the Close read first, as on node:http.
      setImmediate(() => this.#gone());
    });
  }

  get writableLength(): number {
    return this.#backlog;
  }

  setHeader(name: string, value: number | string | readonly string[]): this {
    this.#headers.set(name.toLowerCase(), [name, Array.isArray(value) ? value.join(', ') : String(value)]);
    return this;
  }

  getHeader(name: string): string | undefined {
    return this.#headers.get(name.toLowerCase())?.[1];
  }

  writeHead(status: number, headers?: Record<string, number | string | readonly string[]>): this {
    this.statusCode = status;
    if (headers !== undefined) for (const [name, value] of Object.entries(headers)) this.setHeader(name, value);
    return this;
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.#state.done || this.writableEnded) return false;
    let written = true;
    this.#res.cork(() => {
      this.#head();
      written = this.#res.write(chunk);
    });
    if (!written) this.#held(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length);
    return written;
  }

  end(chunk?: string | Uint8Array): this {
    if (this.#state.done || this.writableEnded) return this;
    this.writableEnded = true;
    this.#res.cork(() => {
      this.#head();
      this.#res.end(chunk ?? '');
    });
    this.#state.done = true;
    process.nextTick(() => {
      this.emit('finish');
      this.#gone();
    });
    return this;
  }

  destroy(): this {
    if (!this.#state.done) {
      this.#state.done = true;
      this.#res.close();
    }
    this.#gone();
    return this;
  }

  #head(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.#res.writeStatus(`${this.statusCode} ${STATUS_CODES[this.statusCode] ?? ''}`);
    for (const [lower, [name, value]] of this.#headers) if (!FRAMING.has(lower)) this.#res.writeHeader(name, value);
  }

  #held(bytes: number): void {
    this.#backlog += bytes;
    if (this.#watchingWritable) return;
    this.#watchingWritable = true;
    this.#res.onWritable(() => {
      // uWebSockets.js sends what it holds before it calls this: the backlog is out.
      this.#backlog = 0;
      this.#watchingWritable = false;
      return true;
    });
  }

  #gone(): void {
    this.#state.done = true;
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }
}

/**
 * The `node:http` pair for one uWebSockets.js request, built in its handler's synchronous part.
 */
export function nodeRequestPair(res: UwsHttpResponse, req: UwsHttpRequest): { req: IncomingMessage; res: ServerResponse } {
  const state: ResponseState = { done: false };
  // onAborted first: uWebSockets.js requires it of a response answered later.
  const outgoing = new UwsOutgoing(res, state);
  const incoming = new UwsIncoming(res, req, state);
  return { req: incoming as unknown as IncomingMessage, res: outgoing as unknown as ServerResponse };
}
