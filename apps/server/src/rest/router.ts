/**
 * The app's HTTP layer on Fastify, behind the modules' registration facade ({@link RestRoutes}):
 * routes with `:name` parameters (and a trailing `/*`), CORS (`@fastify/cors`), bearer-token or
 * per-route auth, rate limits, size-limited JSON bodies, JSON Schemas checked by Fastify, and
 * the mapping of errors to the app's JSON answers. Fastify is bound to the app's own
 * `node:http` server, whose request listener hands it what Hubwire does not serve.
 * @module
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { clientAddressResolver, redactUrl, requestInfo, TokenBuckets, type Authenticator, type ClientAddressResolver, type Principal } from 'hubwire';
import type { Logger } from 'pino';
import {
  BadRequest,
  Forbidden,
  NotFound,
  Unauthorized,
  type RawHandler,
  type RawMethod,
  type RestFailure,
  type RestHandler,
  type RestMethod,
  type RestRoutes,
  type RouteAuth,
  type RouteOptions,
} from '../app-context.js';
import { BodyError, tooLarge, useJsonBodies } from './body.js';
import { registerCors } from './cors.js';
import { sendError } from './respond.js';
import { RouteTable, safeWildcard } from './route-table.js';
import { compileSchema, fieldError, OPTIONAL_BODY, type HttpPart } from './schema-validation.js';

/** What the router needs. */
export interface RestRouterOptions {
  /** The `node:http` server Fastify is bound to; its request listener calls {@link RestRouter.handle}. */
  readonly server: Server;
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
  /** Answers the server's `clientError`s (malformed requests, timeouts). Default: Fastify's. */
  readonly onClientError?: (error: NodeJS.ErrnoException, socket: Duplex) => void;
}

/** One registered route, as the OpenAPI document describes it. */
export interface RouteDefinition {
  readonly method: string;
  readonly path: string;
  readonly kind: 'json' | 'raw';
  readonly auth: RouteAuth;
  readonly options: RouteOptions;
}

/** What a route keeps in Fastify's route config. */
interface RouteConfig {
  readonly path?: string;
  readonly errorBody?: RouteOptions['errorBody'];
  readonly errorHeaders?: RouteOptions['errorHeaders'];
}

const BEARER = 'Bearer';

