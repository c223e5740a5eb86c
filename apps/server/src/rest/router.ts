/**
 * The REST router: routes with `:name` parameters (and a trailing `/*`), CORS, bearer-token
 * auth, size-limited JSON bodies, and the mapping of handler errors to JSON answers.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientAddressResolver, redactUrl, requestInfo, TokenBuckets, type Authenticator, type ClientAddressResolver, type Principal } from 'hubwire';
import type { Logger } from 'pino';
import { BadRequest, NotFound, type RawHandler, type RawMethod, type RestHandler, type RestRoutes, type RouteAuth } from '../app-context.js';
import { BodyError, readJsonBody } from './body.js';
import { applyRestCors } from './cors.js';
import { sendError, sendJson } from './respond.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What the router needs. */
export interface RestRouterOptions {
  /** Establishes the caller from the bearer token (throws for a bad token). */
  readonly authenticate: Authenticator;
  /** Largest accepted body in bytes (413 beyond). */
  readonly maxBodyBytes: number;
  /** Cross-origin callers allowed (`*` for any). */
  readonly corsOrigins: readonly string[];
  readonly logger: Logger;
  /**
   * Requests per caller: the authenticated user, else the client address. Past it a request
   * gets 429 with `Retry-After`. Absent (or `perSecond` 0): no limit.
   */
  readonly rateLimit?: { readonly perSecond: number; readonly burst: number };
  /** Proxies whose `X-Forwarded-For` names the client. Default: none. */
  readonly trustedProxies?: readonly string[];
  /** The time of the rate limit (ms). Default: `Date.now`. */
  readonly now?: () => number;
  /** Told the pattern of the route that answers a request (`/api/campaigns/:id`), for metrics. */
  readonly onRoute?: (req: IncomingMessage, route: string) => void;
}

interface Segment {
  readonly literal?: string;
  readonly param?: string;
}

interface Route {
  readonly method: Method;
  readonly path: string;
  readonly segments: readonly Segment[];
  readonly wildcard: boolean;
  readonly target: { readonly kind: 'json'; readonly handler: RestHandler; readonly auth: RouteAuth } | { readonly kind: 'raw'; readonly handler: RawHandler };
}

const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Bearer' };

/** Implements {@link RestRoutes}; `handle` serves a request if a route matches its path. */
export class RestRouter implements RestRoutes {
  readonly #options: RestRouterOptions;
  readonly #routes: Route[] = [];
  readonly #buckets: TokenBuckets | undefined;
  readonly #clientAddress: ClientAddressResolver;
  readonly #now: () => number;

  constructor(options: RestRouterOptions) {
    this.#options = options;
    const limit = options.rateLimit;
    this.#buckets = limit === undefined || limit.perSecond === 0 ? undefined : new TokenBuckets(limit);
    this.#clientAddress = clientAddressResolver(options.trustedProxies);
    this.#now = options.now ?? Date.now;
  }

  add(method: Method, path: string, handler: RestHandler, auth: RouteAuth = 'anonymous'): void {
    this.#register(method, path, { kind: 'json', handler, auth });
  }

  addRaw(method: RawMethod, path: string, handler: RawHandler): void {
    this.#register(method, path, { kind: 'raw', handler });
  }

  /** The registered routes, as `METHOD path` (for the start-up log and docs checks). */
  get routes(): string[] {
    return this.#routes.map((route) => `${route.method} ${route.path}`);
  }

