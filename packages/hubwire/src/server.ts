/**
 * `createHubServer()`: the composition root. The only place (with apps/server) that picks
 * implementations: lifetime manager, clock, logger, metrics.
 * @module
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { systemClock, type Clock, type TimerHandle } from './core/clock.js';
import { HubwireError } from './core/errors.js';
import { silentLogger, type Logger } from './core/logger.js';
import { createCounterMetrics, type CounterMetrics, type Metrics } from './core/metrics.js';
import type { AuthorizationRequirement } from './auth/authorization.js';
import type { CorsOptions } from './http/cors.js';
import { HubRouter } from './http/hub-router.js';
import { httpServerOptions, type HttpServerLimits } from './http/server-options.js';
import type { FallbackMethod } from './hubs/fallback-method.js';
import { HubEndpoint } from './hubs/hub-endpoint.js';
import type { HubContext } from './hubs/hub-context.js';
import { resolveHubOptions, type HubOptions } from './hubs/hub-options.js';
import type { Hub, HubClass, HubMethodName } from './hubs/hub.js';
import type { GroupChangeListener, HubLifetimeManager } from './lifetime/hub-lifetime-manager.js';
import type { RecoveryOptions } from './lifetime/recovery/recovery-types.js';
import type { HubProtocol } from './protocol/hub-protocol.js';
import { MemoryLifetimeManager } from './lifetime/memory/memory-lifetime-manager.js';
import { ConnectionEndpoint } from './raw/connection-endpoint.js';
import { resolveConnectionOptions, type MapConnectionOptions } from './raw/connection-options.js';
import type { ConnectionHandler } from './raw/raw-connection.js';
import { serveOnUws } from './uws/uws-engine.js';
import type { UwsApp, UwsServeOptions } from './uws/uws-types.js';

/**
 * What a lifetime-manager factory is given. It runs once per hub class: every path a class is
 * mapped on shares its lifetime manager (as ASP.NET shares one `HubLifetimeManager<THub>`).
 */
export interface LifetimeManagerContext {
  /** The first path the hub class was mapped on. */
  readonly hubPath: string;
  /** The hub class's name (ASP.NET's backplanes name their channels after the hub type). */
  readonly hubName: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * The protocols the hub's connections may speak, on every path it is mapped on (a later
   * `mapHub` of the same class adds its own). A backplane serializes a cross-node message once in
   * each of them on the sending node, so receiving nodes write those bytes as they are.
   */
  readonly protocols: readonly HubProtocol[];
  /**
   * The hub's recoverable groups (`mapHub(…, { recovery })` of its first mapping), if any. A
   * manager given them must offer `recovery` (`HubLifetimeManager.recovery`) and route sends and
   * joins of those groups to it; `mapHub` refuses a manager that does not.
   */
  readonly recovery?: RecoveryOptions;
  /**
   * Call on every effective join and leave of a connection this manager holds locally (never for
   * the removal at disconnect): it runs the hub filters' `onGroupChange` for the connection's
   * path. `MemoryLifetimeManager` and the Redis backplane call it; a custom manager that does not
   * means no group events.
   */
  readonly onGroupChange?: GroupChangeListener;
}

/**
 * Options of {@link createHubServer}. Hub options given here are the defaults of every hub; the
 * `node:http` limits ({@link HttpServerLimits}: `headersTimeout`, `requestTimeout`, …) apply to
 * the server `listen()` creates.
 */
export interface HubServerOptions extends HubOptions, HttpServerLimits {
  /** Cross-origin access to the hubs; same-origin only when absent. */
  cors?: CorsOptions;
  /** A pino-compatible logger. Default: silent. */
  logger?: Logger;
  /** Where counters go. Default: in-process counters, read with `hubwire.metrics`. */
  metrics?: Metrics;
  /** The time source of every timer (tests pass a fake one). Default: the system clock. */
  clock?: Clock;
  /** Builds the fan-out implementation of each hub class. Default: in-memory. */
  lifetimeManager?: (context: LifetimeManagerContext) => HubLifetimeManager;
  /** How often keep-alive, timeouts and sweeps are checked (ms). Default 1000. */
  heartbeatInterval?: number;
  /** How long `close()` waits for clients to take their Close message (ms). Default 5000. */
  shutdownTimeout?: number;
}

