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
  readonly body: unknown;
  /** The authenticated caller (from the bearer token), if any. */
  readonly user: Principal | undefined;
}

/** What a handler answers: a status and a JSON body (none for 204). */
export interface RestResult {
  readonly status: number;
  readonly body?: unknown;
  /** Extra response headers (e.g. `Location`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A REST handler; throw {@link BadRequest} for invalid input (answered 400 naming the field). */
export type RestHandler = (request: RestRequest) => RestResult | Promise<RestResult>;

/** Who may call a route: anyone (default), any authenticated user, or users with one of the roles. */
export type RouteAuth = 'anonymous' | 'user' | { readonly roles: readonly string[] };

/** Methods a raw route answers. A `GET` raw route also answers `HEAD`. */
export type RawMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * A raw route handler: it writes the whole response itself (static files, HTML, streams).
 * `params` holds the `:name` parameters and, for a path ending in `/*`, the rest of the path as
 * `params['*']` (already URL-decoded; never contains `..` segments). Errors it throws (or
 * rejects with) before writing headers are answered 500.
 */
export type RawHandler = (req: IncomingMessage, res: ServerResponse, params: Readonly<Record<string, string>>) => void | Promise<void>;

/** Registers REST routes. Paths may hold `:name` parameters. */
export interface RestRoutes {
  /** A JSON route: body parsed (size-limited), auth checked, errors mapped to JSON answers. */
  add(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, handler: RestHandler, auth?: RouteAuth): void;
  /**
   * A raw route (no body parsing, no auth, no JSON mapping), for pages and static assets, e.g.
   * `routes.addRaw('GET', '/', servePage)` or `routes.addRaw('GET', '/assets/*', serveAsset)`.
   */
  addRaw(method: RawMethod, path: string, handler: RawHandler): void;
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
