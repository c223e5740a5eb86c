/**
 * The `node:http` server settings that keep half-sent requests from holding sockets forever
 * (slowloris): how long a client may take to send its headers and its whole request, how long
 * an idle keep-alive socket stays open, how often Node checks, and how large headers may be.
 * `listen()` applies them; `attach()` users pass {@link DEFAULT_HTTP_SERVER_OPTIONS} (or their
 * own values) to `createServer` themselves.
 * @module
 */
import { HubwireError } from '../core/errors.js';

/** The slowloris-relevant options of a `node:http` server, as Node names them (ms, bytes). */
export interface HttpServerLimits {
  /**
   * Time a client has to send a request's headers (an idle new socket included); past it the
   * socket gets 408 and is closed. WebSocket upgrades are requests too. Default 10 000.
   */
  headersTimeout?: number;
  /**
   * Time a client has to send a whole request, body included (a slow POST). It bounds receiving
   * only: a long poll held for 90 s and an endless event stream are responses and are not cut.
   * Default 30 000.
   */
  requestTimeout?: number;
  /** How long a keep-alive socket may sit idle between requests. Default 5 000 (Node's). */
  keepAliveTimeout?: number;
  /**
   * How often Node looks for requests past `headersTimeout` / `requestTimeout`; a timeout fires
   * up to this late. Default 1 000 (Node's own is 30 000, which would let a 10 s limit run 40 s).
   */
  connectionsCheckingInterval?: number;
  /** Largest request header block in bytes; more gets 431. Default 16 384 (Node's). */
  maxHeaderSize?: number;
}

/**
 * The values `listen()` uses, to pass to a server of your own.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createHubServer, DEFAULT_HTTP_SERVER_OPTIONS } from 'hubwire';
 *
 * const hubwire = createHubServer();
 * const server = createServer({ ...DEFAULT_HTTP_SERVER_OPTIONS }, (req, res) => res.writeHead(404).end());
 * hubwire.attach(server);
 * server.listen(5000);
 * ```
 */
export const DEFAULT_HTTP_SERVER_OPTIONS: Readonly<Required<HttpServerLimits>> = Object.freeze({
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
  maxHeaderSize: 16_384,
});

const NAMES = ['headersTimeout', 'requestTimeout', 'keepAliveTimeout', 'connectionsCheckingInterval', 'maxHeaderSize'] as const;

/** The defaults with `options` over them, checked (as Node would, but with Hubwire's error). */
export function httpServerOptions(options: HttpServerLimits): Required<HttpServerLimits> {
  const resolved = { ...DEFAULT_HTTP_SERVER_OPTIONS };
  for (const name of NAMES) {
    const value = options[name];
    if (value === undefined) continue;
    // 0 switches a timeout off, as in Node; the interval and the header size must be positive.
    const least = name === 'connectionsCheckingInterval' || name === 'maxHeaderSize' ? 1 : 0;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < least) {
      throw new HubwireError('HUB_ERR_INVALID_OPTION', `Option '${name}' must be ${least === 1 ? 'a positive' : 'a non-negative'} integer; got ${String(value)}.`);
    }
    resolved[name] = value;
  }
  if (resolved.requestTimeout > 0 && resolved.headersTimeout > resolved.requestTimeout) {
    throw new HubwireError('HUB_ERR_INVALID_OPTION', `Option 'headersTimeout' must not exceed 'requestTimeout'; got ${resolved.headersTimeout} > ${resolved.requestTimeout}.`);
  }
  return resolved;
}