/** Options of one {@link HubServer.mapHub} call. */
export interface MapHubOptions<H extends Hub<any>> extends HubOptions {
  /** Creates the hub instance for each invocation (to pass services in). Default: `new HubClass()`. */
  create?: () => H;
  /**
   * Requirements of single methods, by method name. A caller who does not meet one gets the
   * error Completion `Failed to invoke 'X' because user is unauthorized`.
   */
  authorizeMethods?: { readonly [method: string]: AuthorizationRequirement };
  /**
   * Plain methods that return a stream (an `AsyncIterable` or a `ReadableStream`). `async *`
   * methods stream by themselves; a method named here is a streaming method too, so a client's
   * `invoke()` of it — and `stream()` of any method that is neither — is refused before it runs,
   * with ASP.NET's texts.
   *
   * @example
   * ```ts
   * class FeedHub extends Hub {
   *   prices(symbol: string): ReadableStream<number> { return priceFeed(symbol); }
   * }
   * hubwire.mapHub('/hubs/feed', FeedHub, { streamingMethods: ['prices'] });
   * ```
   */
  streamingMethods?: readonly HubMethodName<H>[];
  /**
   * Trailing parameters a method may be invoked without, by method name: a client that leaves
   * them out reaches the method with them `undefined`, so a parameter can be added to a method
   * without breaking the clients that call it the old way. (ASP.NET dispatches only invocations
   * with exactly the declared count; so does Hubwire for every method not named here.) Declare
   * such parameters without a default value: `Function.length` stops counting at the first one.
   *
   * @example
   * ```ts
   * class FeedHub extends Hub {
   *   async follow(topic: string, fromPosition?: { offset: number; epoch: string }) {
   *     return this.groups.recover(this.context.connectionId, `topic:${topic}`, { since: fromPosition });
   *   }
   * }
   * hubwire.mapHub('/hubs/feed', FeedHub, { optionalParameters: { follow: 1 } });
   * // invoke('Follow', 'news') and invoke('Follow', 'news', position) both reach follow().
   * ```
   */
  optionalParameters?: { readonly [M in HubMethodName<H>]?: number };
  /**
   * Groups of this hub that keep a bounded history, so a client that comes back recovers what it
   * missed (docs/recovery.md). Each message sent to exactly one such group gets the next position
   * `{ group, offset, epoch }`, which members receive as a trailing argument; a hub method calls
   * `this.groups.recover(…)` to join with a replay. The first spec whose `match` fits a group
   * applies. A hub class has one lifetime manager over all its paths, so this is read from the
   * class's first `mapHub`; a later mapping may repeat the same object or leave it out.
   *
   * @example
   * ```ts
   * class OrgsHub extends Hub {
   *   async joinOrganization(orgId: string, since?: { offset: number; epoch: string }) {
   *     return this.groups.recover(this.context.connectionId, `org:${orgId}`, { since });
   *   }
   * }
   * hubwire.mapHub('/hubs/orgs', OrgsHub, {
   *   recovery: { groups: [{ match: 'org:*', maxCount: 500, maxAge: 10 * 60_000 }] },
   * });
   * ```
   */
  recovery?: RecoveryOptions;
  /**
   * Serves Invocations (blocking or fire-and-forget) of methods the hub class does not declare:
   * it gets the target as the client sent it and all the arguments, on a hub instance bound like
   * any method's (`this.context`, `this.clients`, `this.groups`, `this.invocation`), through the
   * hub filters (`methodName` is the target), and its outcome is answered as a method's: a result
   * (awaited when a promise) in the Completion, a throw as ASP.NET's error text. A declared
   * method always wins; a `stream()` or an invocation with upload streams of an unknown name is
   * still refused. Metrics and spans name every such call `(fallback)` (`FALLBACK_METHOD`), so
   * names chosen by clients never become label values.
   *
   * @example
   * ```ts
   * class ServerlessHub extends Hub {}
   * hubwire.mapHub('/hubs/chat', ServerlessHub, {
   *   async fallbackMethod(method, args) {
   *     return forwardUpstream(this.context.connectionId, method, args);
   *   },
   * });
   * // connection.invoke('SendMessage', 'hi') resolves with what forwardUpstream returned.
   * ```
   */
  fallbackMethod?: (this: H, method: string, args: unknown[]) => unknown;
}

