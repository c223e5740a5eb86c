/**
 * The contract between the server's composition root (app.ts) and its feature modules (one per
 * hub and its REST endpoints and simulator). Modules receive an AppContext and register what
 * they serve; they never create servers, read the environment or install signal handlers.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { HubServer, Principal } from 'hubwire';
import type { Logger } from 'pino';
import type { ServerConfig } from './config.js';

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
}

/** A REST handler; throw {@link BadRequest} for invalid input (answered 400 naming the field). */
export type RestHandler = (request: RestRequest) => RestResult | Promise<RestResult>;

/** Who may call a route: anyone (default), any authenticated user, or users with one of the roles. */
export type RouteAuth = 'anonymous' | 'user' | { readonly roles: readonly string[] };

/** Registers REST routes. Paths may hold `:name` parameters. */
export interface RestRoutes {
  add(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, handler: RestHandler, auth?: RouteAuth): void;
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
  readonly routes: RestRoutes;
  /** Runs `stop` during graceful shutdown, before the hubs close (stop simulators and timers here). */
  onStop(stop: () => void | Promise<void>): void;
}

/** A feature of the server: a hub with its REST endpoints and simulator. */
export interface AppModule {
  readonly name: string;
  register(app: AppContext): void | Promise<void>;
}
