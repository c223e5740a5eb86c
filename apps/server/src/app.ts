/**
 * The composition root of the server: Hubwire with the server-wide options, the REST router on
 * Fastify (bound to the same `node:http` server),
 * health endpoints, auth, and the feature modules; start and graceful stop. Kept apart from
 * main.ts (signals, exit codes) so tests start the same server in-process on port 0.
 * @module
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  createHubServer,
  DEFAULT_HTTP_SERVER_OPTIONS,
  jsonHubProtocol,
  messagePackHubProtocol,
  redisLifetimeManager,
  systemClock,
  type Clock,
  type HubServer,
} from 'hubwire';
import type { Logger } from 'pino';
import type { AppContext, AppModule } from './app-context.js';
import { withTimeout } from './cluster/bounded.js';
import { openCluster, redisEndpoint, type ClusterContext } from './cluster/cluster-context.js';
import { createAuthenticator, createTokenIssuer, DEMO_PASSWORD, DEMO_USERS, registerAuthRoutes } from './auth/index.js';
import { DEMO_JWT_SECRET, validateConfig, type ServerConfig } from './config.js';
import { createLogger } from './logging.js';
import { createDataPlane, registerDataPlaneRoutes } from './modules/data-plane/index.js';
import { modules as defaultModules } from './modules/index.js';
import { createUpstream, lifecycleWebhooks, registerWebhookRoutes } from './modules/upstream/index.js';
import { checkServerlessHubNames, mapServerlessHubs, routeClientEndpoint } from './modules/serverless/index.js';
import { startObservability } from './observability/index.js';
import { registerOpenApiRoute } from './rest/openapi.js';
import { sendError } from './rest/respond.js';
import { RestRouter } from './rest/router.js';

/** Where a running app is in its life; `/readyz` answers 200 only when `ready`. */
export type AppState = 'ready' | 'stopping' | 'stopped';

/** What tests (and main.ts) may change about an app. */
export interface AppOptions {
  /** Default: pino at `config.logLevel` on stdout. */
  readonly logger?: Logger;
  /** The time source of simulators (not of Hubwire's own timers). Default: the system clock. */
  readonly clock?: Clock;
  /** Random numbers for simulators. Default: Math.random. */
  readonly random?: () => number;
  /** The feature modules. Default: every module of modules/index.ts. */
  readonly modules?: readonly AppModule[];
}

/** A running server. */
export interface App {
  readonly config: ServerConfig;
  readonly hubwire: HubServer;
  readonly http: Server;
  readonly address: AddressInfo;
  /** `http://host:port`, with the real port. */
  readonly url: string;
  readonly logger: Logger;
  /** The cluster this process is a node of (`REDIS_URL` set), else undefined. */
  readonly cluster: ClusterContext | undefined;
  readonly state: AppState;
  /** The mapped hub paths. */
  readonly hubPaths: readonly string[];
  /** The REST and raw routes, as `METHOD /path/:param`. */
  readonly routes: readonly string[];
  /**
   * Graceful stop: not ready, no new hub connections, simulators stopped, in-flight hub
   * invocations finish (up to `shutdownTimeoutMs`), every client gets a Close with
   * allowReconnect, then the port is released. Calling it again returns the same promise.
   */
  stop(): Promise<void>;
}