/** The client interface of a hub class. */
export type ClientOf<H> = H extends Hub<infer T> ? T : never;

/**
 * A server hosting SignalR hubs. Create it with {@link createHubServer}.
 *
 * @example
 * ```ts
 * import { createHubServer, Hub } from 'hubwire';
 *
 * class EchoHub extends Hub {
 *   echo(text: string) { return text; }
 * }
 *
 * const hubwire = createHubServer();
 * hubwire.mapHub('/hubs/echo', EchoHub);
 * await hubwire.listen({ port: 5000 });
 * ```
 */
export class HubServer {
  readonly #options: HubServerOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #router: HubRouter;
  /** The endpoints of each hub class, in mapping order; they share the first one's lifetime manager. */
  readonly #byClass = new Map<HubClass, HubEndpoint[]>();
  /** The protocols of each hub class over all its paths: its lifetime manager's context sees them. */
  readonly #protocolsByClass = new Map<HubClass, HubProtocol[]>();
  /** The recovery options each hub class's lifetime manager was built with (its first mapping's). */
  readonly #recoveryByClass = new Map<HubClass, RecoveryOptions | undefined>();
  readonly #attached = new Set<Server>();
  readonly #uwsApps = new Set<UwsApp>();
  readonly #httpServerOptions: Required<HttpServerLimits>;
  #ownServer: Server | undefined;
  #heartbeat: TimerHandle | undefined;
  #closed = false;

  constructor(options: HubServerOptions = {}) {
    this.#options = options;
    resolveHubOptions(options);
    this.#httpServerOptions = httpServerOptions(options);
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#metrics = options.metrics ?? createCounterMetrics();
    this.#router = new HubRouter(this.#logger, options.cors);
  }