  #register(method: Method, path: string, target: Route['target']): void {
    if (!path.startsWith('/')) throw new Error(`A route path must start with '/'; got '${path}'.`);
    const parts = splitPath(path);
    const wildcard = parts[parts.length - 1] === '*';
    if (wildcard) parts.pop();
    const segments = parts.map((part): Segment => (part.startsWith(':') ? { param: part.slice(1) } : { literal: part.toLowerCase() }));
    for (const segment of segments) if (segment.literal?.includes('*')) throw new Error(`'*' may only end a route path: '${path}'.`);
    const clash = this.#routes.find((route) => route.method === method && route.wildcard === wildcard && sameShape(route.segments, segments));
    if (clash !== undefined) throw new Error(`Route ${method} ${path} clashes with ${clash.method} ${clash.path}.`);
    this.#routes.push({ method, path, segments, wildcard, target });
  }

  /**
   * Serves `req` when a route matches its path and returns true; returns false (nothing
   * written) when none does.
   */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = req.url ?? '/';
    const question = url.indexOf('?');
    const rawPath = question === -1 ? url : url.slice(0, question);
    let parts: string[];
    try {
      parts = splitPath(rawPath).map((part) => decodeURIComponent(part));
    } catch {
      sendError(res, 400, 'The request path is not valid.');
      return true;
    }
    const matches = this.#routes.flatMap((route) => {
      const params = match(route, parts);
      return params === undefined ? [] : [{ route, params }];
    });
    if (matches.length === 0) return false;
    const methods = [...new Set(matches.map(({ route }) => route.method))];
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    // The most specific route wins: exact paths before parameters before wildcards.
    const found = matches.filter(({ route }) => route.method === method && (req.method !== 'HEAD' || route.target.kind === 'raw')).sort((a, b) => specificity(b.route) - specificity(a.route))[0];
    this.#options.onRoute?.(req, (found ?? matches.sort((a, b) => specificity(b.route) - specificity(a.route))[0]!).route.path);
    if (applyRestCors(this.#options.corsOrigins, req, res, methods) === 'answered') return true;
    if (found === undefined) {
      sendError(res, 405, `Method ${req.method} is not allowed here.`, {}, { Allow: methods.join(', ') });
      return true;
    }
    const query = new URLSearchParams(question === -1 ? '' : url.slice(question + 1));
    if (found.route.target.kind === 'raw') {
      if (this.#limited(req, res, undefined)) return true;
      await this.#raw(found.route.target.handler, req, res, found.params);
    }
    else await this.#json(found.route.target.handler, found.route.target.auth, req, res, found.params, query);
    return true;
  }

  /** Takes one request from the caller's bucket; answers 429 and returns true when it is empty. */
  #limited(req: IncomingMessage, res: ServerResponse, user: Principal | undefined): boolean {
    if (this.#buckets === undefined) return false;
    const address = this.#clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    const key = user?.userIdentifier !== undefined ? `user:${user.userIdentifier}` : `address:${address}`;
    const outcome = this.#buckets.take(key, this.#now());
    if (outcome.allowed) return false;
    const retryAfterSeconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
    this.#options.logger.debug({ url: redactUrl(req.url), user: user?.userIdentifier, clientAddress: address }, 'REST rate limited');
    discard(req);
    sendError(res, 429, 'Too many requests.', { retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) });
    return true;
  }

  async #raw(handler: RawHandler, req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> {
    try {
      await handler(req, res, params);
    } catch (error) {
      this.#options.logger.error({ err: error, method: req.method, url: redactUrl(req.url) }, 'route failed');
      if (!res.headersSent) sendError(res, 500, 'Internal server error.');
      else res.destroy();
    }
  }

  async #json(handler: RestHandler, auth: RouteAuth, req: IncomingMessage, res: ServerResponse, params: Record<string, string>, query: URLSearchParams): Promise<void> {
    const { logger } = this.#options;
    let user: Principal | undefined;
    let failure: { readonly error: unknown } | undefined;
    try {
      user = await this.#options.authenticate(requestInfo(req));
    } catch (error) {
      failure = { error };
    }
    // Counted before the 401s, so a flood of bad tokens is limited by its address.
    if (this.#limited(req, res, user)) return;
    if (failure !== undefined && auth !== 'anonymous') {
      const { error } = failure;
      logger.info({ url: redactUrl(req.url), error: error instanceof Error ? error.message : String(error) }, 'REST authentication refused');
      discard(req);
      sendError(res, 401, 'The bearer token is invalid or expired.', {}, WWW_AUTHENTICATE);
      return;
    }
    if (auth !== 'anonymous') {
      if (user === undefined) {
        discard(req);
        sendError(res, 401, 'A bearer token is required.', {}, WWW_AUTHENTICATE);
        return;
      }
      if (typeof auth === 'object' && !auth.roles.some((role) => user.roles?.includes(role))) {
        logger.info({ url: redactUrl(req.url), user: user.userIdentifier }, 'REST authorization refused');
        discard(req);
        sendError(res, 403, `This endpoint needs the role ${auth.roles.join(' or ')}.`);
        return;
      }
    }
    let body: unknown;
    try {
      body = await readJsonBody(req, this.#options.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      if (error.status === 413) {
        // Stop reading whatever is left; the connection cannot be reused.
        res.once('finish', () => req.destroy());
        sendError(res, 413, error.message, {}, { Connection: 'close' });
      } else {
        sendError(res, error.status, error.message, error.status === 400 ? { field: 'body' } : {});
      }
      return;
    }
    try {
      const result = await handler({ req, params, query, body, user });
      sendJson(res, result.status, result.body, result.headers);
    } catch (error) {
      if (error instanceof BadRequest) sendError(res, 400, error.message, { field: error.field });
      else if (error instanceof NotFound) sendError(res, 404, error.message);
      else {
        logger.error({ err: error, method: req.method, url: redactUrl(req.url) }, 'REST handler failed');
        sendError(res, 500, 'Internal server error.');
      }
    }
  }
}

/** `/a/b/` → `['a', 'b']`; `/` → `[]`. */
function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part.length > 0);
}

function sameShape(a: readonly Segment[], b: readonly Segment[]): boolean {
  return a.length === b.length && a.every((segment, index) => (segment.literal === undefined) === (b[index]!.literal === undefined) && segment.literal === b[index]!.literal);
}

function specificity(route: Route): number {
  return route.segments.filter((segment) => segment.literal !== undefined).length * 2 + (route.wildcard ? 0 : 1);
}

function match(route: Route, parts: readonly string[]): Record<string, string> | undefined {
  if (route.wildcard ? parts.length < route.segments.length : parts.length !== route.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < route.segments.length; index++) {
    const segment = route.segments[index]!;
    const part = parts[index]!;
    if (segment.literal !== undefined) {
      if (segment.literal !== part.toLowerCase()) return undefined;
    } else {
      params[segment.param!] = part;
    }
  }
  if (route.wildcard) {
    const rest = parts.slice(route.segments.length);
    if (rest.some((part) => part === '..' || part === '.' || part.includes('/') || part.includes('\\') || part.includes('\0'))) return undefined;
    params['*'] = rest.join('/');
  }
  return params;
}

/** Lets the rest of a refused request's body go without buffering it. */
function discard(req: IncomingMessage): void {
  req.resume();
}