/** Starts the server described by `config`. Throws ConfigError for a configuration it cannot use. */
export async function startApp(config: ServerConfig, options: AppOptions = {}): Promise<App> {
  validateConfig(config);
  // Before anything is opened: a serverless hub named like a code hub is a configuration error.
  checkServerlessHubNames(config.serverless.hubs);
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const authenticate = createAuthenticator(config.jwt);
  const cluster = config.redis.url === undefined ? undefined : openCluster({ url: config.redis.url, prefix: config.redis.prefix, logger });
  if (cluster !== undefined) await readyWithin(cluster, logger, 5000);
  // Before the hubs: the tracer provider must be registered before the first connection.
  const observability = startObservability(config, logger, cluster?.nodeId);
  // Its hub filter records every connection, so the data plane must exist before the hubs.
  const dataPlane = createDataPlane({ accessKeys: config.dataPlane.accessKeys, ...(cluster === undefined ? {} : { cluster }), logger });
  // Lifecycle webhooks of every code hub; serverless hubs send their own connection events.
  // Without UPSTREAM the filter is left out, so hubs do not run its hooks for nothing.
  const upstream = createUpstream({ config, logger, clock });
  const webhooks = upstream.settings.size === 0 ? [] : [lifecycleWebhooks({ dispatcher: upstream.dispatcher, skipHubs: config.serverless.hubs })];
  const hubwire = createHubServer({
    filters: [dataPlane.filter, ...webhooks],
    logger,
    // Every hub on the backplane, publishing with the app's connection under the same prefix and
    // node id, so presence answers and the app's per-node figures name the same nodes.
    lifetimeManager: cluster === undefined ? undefined : redisLifetimeManager({ client: cluster.redis, prefix: cluster.prefix, nodeId: cluster.nodeId }),
    // Hubwire's counters, histograms and gauges, read by /metrics, OpenTelemetry and the admin stats.
    metrics: observability.metrics,
    authenticate,
    // Every hub: users of @microsoft/signalr-protocol-msgpack expect MessagePack beside JSON.
    protocols: [jsonHubProtocol, messagePackHubProtocol],
    cors: config.corsOrigins.length === 0 ? undefined : { origins: config.corsOrigins.includes('*') ? '*' : config.corsOrigins },
    maximumReceiveMessageSize: config.limits.maxMessageSize,
    maximumParallelInvocationsPerClient: config.limits.maxParallelInvocations,
    maximumOutboundBufferSize: config.limits.maxOutboundBufferSize,
    webSocketCompression: config.limits.webSocketCompressionThreshold === 0 ? false : { threshold: config.limits.webSocketCompressionThreshold },
    keepAliveInterval: config.limits.keepAliveIntervalMs,
    clientTimeoutInterval: config.limits.clientTimeoutMs,
    enableDetailedErrors: config.detailedErrors,
    shutdownTimeout: config.shutdownTimeoutMs,
    trustedProxies: config.trustedProxies,
  });
  const hubPaths = (): readonly string[] => hubwire.hubPaths;
  let state: AppState | 'starting' = 'starting';

  // Half-sent requests (slowloris) get 408 and lose their socket; see docs/operations.md.
  const serverOptions = {
    ...DEFAULT_HTTP_SERVER_OPTIONS,
    headersTimeout: config.limits.httpHeadersTimeoutMs,
    requestTimeout: config.limits.httpRequestTimeoutMs,
    keepAliveTimeout: config.limits.httpKeepAliveTimeoutMs,
  };
  // One node:http server: Hubwire takes its hubs' requests and upgrades, Fastify (the router) the rest.
  const http = createServer(serverOptions, (req, res) => {
    // Azure's client URL (/client/?hub=…, /client/negotiate?hub=…) names a hub; Hubwire sees its path.
    if (routeClientEndpoint(req, hubPaths()) === 'not-found') {
      sendError(res, 404, 'No hub of that name is served here.');
      return;
    }
    if (state !== 'ready' && isNegotiate(req, hubPaths())) {
      sendError(res, 503, 'The server is shutting down.', {}, { 'Retry-After': '1' });
      return;
    }
    if (hubwire.handle(req, res)) return;
    observability.requests.run(req, res, () => router.handle(req, res));
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (routeClientEndpoint(req, hubPaths()) === 'not-found') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (state !== 'ready') {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!hubwire.handleUpgrade(req, socket, head)) socket.destroy();
  });
  const router = new RestRouter({
    server: http,
    authenticate,
    maxBodyBytes: config.limits.maxRequestBodySize,
    corsOrigins: config.corsOrigins,
    logger,
    rateLimit: { perSecond: config.limits.restRequestsPerSecond, burst: config.limits.restRequestBurst },
    trustedProxies: config.trustedProxies,
    onRoute: (req, route) => observability.requests.route(req, route),
    onClientError: (error: NodeJS.ErrnoException, socket: Duplex) => {
      logger.debug({ err: error }, 'bad HTTP request');
      // As Node's own answer: a timeout is 408, oversized headers 431. The socket is destroyed once
      // the answer is out: a client that never closes its end (slowloris) must not keep it.
      const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      socket.once('finish', () => socket.destroy());
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    },
  });


  router.add('GET', '/healthz', () => ({ status: 200, body: { status: 'ok' } }), 'anonymous', {
    summary: 'Liveness.',
    tags: ['health'],
    schema: { response: { 200: { type: 'object', properties: { status: { const: 'ok' } } } } },
  });
  router.add(
    'GET',
    '/readyz',
    () => (state === 'ready' ? { status: 200, body: { status: 'ready', connections: hubwire.connectionCount() } } : { status: 503, body: { status: state } }),
    'anonymous',
    {
      summary: 'Readiness: 503 while starting or shutting down.',
      tags: ['health'],
      schema: { response: { 200: { type: 'object', properties: { status: { const: 'ready' }, connections: { type: 'integer' } } }, 503: { type: 'object', properties: { status: { type: 'string' } } } } },
    },
  );
  observability.registerRoutes(router);
  // Tokens are checked against real time, so they are issued on the system clock, not the simulators' one.
  registerAuthRoutes(router, config.jwt, config.demo && config.jwt.secret !== undefined ? createTokenIssuer(config.jwt, systemClock) : undefined);

  const stops: { name: string; stop: () => void | Promise<void> }[] = [];
  // Modules register before the port is known; they read the URL once the server listens.
  const listening: { url?: string } = {};
  for (const module of options.modules ?? defaultModules) {
    const context: AppContext = {
      hubwire,
      config,
      logger,
      metrics: observability.metrics,
      cluster,
      routes: router,
      clock,
      random,
      get hubPaths() {
        return hubPaths();
      },
      get url() {
        return listening.url;
      },
      onStop: (stop) => stops.push({ name: module.name, stop }),
    };
    await module.register(context);
  }

  // After the modules: a serverless hub may not take the name of a hub one of them mapped.
  // Retries run on real time, not on the simulators' clock tests may step.
  mapServerlessHubs({ hubwire, config, logger, clock: systemClock, settings: upstream.settings, dispatcher: upstream.dispatcher, keys: upstream.keys, userAuthenticator: authenticate });
  registerDataPlaneRoutes(router, dataPlane);
  registerWebhookRoutes(router, upstream.dispatcher, config.dataPlane.accessKeys);
  registerOpenApiRoute(router, { title: 'Hubwire server', version: '0.1.0' });
  await router.ready();
  // On a cluster the data plane subscribes on Redis. A server whose Redis is down starts anyway,
  // as readyWithin lets it: the data plane answers for this node meanwhile, the mesh joins later.
  await withTimeout(dataPlane.start(hubwire), 5000).catch((error: unknown) => {
    logger.warn({ err: error }, 'data-plane node mesh not joined yet (Redis); connections on other nodes are not found until it is');
  });

  const runStops = async (deadline: number) => {
    for (const { name, stop } of [...stops].reverse()) {
      try {
        const ms = Math.max(0, deadline - Date.now());
        await withTimeout(Promise.resolve().then(stop), ms, `did not finish within ${ms} ms`);
      } catch (error) {
        logger.error({ err: error, module: name }, 'module stop failed');
      }
    }
  };

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await runStops(Date.now() + 1000);
    await dataPlane.close();
    await router.close();
    await hubwire.close();
    await upstream.close(1000);
    await cluster?.close();
    await observability.shutdown(1000);
    throw error;
  }
  http.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));
  const address = http.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  listening.url = url;
  state = 'ready';

  logger.info(
    {
      url,
      port: address.port,
      host: config.host,
      hubs: [...hubPaths()],
      modules: (options.modules ?? defaultModules).map((module) => module.name),
      demo: config.demo,
      demoUsers: config.demo ? DEMO_USERS.map((user) => ({ username: user.username, password: DEMO_PASSWORD, roles: user.roles, organizations: user.organizations })) : undefined,
      auth: config.jwt.jwksUrl !== undefined ? { jwksUrl: config.jwt.jwksUrl } : { algorithm: 'HS256', builtInDemoSecret: config.jwt.secret === DEMO_JWT_SECRET },
      corsOrigins: config.corsOrigins,
      cluster: cluster === undefined ? null : { nodeId: cluster.nodeId, prefix: cluster.prefix, redis: redisEndpoint(config.redis.url) },
      config: { file: config.source.file ?? null, env: config.source.env },
    },
    'hubwire server listening',
  );
  if (config.jwt.secret === DEMO_JWT_SECRET && config.allowNonLoopback) {
    logger.warn({ host: config.host }, 'demo mode with the built-in JWT secret on a non-loopback address: anyone can mint tokens');
  }
  if (!config.demo && (config.jwt.issuer === '' || config.jwt.audience === '')) {
    logger.warn({ issuer: config.jwt.issuer, audience: config.jwt.audience }, 'JWT issuer or audience is not checked (JWT_ISSUER / JWT_AUDIENCE empty)');
  }

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    state = 'stopping';
    const started = Date.now();
    logger.info({ connections: hubwire.connectionCount(), timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    const deadline = started + config.shutdownTimeoutMs;
    await runStops(deadline);
    await dataPlane.close();
    await hubwire.close();
    // After the hubs: the disconnects of their closing are webhooks too, sent until the deadline.
    await upstream.close(Math.max(250, deadline - Date.now()));
    // Last: the hubs' backplane publishes with this connection until they are closed.
    await cluster?.close();
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
    await router.close();
    // Last: what the hubs' closing measured (connection durations, spans) is exported too.
    await observability.shutdown(Math.max(1000, deadline - Date.now()));
    state = 'stopped';
    logger.info({ ms: Date.now() - started }, 'stopped');
  };

  return {
    config,
    hubwire,
    http,
    address,
    url,
    logger,
    cluster,
    get state() {
      return state as AppState;
    },
    get hubPaths() {
      return hubPaths();
    },
    get routes() {
      return router.routes;
    },
    stop: () => (stopping ??= stop()),
  };
}

function isNegotiate(req: IncomingMessage, hubPaths: readonly string[]): boolean {
  if (req.method !== 'POST') return false;
  const path = (req.url ?? '/').split('?')[0]!.toLowerCase();
  return hubPaths.some((hub) => path === `${hub.toLowerCase()}/negotiate`);
}

/** Waits (bounded) for the first Redis connection; a server whose Redis is down starts anyway, degraded. */
async function readyWithin(cluster: ClusterContext, logger: Logger, ms: number): Promise<void> {
  if (cluster.redis.isReady) return;
  try {
    await withTimeout(new Promise<void>((resolve) => cluster.redis.once('ready', () => resolve())), ms);
  } catch {
    logger.warn({ waitedMs: ms }, 'Redis is not reachable; starting without it (cross-node delivery and cluster state resume when it is back)');
  }
}