  /**
   * Serves `hubClass` at `path` (`path/negotiate` and the transports under `path`).
   * Hub options given here override the server's.
   *
   * A class may be mapped on several paths (each with its own options). As in ASP.NET, they are
   * one hub: its connections on every path share one lifetime manager, so `clients.all`, groups
   * and users — in a hub method or through {@link HubServer.hubContext} — reach all of them.
   */
  mapHub<H extends Hub<any>>(path: string, hubClass: HubClass<H>, options: MapHubOptions<H> = {}): this {
    if (!path.startsWith('/')) throw new HubwireError('HUB_ERR_INVALID_OPTION', `A hub path must start with '/'; got '${path}'.`);
    const { create, authorizeMethods, streamingMethods, optionalParameters, recovery, fallbackMethod, ...hubOptions } = options;
    if (fallbackMethod !== undefined && typeof fallbackMethod !== 'function') {
      throw new HubwireError('HUB_ERR_INVALID_OPTION', `mapHub('${path}'): fallbackMethod must be a function.`);
    }
    // Filters add up: the server's run first, then the hub's (ASP.NET's order).
    const filters = [...(this.#options.filters ?? []), ...(hubOptions.filters ?? [])];
    const resolved = resolveHubOptions(this.#options, hubOptions, { filters });
    const Concrete = hubClass as unknown as new () => H;
    const mapped = this.#byClass.get(hubClass);
    if (mapped !== undefined && recovery !== undefined && recovery !== this.#recoveryByClass.get(hubClass)) {
      throw new HubwireError(
        'HUB_ERR_INVALID_OPTION',
        `Hub '${hubClass.name}' is already mapped on '${mapped[0]!.path}' with other recovery options: its paths share one lifetime manager, so give recovery on its first mapHub only (or the same object).`,
      );
    }
    let protocols = this.#protocolsByClass.get(hubClass);
    if (protocols === undefined) this.#protocolsByClass.set(hubClass, (protocols = []));
    for (const protocol of resolved.protocols) if (!protocols.some((known) => known.name === protocol.name)) protocols.push(protocol);
    const endpoint = new HubEndpoint({
      path,
      hubClass,
      createHub: (create ?? (() => new Concrete())) as () => Hub<unknown>,
      options: resolved,
      authorizeMethods,
      streamingMethods,
      optionalParameters,
      fallbackMethod: fallbackMethod as FallbackMethod | undefined,
      lifetime: mapped?.[0]!.lifetime ?? this.#lifetimeManager(path, hubClass, protocols, recovery),
      clock: this.#clock,
      logger: this.#logger,
      metrics: this.#metrics,
    });
    this.#router.add(endpoint);
    if (mapped === undefined) this.#byClass.set(hubClass, [endpoint]);
    else mapped.push(endpoint);
    this.#heartbeat ??= this.#clock.setInterval(() => this.#tick(), this.#options.heartbeatInterval ?? 1000);
    return this;
  }

  /**
   * Serves a raw connection handler at `path`, as ASP.NET's `MapConnectionHandler`: the same
   * negotiate, transports, authentication, CORS and limits as a hub, but bytes in and bytes out
   * with no hub protocol. The official client's `HttpConnection` (without a `HubConnection`)
   * connects to it. `handler` runs once per connection, for the connection's life: the
   * connection ends when the handler's promise settles (a WebSocket closes with 1011 if it
   * rejected). Options a hub has too default to the server's.
   *
   * @example
   * ```ts
   * hubwire.mapConnection('/echo', async (connection) => {
   *   for await (const data of connection) {
   *     // A string came as text and goes back as text; a Buffer as binary.
   *     if (!connection.send(data)) await connection.drained();
   *   }
   * });
   * ```
   */
  mapConnection(path: string, handler: ConnectionHandler, options: MapConnectionOptions = {}): this {
    if (!path.startsWith('/')) throw new HubwireError('HUB_ERR_INVALID_OPTION', `A connection path must start with '/'; got '${path}'.`);
    if (typeof handler !== 'function') throw new HubwireError('HUB_ERR_INVALID_OPTION', `mapConnection('${path}') needs a handler function.`);
    this.#router.add(
      new ConnectionEndpoint({
        path,
        handler,
        options: resolveConnectionOptions(this.#options, options),
        clock: this.#clock,
        logger: this.#logger,
        metrics: this.#metrics,
      }),
    );
    this.#heartbeat ??= this.#clock.setInterval(() => this.#tick(), this.#options.heartbeatInterval ?? 1000);
    return this;
  }

  /**
   * The `clients` and `groups` of a mapped hub, for use outside hub methods.
   * Pass the hub class (typed) or one of its paths: a class mapped on several paths has one
   * context, which reaches its connections on all of them (its client-result timeout is that of
   * the first mapping).
   */
  hubContext<H extends Hub<any>>(hub: HubClass<H> | string): HubContext<ClientOf<H>> {
    return this.#mappingsOf(this.#endpoint(hub).hubClass)[0]!.context as HubContext<ClientOf<H>>;
  }

  /**
   * Number of connections with a transport attached: on one path, of one hub class (all its
   * paths), or of everything (raw connections of {@link HubServer.mapConnection} included).
   */
  connectionCount(hub?: HubClass | string): number {
    if (typeof hub === 'string') return (this.#router.endpoint(hub) ?? this.#endpoint(hub)).live.size;
    if (hub !== undefined) {
      let count = 0;
      for (const endpoint of this.#mappingsOf(hub)) count += endpoint.live.size;
      return count;
    }
    let total = 0;
    for (const endpoint of this.#router.endpoints()) total += endpoint.live.size;
    return total;
  }

  /** The paths hubs are mapped on, in the order they were mapped. */
  get hubPaths(): readonly string[] {
    return [...this.#router.endpoints()].filter((endpoint) => endpoint instanceof HubEndpoint).map((endpoint) => endpoint.path);
  }

  /** The metrics sink (the in-process counters unless another one was given). */
  get metrics(): Metrics | CounterMetrics {
    return this.#metrics;
  }

  /** Builds the lifetime manager of a hub class at its first mapping. */
  #lifetimeManager(path: string, hubClass: HubClass, protocols: readonly HubProtocol[], recovery: RecoveryOptions | undefined): HubLifetimeManager {
    // The manager is the class's, over all its paths: a change goes to the path holding the connection.
    const onGroupChange: GroupChangeListener = (change) => {
      for (const endpoint of this.#byClass.get(hubClass) ?? []) {
        if (endpoint.holds(change.connection)) return endpoint.groupChanged(change);
      }
    };
    const context: LifetimeManagerContext = { hubPath: path, hubName: hubClass.name, logger: this.#logger, metrics: this.#metrics, protocols, recovery, onGroupChange };
    const lifetime = (this.#options.lifetimeManager ?? defaultLifetimeManager)(context);
    if (recovery !== undefined && recovery.groups?.length > 0 && lifetime.recovery === undefined) {
      void lifetime.close?.();
      throw new HubwireError('HUB_ERR_INVALID_OPTION', `mapHub('${path}') declares recoverable groups, but the hub's lifetime manager does not offer recovery.`);
    }
    this.#recoveryByClass.set(hubClass, recovery);
    return lifetime;
  }

  /** The endpoints a hub class is mapped on, in mapping order (at least one). */
  #mappingsOf(hub: HubClass): readonly HubEndpoint[] {
    const endpoints = this.#byClass.get(hub);
    if (endpoints === undefined) throw new HubwireError('HUB_ERR_INVALID_OPTION', `Hub '${hub.name}' is not mapped.`);
    return endpoints;
  }

  #endpoint(hub: HubClass | string): HubEndpoint {
    if (typeof hub !== 'string') return this.#mappingsOf(hub)[0]!;
    for (const endpoint of this.#router.endpoints()) {
      if (endpoint instanceof HubEndpoint && endpoint.path.toLowerCase() === hub.toLowerCase()) return endpoint;
    }
    throw new HubwireError('HUB_ERR_INVALID_OPTION', `No hub is mapped on '${hub}'.`);
  }

  #tick(): void {
    for (const endpoint of this.#router.endpoints()) endpoint.tick();
  }

  /**
   * Handles `req` if it is addressed to a hub and returns true; returns false for anything else,
   * so this can sit in front of another framework.
   *
   * @example
   * ```ts
   * app.use((req, res, next) => hubwire.handle(req, res) || next()); // Express
   * ```
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    return this.#router.handle(req, res);
  }

  /** Handles a WebSocket upgrade addressed to a hub and returns true; false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    return this.#router.handleUpgrade(req, socket, head);
  }

  /** A request listener serving the hubs and passing everything else to `fallback` (or 404). */
  requestListener(fallback?: RequestListener): RequestListener {
    return (req, res) => {
      if (this.handle(req, res)) return;
      if (fallback !== undefined) fallback(req, res);
      else {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Not Found');
      }
    };
  }

  /**
   * Serves the hubs on an existing `node:http` server (for example the one Express or Fastify
   * listens on). Request and upgrade listeners already on the server keep getting everything
   * that is not for a hub. The server's own timeouts stay as they are: create it with
   * `DEFAULT_HTTP_SERVER_OPTIONS` (or your values) so half-sent requests cannot hold it.
   */
  attach(server: Server): this {
    if (this.#attached.has(server)) return this;
    this.#attached.add(server);
    const requestListeners = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (this.handle(req, res)) return;
      if (requestListeners.length === 0) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Not Found');
      }
      for (const listener of requestListeners) listener.call(server, req, res);
    });
    type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
    const upgradeListeners = server.listeners('upgrade') as UpgradeListener[];
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.handleUpgrade(req, socket, head)) return;
      if (upgradeListeners.length === 0) socket.destroy();
      for (const listener of upgradeListeners) listener.call(server, req, socket, head);
    });
    return this;
  }

  /**
   * Serves the hubs on a uWebSockets.js app: WebSockets through uWebSockets.js' own framing and
   * writes (native code: less CPU per message, far less memory per connection), and negotiate,
   * Server-Sent Events and long polling through the same handlers as on `node:http`. It adds a
   * catch-all WebSocket route and a catch-all HTTP route; the app's own static routes keep
   * precedence, and `fallback` answers what is for no hub (default 404). Map the hubs first: the
   * largest `maximumWebSocketFrameSize` among them is uWebSockets.js' limit for all.
   *
   * What differs from the `ws` engine: no permessage-deflate (the `webSocketCompression`
   * option is ignored), and a client that goes on sending while its connection stopped reading
   * is closed with 1008 once 4 MiB wait (uWebSockets.js cannot pause one socket). Hubwire does
   * not depend on uWebSockets.js: the app is yours, from the build you installed.
   *
   * @example
   * ```ts
   * import uWS from 'uWebSockets.js'; // or '@trufflesuite/uws-js-unofficial' from npm
   *
   * const hubwire = createHubServer().mapHub('/chat', ChatHub);
   * const app = uWS.App();
   * app.get('/healthz', (res) => void res.end('ok'));
   * hubwire.attachUws(app);
   * app.listen('127.0.0.1', 5000, (listening) => console.log(listening ? 'listening' : 'port taken'));
   * ```
   */
  attachUws(app: UwsApp, options: UwsServeOptions = {}): this {
    if (this.#uwsApps.has(app)) return this;
    this.#uwsApps.add(app);
    serveOnUws(this.#router, app, this.#logger, options);
    return this;
  }

  /**
   * Starts a `node:http` server of its own serving only the hubs, with the server options'
   * `headersTimeout`, `requestTimeout`, `keepAliveTimeout`, `connectionsCheckingInterval` and
   * `maxHeaderSize` (defaults: `DEFAULT_HTTP_SERVER_OPTIONS`), so that half-sent requests
   * cannot hold its sockets.
   */
  async listen(options: { port?: number; host?: string } = {}): Promise<AddressInfo> {
    if (this.#ownServer !== undefined) throw new HubwireError('HUB_ERR_INVALID_OPTION', 'listen() was already called.');
    const server = createServer({ ...this.#httpServerOptions });
    this.#ownServer = server;
    this.attach(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  /** The server started by {@link HubServer.listen}, if any. */
  get httpServer(): Server | undefined {
    return this.#ownServer;
  }

  /**
   * Graceful shutdown. Stops accepting new connections (negotiate, upgrades and requests that
   * would attach a transport get 503; connections that have one are still served, so long-polling
   * clients collect their Close); lets running invocations finish for up to `shutdownTimeout`
   * while new ones are refused (`The server is shutting down.`); then closes every connection
   * (hub clients get a Close with `allowReconnect`, so they reconnect elsewhere; raw connections'
   * handlers see the end of their data), waits up to `shutdownTimeout` for them, drops whatever
   * is still open, stops the server `listen` started, and closes each hub's lifetime manager
   * (a Redis backplane's connections).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#router.stopAccepting();
    const timeout = this.#options.shutdownTimeout ?? 5000;
    const drained = await waitAtMost(Promise.all([...this.#router.endpoints()].map((endpoint) => endpoint.drain())), timeout);
    if (!drained) this.#logger.warn({ timeoutMs: timeout }, 'shutdown deadline passed with hub invocations still running');
    this.#heartbeat?.cancel();
    const live = [...this.#router.endpoints()].flatMap((endpoint) => [...endpoint.live]);
    const ended = Promise.all(live.map((connection) => connection.closed));
    for (const endpoint of this.#router.endpoints()) endpoint.shutdown();
    await waitAtMost(ended, timeout);
    for (const connection of live) connection.terminate();
    await waitAtMost(ended, 1000);
    this.#router.close();
    const server = this.#ownServer;
    if (server !== undefined) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    // Last, once every connection has left: a backplane's Redis connections.
    await Promise.all([...this.#byClass.values()].map((endpoints) => endpoints[0]!.lifetime.close?.()));
  }
}

function defaultLifetimeManager(context: LifetimeManagerContext): HubLifetimeManager {
  return new MemoryLifetimeManager({
    metrics: context.metrics,
    labels: { hub: context.hubPath },
    recovery: context.recovery,
    protocols: context.protocols,
    hubName: context.hubName,
    logger: context.logger,
    ...(context.onGroupChange === undefined ? {} : { onGroupChange: context.onGroupChange }),
  });
}

/** Waits for `promise` for at most `ms`; true when it settled in time. */
async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return settled;
}

/**
 * Creates a {@link HubServer}.
 *
 * @example
 * ```ts
 * const hubwire = createHubServer({ cors: { origins: ['http://localhost:3000'] }, keepAliveInterval: 10_000 });
 * hubwire.mapHub('/hubs/chat', ChatHub);
 * const server = http.createServer(app); // app: an Express app, or any request listener
 * hubwire.attach(server);
 * server.listen(5000);
 * ```
 */
export function createHubServer(options: HubServerOptions = {}): HubServer {
  return new HubServer(options);
}