/** Implements {@link RestRoutes} on Fastify; `handle` serves a request Hubwire did not take. */
export class RestRouter implements RestRoutes {
  readonly #options: RestRouterOptions;
  readonly #fastify: FastifyInstance;
  readonly #table = new RouteTable();
  readonly #definitions: RouteDefinition[] = [];
  readonly #buckets: TokenBuckets | undefined;
  readonly #clientAddress: ClientAddressResolver;
  readonly #now: () => number;
  /** The caller each request was authenticated as (set before the body is read). */
  readonly #users = new WeakMap<IncomingMessage, Principal | undefined>();
  #handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  constructor(options: RestRouterOptions) {
    this.#options = options;
    const limit = options.rateLimit;
    this.#buckets = limit === undefined || limit.perSecond === 0 ? undefined : new TokenBuckets(limit);
    this.#clientAddress = clientAddressResolver(options.trustedProxies);
    this.#now = options.now ?? Date.now;
    this.#fastify = Fastify({
      serverFactory: (handler) => {
        this.#handler = handler;
        return options.server;
      },
      // As the hand-written router did: literal segments ignore case, slashes are forgiving, and
      // a parameter may be as long as a URL (group names are up to 1024 characters).
      routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 8192 },
      // A JSON GET route answers HEAD only when the module adds one (raw GET routes do).
      exposeHeadRoutes: false,
      bodyLimit: options.maxBodyBytes,
      logger: false,
      return503OnClosing: false,
      ...(options.onClientError === undefined ? {} : { clientErrorHandler: options.onClientError }),
      frameworkErrors: (error, request, reply) => {
        if (error.code === 'FST_ERR_BAD_URL') this.#fail(request, reply, { status: 400, message: 'The request path is not valid.' });
        else this.#fail(request, reply, { status: error.statusCode ?? 400, message: error.message });
      },
    });
    const fastify = this.#fastify;
    useJsonBodies(fastify);
    fastify.setValidatorCompiler(compileSchema);
    fastify.setErrorHandler((error, request, reply) => this.#onError(error as FastifyError, request, reply));
    fastify.setNotFoundHandler((request, reply) => this.#notFound(request, reply));
    // First: the metrics name the route even when a later hook answers (preflight, 429, 401).
    fastify.addHook('onRequest', (request, _reply, done) => {
      const route = (request.routeOptions.config as RouteConfig | undefined)?.path ?? this.#table.mostSpecific(request.url)?.path;
      if (route !== undefined) this.#options.onRoute?.(request.raw, route);
      done();
    });
    registerCors(fastify, options.corsOrigins, (url) => this.#table.methodsOf(url), (request, reply) => this.#notFound(request, reply));
  }

  add(method: RestMethod, path: string, handler: RestHandler, auth: RouteAuth = 'anonymous', options: RouteOptions = {}): void {
    this.#table.add(method, path);
    this.#definitions.push({ method, path, kind: 'json', auth, options });
    // Response schemas are the OpenAPI document's alone (see RouteSchema).
    const { response: _documented, bodyOptional, ...checked } = options.schema ?? {};
    if (checked.body !== undefined && bodyOptional === true) checked.body = { ...checked.body, [OPTIONAL_BODY]: true };
    const config: RouteConfig = { path, errorBody: options.errorBody, errorHeaders: options.errorHeaders };
    this.#fastify.route({
      method,
      url: path,
      config,
      schema: checked,
      onRequest: (request, reply) => this.#guard(request, reply, auth),
      handler: async (request, reply) => {
        const url = request.raw.url ?? '/';
        const question = url.indexOf('?');
        const result = await handler({
          req: request.raw,
          params: request.params as Record<string, string>,
          query: new URLSearchParams(question === -1 ? '' : url.slice(question + 1)),
          queryValues: (request.query ?? {}) as Record<string, unknown>,
          body: request.body,
          user: this.#users.get(request.raw),
        });
        return this.#send(reply, result.status, result.body, result.headers);
      },
    });
  }

  addRaw(method: RawMethod, path: string, handler: RawHandler, options: Pick<RouteOptions, 'summary' | 'tags'> = {}): void {
    const entry = this.#table.add(method, path);
    this.#definitions.push({ method, path, kind: 'raw', auth: 'anonymous', options });
    const config: RouteConfig = { path };
    this.#fastify.route({
      method: method === 'GET' ? ['GET', 'HEAD'] : method,
      url: path,
      config,
      // Served from onRequest, before Fastify would read the body: raw handlers read it themselves.
      onRequest: async (request, reply) => {
        const params = request.params as Record<string, string>;
        if (entry.wildcard && !safeWildcard(params['*'] ?? '')) return this.#notFound(request, reply, false);
        if (this.#limited(request, reply, undefined)) return reply;
        await this.#raw(handler, request, reply, params);
        return reply;
      },
      handler: () => undefined,
    });
  }

  /** The registered routes, as `METHOD path` (for the start-up log and docs checks). */
  get routes(): string[] {
    return this.#definitions.map((route) => `${route.method} ${route.path}`);
  }

  /** The registered routes with their auth and options (for the OpenAPI document). */
  get definitions(): readonly RouteDefinition[] {
    return this.#definitions;
  }

  /** Compiles the routes and schemas; call once every module has registered, before serving. */
  async ready(): Promise<void> {
    await this.#fastify.ready();
  }

  /** Serves a request (from the server's request listener). */
  handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.#handler === undefined) throw new Error('The Fastify handler is not bound.');
    this.#handler(req, res);
  }

  /** Runs Fastify's onClose hooks (the server itself is closed by its owner). */
  async close(): Promise<void> {
    await this.#fastify.close();
  }

  /** Auth and rate limit of a JSON route, before its body is read. */
  async #guard(request: FastifyRequest, reply: FastifyReply, auth: RouteAuth): Promise<FastifyReply | undefined> {
    const { logger } = this.#options;
    const req = request.raw;
    let user: Principal | undefined;
    let failure: { readonly error: unknown } | undefined;
    try {
      if (typeof auth === 'object' && 'custom' in auth) {
        const url = req.url ?? '/';
        const question = url.indexOf('?');
        user = await auth.custom({ req, params: request.params as Record<string, string>, query: new URLSearchParams(question === -1 ? '' : url.slice(question + 1)) });
      } else {
        user = await this.#options.authenticate(requestInfo(req));
      }
    } catch (error) {
      failure = { error };
    }
    // Counted before the 401s, so a flood of bad tokens is limited by its address.
    if (this.#limited(request, reply, user)) return reply;
    if (typeof auth === 'object' && 'custom' in auth) {
      if (failure !== undefined) {
        const { error } = failure;
        if (error instanceof Unauthorized) return this.#fail(request, reply, { status: 401, message: error.message }, { 'WWW-Authenticate': error.challenge });
        if (error instanceof Forbidden) return this.#fail(request, reply, { status: 403, message: error.message });
        throw error;
      }
    } else if (auth !== 'anonymous') {
      if (failure !== undefined) {
        const { error } = failure;
        logger.info({ url: redactUrl(req.url), error: error instanceof Error ? error.message : String(error) }, 'REST authentication refused');
        return this.#fail(request, reply, { status: 401, message: 'The bearer token is invalid or expired.' }, { 'WWW-Authenticate': BEARER });
      }
      if (user === undefined) return this.#fail(request, reply, { status: 401, message: 'A bearer token is required.' }, { 'WWW-Authenticate': BEARER });
      if (typeof auth === 'object' && !auth.roles.some((role) => user!.roles?.includes(role))) {
        logger.info({ url: redactUrl(req.url), user: user.userIdentifier }, 'REST authorization refused');
        return this.#fail(request, reply, { status: 403, message: `This endpoint needs the role ${auth.roles.join(' or ')}.` });
      }
    }
    this.#users.set(req, user);
    return undefined;
  }

  /** Takes one request from the caller's bucket; answers 429 and returns true when it is empty. */
  #limited(request: FastifyRequest, reply: FastifyReply, user: Principal | undefined): boolean {
    if (this.#buckets === undefined) return false;
    const req = request.raw;
    const address = this.#clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    const key = user?.userIdentifier !== undefined ? `user:${user.userIdentifier}` : `address:${address}`;
    const outcome = this.#buckets.take(key, this.#now());
    if (outcome.allowed) return false;
    const retryAfterSeconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
    this.#options.logger.debug({ url: redactUrl(req.url), user: user?.userIdentifier, clientAddress: address }, 'REST rate limited');
    this.#fail(request, reply, { status: 429, message: 'Too many requests.' }, { 'Retry-After': String(retryAfterSeconds) }, { retryAfterSeconds });
    return true;
  }

  async #raw(handler: RawHandler, request: FastifyRequest, reply: FastifyReply, params: Record<string, string>): Promise<void> {
    const res = reply.raw;
    // Headers set by the hooks before (CORS) go out with what the handler writes.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
    reply.hijack();
    try {
      await handler(request.raw, res, params);
    } catch (error) {
      this.#options.logger.error({ err: error, method: request.method, url: redactUrl(request.raw.url) }, 'route failed');
      if (!res.headersSent) sendError(res, 500, 'Internal server error.');
      else res.destroy();
    }
  }

  #send(reply: FastifyReply, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): FastifyReply {
    void reply.code(status).header('Cache-Control', 'no-store').headers(headers);
    if (status === 204 || status === 304 || body === undefined) return reply.send();
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
  }

  /** Answers a failure with the route's error body (default `{error, field?}`) and `extra` fields. */
  #fail(request: FastifyRequest, reply: FastifyReply, failure: RestFailure, headers: Readonly<Record<string, string>> = {}, extra: Readonly<Record<string, unknown>> = {}): FastifyReply {
    const { errorBody, errorHeaders } = (request.routeOptions.config as RouteConfig | undefined) ?? {};
    const body = errorBody !== undefined ? errorBody(failure) : { error: failure.message, ...(failure.field === undefined ? {} : { field: failure.field }), ...extra };
    return this.#send(reply, failure.status, body, errorHeaders === undefined ? headers : { ...headers, ...errorHeaders(failure) });
  }

  #onError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const fastifyError = error as FastifyError & { validationContext?: string };
    if (fastifyError.validation !== undefined) {
      const part = (fastifyError.validationContext ?? 'body') as HttpPart;
      const value = part === 'body' ? request.body : part === 'params' ? request.params : request.query;
      const { field, message } = fieldError(part, fastifyError.validation as never, value);
      return this.#fail(request, reply, { status: 400, message, field });
    }
    if (error instanceof BadRequest) return this.#fail(request, reply, { status: 400, message: error.message, field: error.field });
    if (error instanceof NotFound) return this.#fail(request, reply, { status: 404, message: error.message });
    if (error instanceof Unauthorized) return this.#fail(request, reply, { status: 401, message: error.message }, { 'WWW-Authenticate': error.challenge });
    if (error instanceof Forbidden) return this.#fail(request, reply, { status: 403, message: error.message });
    if (error instanceof BodyError) return this.#fail(request, reply, { status: error.status, message: error.message, ...(error.status === 400 ? { field: 'body' } : {}) });
    switch (fastifyError.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        // The rest of the body is not read: the connection cannot be reused.
        return this.#fail(request, reply, { status: 413, message: tooLarge(this.#options.maxBodyBytes) }, { Connection: 'close' });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return this.#fail(request, reply, { status: 415, message: 'The request body must be JSON (Content-Type: application/json).' });
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return this.#fail(request, reply, { status: 400, message: 'The request body does not match its Content-Length.', field: 'body' });
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) return this.#fail(request, reply, { status, message: error.message });
    this.#options.logger.error({ err: error, method: request.method, url: redactUrl(request.raw.url) }, 'REST handler failed');
    return this.#fail(request, reply, { status: 500, message: 'Internal server error.' });
  }

  /** 405 with `Allow` when the path has routes for other methods (and `allow`); else 404 (JSON under `/api/`). */
  #notFound(request: FastifyRequest, reply: FastifyReply, allow = true): FastifyReply {
    const methods = allow ? this.#table.methodsOf(request.url) : [];
    if (methods.length > 0) return this.#fail(request, reply, { status: 405, message: `Method ${request.method} is not allowed here.` }, { Allow: methods.join(', ') });
    const path = (request.raw.url ?? '/').split('?')[0]!;
    if (path.startsWith('/api/') || path === '/api') return this.#send(reply, 404, { error: `No endpoint ${request.method} ${path}.` });
    return reply.code(404).type('text/plain; charset=utf-8').send('Not Found');
  }
}
