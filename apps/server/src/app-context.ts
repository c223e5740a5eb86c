/**
 * The contract between the server's composition root (app.ts) and its feature modules (one per
 * hub and its REST endpoints and simulator). Modules receive an AppContext and register what
 * they serve; they never create servers, read the environment or install signal handlers.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, HubServer, Principal } from 'hubwire';
import type { Logger } from 'pino';
import type { ClusterContext } from './cluster/cluster-context.js';
import type { ServerConfig } from './config.js';
import type { AppMetrics } from './observability/cells.js';

/** One REST call, with its body already parsed as JSON (undefined when empty). */
export interface RestRequest {
  readonly req: IncomingMessage;
  /** Path parameters, e.g. `{ id }` for `/api/campaigns/:id`. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /**
   * The query string as an object, checked (and its types coerced, defaults filled) by the
   * route's `querystring` schema when it has one; e.g. `{ 'api-version': '2024-12-01', maxpagesize: 100 }`.
   */
  readonly queryValues: Readonly<Record<string, unknown>>;
  /** The body, checked by the route's `body` schema when it has one. */
  readonly body: unknown;
  /** The authenticated caller (from the bearer token, or the route's own authenticator), if any. */
  readonly user: Principal | undefined;
}

/** What a handler answers: a status and a JSON body (none for 204, for HEAD, or when `body` is undefined). */
export interface RestResult {
  readonly status: number;
  readonly body?: unknown;
  /** Extra response headers (e.g. `Location`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A REST handler; throw {@link BadRequest} for invalid input (answered 400 naming the field). */
export type RestHandler = (request: RestRequest) => RestResult | Promise<RestResult>;

/** What a route's own authenticator sees (before the body is read). */
export interface RouteAuthRequest {
  readonly req: IncomingMessage;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
}

/**
 * A route's own authentication, instead of the app's bearer JWT (API keys, Azure's access-key
 * tokens): returns the caller (or undefined for an anonymous one it admits), or throws
 * {@link Unauthorized} (401) / {@link Forbidden} (403).
 */
export type RouteAuthenticator = (request: RouteAuthRequest) => Principal | undefined | Promise<Principal | undefined>;

/**
 * Who may call a route: anyone (default), any authenticated user, users with one of the roles,
 * or whoever the route's own authenticator admits (`scheme` names it in the OpenAPI document).
 *
 * @example
 * ```ts
 * routes.add('POST', '/api/hubs/:hub/::send', send, { custom: verifyAccessKey, scheme: 'AccessKey' });
 * ```
 */
export type RouteAuth = 'anonymous' | 'user' | { readonly roles: readonly string[] } | { readonly custom: RouteAuthenticator; readonly scheme?: string };

/** A JSON Schema (draft 2020-12 as ajv reads it), e.g. `{ type: 'object', required: ['name'] }`. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * The schemas of a route: Fastify checks `params`, `querystring` and `body` before the handler
 * runs (400 naming the first failing field); `response` (by status) only documents the answers
 * in the OpenAPI document — answers are serialized as they are, never filtered by it.
 */
export interface RouteSchema {
  readonly params?: JsonSchema;
  readonly querystring?: JsonSchema;
  readonly body?: JsonSchema;
  /** The body may be absent (undefined); when present it must match `body`. Default false. */
  readonly bodyOptional?: boolean;
  readonly response?: Readonly<Record<number, JsonSchema>>;
}

/** An error the HTTP layer answers for a route (validation, auth, body, handler errors). */
export interface RestFailure {
  readonly status: number;
  readonly message: string;
  /** The field a 400 names. */
  readonly field?: string;
}

/** What else a route declares: its schemas, its OpenAPI text, its error bodies. */
export interface RouteOptions {
  readonly schema?: RouteSchema;
  /** One line for the OpenAPI document. */
  readonly summary?: string;
  readonly tags?: readonly string[];
  /**
   * The body of the errors the HTTP layer answers on this route (default `{error, field?}`), for
   * APIs with their own error shape (Azure's `{code, message, errorKind}`). Statuses and headers stay.
   */
  readonly errorBody?: (failure: RestFailure) => unknown;
  /** Headers the errors the HTTP layer answers on this route carry too (Azure's `x-ms-error-code`). */
  readonly errorHeaders?: (failure: RestFailure) => Readonly<Record<string, string>>;
}

/** Methods a JSON route answers. A `GET` route does not answer `HEAD` unless one is added. */
export type RestMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Methods a raw route answers. A `GET` raw route also answers `HEAD`. */
export type RawMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * A raw route handler: it writes the whole response itself (static files, HTML, streams).
 * `params` holds the `:name` parameters and, for a path ending in `/*`, the rest of the path as
 * `params['*']` (already URL-decoded; never contains `..` segments). Errors it throws (or
 * rejects with) before writing headers are answered 500.
 */
export type RawHandler = (req: IncomingMessage, res: ServerResponse, params: Readonly<Record<string, string>>) => void | Promise<void>;

/**
 * Registers REST routes. Paths may hold `:name` parameters; a literal colon is written `::`
 * (`/api/hubs/:hub/connections/:connectionId/::invoke` is `…/c1/:invoke`). Literal segments
 * ignore case.
 */
export interface RestRoutes {
  /**
   * A JSON route: body parsed (size-limited), auth checked, schemas applied, errors mapped to
   * JSON answers.
   *
   * @example
   * ```ts
   * routes.add('POST', '/api/items', ({ body }) => ({ status: 201, body }), 'user', {
   *   schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 100 } } } },
   * });
   * ```
   */
  add(method: RestMethod, path: string, handler: RestHandler, auth?: RouteAuth, options?: RouteOptions): void;
  /**
   * A raw route (no body parsing, no auth, no JSON mapping), for pages and static assets, e.g.
   * `routes.addRaw('GET', '/', servePage)` or `routes.addRaw('GET', '/assets/*', serveAsset)`.
   */
  addRaw(method: RawMethod, path: string, handler: RawHandler, options?: Pick<RouteOptions, 'summary' | 'tags'>): void;
}

/** Invalid input in a REST body or query: answered `400 {"error": message, "field": field}`. */
export class BadRequest extends Error {
  override readonly name = 'BadRequest';
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** A resource that does not exist: answered `404 {"error": message}`. */
export class NotFound extends Error {
  override readonly name = 'NotFound';
}

/** A caller a route's own authenticator refuses: answered `401 {"error": message}` with `WWW-Authenticate`. */
export class Unauthorized extends Error {
  override readonly name = 'Unauthorized';
  /** The `WWW-Authenticate` challenge. Default `Bearer`. */
  readonly challenge: string;
  constructor(message: string, challenge = 'Bearer') {
    super(message);
    this.challenge = challenge;
  }
}

/** A known caller without the right to the route: answered `403 {"error": message}`. */
export class Forbidden extends Error {
  override readonly name = 'Forbidden';
}

/** What every module gets. */
export interface AppContext {
  readonly hubwire: HubServer;
  readonly config: ServerConfig;
  readonly logger: Logger;
  /**
   * The app's own metrics (observability/app-instruments.ts), exported with Hubwire's on
   * `/metrics` and over OpenTelemetry: modules report through this, not through `hubwire.metrics`.
   */
  readonly metrics: AppMetrics;
  /**
   * The cluster this process is a node of, when `REDIS_URL` is set: shared state and leases go
   * through it. Undefined when the process runs alone; modules then keep state in memory.
   */
  readonly cluster: ClusterContext | undefined;
  readonly routes: RestRoutes;
  /**
   * The time source for simulators and timestamps (tests pass a fake one to step simulators).
   * Its timers do not keep the process alive.
   */
  readonly clock: Clock;
  /** Random numbers in [0, 1) for simulators (tests pass a seeded generator). */
  readonly random: () => number;
  /** The paths of every hub mapped so far (filled as modules register). */
  readonly hubPaths: readonly string[];
  /** Where this server listens (`http://host:port`): undefined while modules register, set once it listens. */
  readonly url: string | undefined;
  /** Runs `stop` during graceful shutdown, before the hubs close (stop simulators and timers here). */
  onStop(stop: () => void | Promise<void>): void;
}

/** A feature of the server: a hub with its REST endpoints and simulator. */
export interface AppModule {
  readonly name: string;
  register(app: AppContext): void | Promise<void>;
}
