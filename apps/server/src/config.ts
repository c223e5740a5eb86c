/**
 * The server's settings: defaults, overridden by a JSON file (`--config path` or
 * `HUBWIRE_CONFIG`), overridden by environment variables; checked at start. A bad value is a
 * {@link ConfigError} whose message names the setting (main.ts exits with code 2).
 *
 * Every setting is one row of {@link SETTINGS}: its key in the file (the dotted path in
 * {@link ServerConfig}), its environment variable, its default and its parser. docs/server.md
 * lists the same table (a test checks that every variable is documented).
 * @module
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { accessKeys, boolean, httpUrl, hubNames, integer, Invalid, oneOf, origins, proxies, redisUrl, text, upstreams, type Parser } from './config-parsers.js';

/** Everything the server process needs to start. */
export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  /** Demo mode: demo users, `POST /api/auth/token`, simulated data. Refuses non-loopback hosts unless `allowNonLoopback`. */
  readonly demo: boolean;
  readonly allowNonLoopback: boolean;
  /** Origins allowed to call the hubs and REST API from a browser; empty = same origin only; `['*']` = any. */
  readonly corsOrigins: readonly string[];
  readonly jwt: {
    /** HS256 secret (demo mode has a built-in one); or give jwksUrl. */
    readonly secret?: string;
    readonly jwksUrl?: string;
    /** Required `iss` of tokens; empty = not checked. */
    readonly issuer: string;
    /** Required `aud` of tokens; empty = not checked. */
    readonly audience: string;
    readonly userIdClaim: string;
    readonly rolesClaim: string;
    /** The claim listing the organizations a user belongs to (an array of ids, or one id). */
    readonly organizationsClaim: string;
    /** Lifetime of tokens issued by the demo token endpoint. */
    readonly tokenLifetimeSeconds: number;
  };
  readonly simulators: {
    readonly events: { readonly enabled: boolean; readonly minDelayMs: number; readonly maxDelayMs: number };
    /** Time between two steps of a simulated campaign orchestration run. */
    readonly campaigns: { readonly stepMs: number };
    readonly synaxis: { readonly enabled: boolean; readonly intervalMs: number };
    /** How often the admin hub pushes live platform stats to its `analytics` group; 0 = never. */
    readonly admin: { readonly statsIntervalMs: number };
  };
  readonly limits: {
    /** Largest hub message a client may send (bytes). */
    readonly maxMessageSize: number;
    /** Largest REST request body (bytes); larger bodies get 413. */
    readonly maxRequestBodySize: number;
    /** Hub invocations one connection may run at once. */
    readonly maxParallelInvocations: number;
    /** Bytes waiting for a slow client before it is disconnected. */
    readonly maxOutboundBufferSize: number;
    /**
     * WebSocket messages from this size up are sent compressed (permessage-deflate) to clients
     * that offer it; 0 = compression off (the default, as in ASP.NET).
     */
    readonly webSocketCompressionThreshold: number;
    readonly keepAliveIntervalMs: number;
    readonly clientTimeoutMs: number;
    /** Longest chat message text (characters). */
    readonly chatMaxMessageLength: number;
    /** REST requests per second one caller (the user, else the client address) may make; 0 = no limit. */
    readonly restRequestsPerSecond: number;
    /** REST requests one caller may make at once before the per-second rate applies. */
    readonly restRequestBurst: number;
    /** Time a client has to send a request's headers (slowloris); 0 = no limit. */
    readonly httpHeadersTimeoutMs: number;
    /** Time a client has to send a whole request, body included; 0 = no limit. */
    readonly httpRequestTimeoutMs: number;
    /** How long an idle keep-alive socket stays open; set it above a load balancer's idle timeout. */
    readonly httpKeepAliveTimeoutMs: number;
  };
  /**
   * Reverse proxies whose `X-Forwarded-For` names the client (addresses, CIDR ranges or
   * `loopback`); empty = the socket's address is the client's.
   */
  readonly trustedProxies: readonly string[];
  /** Send error details of failing hub methods to clients (development only). */
  readonly detailedErrors: boolean;
  /** How long graceful shutdown waits for in-flight work and clients. */
  readonly shutdownTimeoutMs: number;
  /**
   * The Redis that makes several server processes one system: every hub on the backplane and the
   * app's own state (simulator leader, campaigns, stats) in Redis. Without `url` the server runs
   * alone, in memory.
   */
  readonly redis: {
    /** `redis://[user:password@]host:port[/db]` or `rediss://…`; unset = no Redis. */
    readonly url?: string;
    /** First part of every Redis key and channel, so several systems can share one Redis. */
    readonly prefix: string;
    /**
     * Lifetime of a leader lease (one events simulator, one synaxis agent set, one stats pusher
     * per cluster); renewed every third of it, so another node takes over within about this long.
     */
    readonly leaseTtlMs: number;
    /** How often a node refreshes its entry in the node registry; an entry lives three times as long. */
    readonly heartbeatMs: number;
  };
  /** The Prometheus endpoint `GET /metrics`. */
  readonly metrics: {
    /** Serve `GET /metrics` (Hubwire's, the app's and Node's process metrics). */
    readonly enabled: boolean;
    /** When set, `/metrics` answers only requests with `Authorization: Bearer <token>`. */
    readonly token?: string;
  };
  /**
   * OpenTelemetry export over OTLP/HTTP (JSON), under the standard variable names. The SDK starts
   * when an endpoint is set; the exporters also read the other standard `OTEL_EXPORTER_OTLP_*`
   * variables (headers, timeout, compression) and the resource `OTEL_RESOURCE_ATTRIBUTES`.
   */
  readonly otel: {
    /** Base URL of the collector; traces go to `<url>/v1/traces`, metrics to `<url>/v1/metrics`. */
    readonly endpoint?: string;
    /** The traces URL as is (overrides `endpoint` for traces). */
    readonly tracesEndpoint?: string;
    /** The metrics URL as is (overrides `endpoint` for metrics). */
    readonly metricsEndpoint?: string;
    /** `service.name` of the resource; unset: `OTEL_RESOURCE_ATTRIBUTES`' or `hubwire`. */
    readonly serviceName?: string;
    /** Time between two metric exports. */
    readonly metricExportIntervalMs: number;
    /** Never start the SDK, whatever the endpoints say. */
    readonly sdkDisabled: boolean;
  };
  /** The Azure SignalR-compatible data-plane API (issue 11; served under /api/hubs/). */
  readonly dataPlane: {
    /**
     * The access keys callers sign their tokens with (or send as is); two at once while one is
     * rotated. Empty: every data-plane call is refused. Demo mode: {@link DEMO_ACCESS_KEY}.
     */
    readonly accessKeys: readonly string[];
  };
  /**
   * Azure SignalR's serverless mode and upstream (issue 11): hubs without hub code, whose
   * clients' invocations and connection events are POSTed to the upstream, and lifecycle
   * webhooks for every hub.
   */
  readonly serverless: {
    /** Hub names served without code, at `/client/?hub={name}` and `/hubs/{name}`. */
    readonly hubs: readonly string[];
    /** Where events go: the first item whose patterns match (empty: nowhere). */
    readonly upstreams: readonly UpstreamSetting[];
    /** Attempts of a webhook delivery before it is dead-lettered (the first one included). */
    readonly webhookMaxAttempts: number;
    /** How long one upstream request may take (ms). */
    readonly upstreamTimeoutMs: number;
    /** Webhook deliveries this process holds waiting; past it a new one is dead-lettered at once. */
    readonly webhookQueueLimit: number;
  };
  /** Where the values came from (for the start-up log). */
  readonly source: ConfigSource;
}

/** One upstream item, as Azure SignalR's upstream settings hold it. */
export interface UpstreamSetting {
  /** An http(s) URL that may hold `{hub}`, `{category}` and `{event}`. */
  readonly urlTemplate: string;
  /** `*`, a hub name, or names separated by commas (case-insensitive). */
  readonly hubPattern: string;
  /** `*`, `connections`, `messages`, `groups`, or several separated by commas. */
  readonly categoryPattern: string;
  /** `*`, an event (`connected`, a method name, …), or several separated by commas. */
  readonly eventPattern: string;
}

/** Where a configuration came from. */
export interface ConfigSource {
  /** The JSON file read, if any. */
  readonly file?: string;
  /** The environment variables that set a value. */
  readonly env: readonly string[];
}

/** A setting has a value the server cannot use; the message names the setting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * The HS256 secret of demo mode when neither JWT_SECRET nor JWT_JWKS_URL is set. Public by
 * design: demo mode only binds to loopback unless ALLOW_NON_LOOPBACK is set.
 */
export const DEMO_JWT_SECRET = 'hubwire-demo-secret-do-not-use-in-production';

/**
 * The data-plane access key of demo mode when ACCESS_KEYS is not set. Public by design, like
 * {@link DEMO_JWT_SECRET}: demo mode only binds to loopback unless ALLOW_NON_LOOPBACK is set.
 */
export const DEMO_ACCESS_KEY = 'hubwire-demo-access-key-do-not-use-in-production';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const MAX_DELAY = 24 * 60 * 60 * 1000;

/** One setting: its place in {@link ServerConfig} (and the file), its variable and default. */
export interface Setting {
  /** Dotted path in the config file and in ServerConfig, e.g. `simulators.events.minDelayMs`. */
  readonly key: string;
  readonly env: string;
  /** The default; `undefined` = unset. A function computes it from the demo flag. */
  readonly default: unknown | ((demo: boolean) => unknown);
  readonly parser: Parser;
  readonly description: string;
}

const HOST_PATTERN = /^[A-Za-z0-9.:\-[\]]+$/;

/** Every setting, in the order of docs/server.md. */
export const SETTINGS: readonly Setting[] = [
  { key: 'port', env: 'PORT', default: 5000, parser: integer(0, 65_535), description: 'TCP port (0 picks a free one; the start-up log shows it)' },
  { key: 'host', env: 'HOST', default: '127.0.0.1', parser: text({ pattern: HOST_PATTERN, describe: 'a host name or IP address' }), description: 'address to bind' },
  { key: 'logLevel', env: 'LOG_LEVEL', default: 'info', parser: oneOf(LOG_LEVELS), description: 'pino log level' },
  { key: 'demo', env: 'DEMO', default: true, parser: boolean, description: 'demo mode: demo users, token endpoint, built-in JWT secret' },
  { key: 'allowNonLoopback', env: 'ALLOW_NON_LOOPBACK', default: false, parser: boolean, description: 'let demo mode bind a non-loopback HOST' },
  { key: 'corsOrigins', env: 'CORS_ORIGINS', default: [], parser: origins, description: "browser origins allowed to call hubs and REST (empty: same origin only; '*': any)" },
  { key: 'jwt.secret', env: 'JWT_SECRET', default: undefined, parser: text({ minBytes: 32, describe: 'a secret of at least 32 bytes' }), description: 'HS256 secret of bearer tokens (demo mode: a built-in one)' },
  { key: 'jwt.jwksUrl', env: 'JWT_JWKS_URL', default: undefined, parser: httpUrl, description: 'URL of a JSON Web Key Set (RS256/ES256/PS256/EdDSA tokens), instead of JWT_SECRET' },
  { key: 'jwt.issuer', env: 'JWT_ISSUER', default: (demo: boolean) => (demo ? 'hubwire-demo' : ''), parser: text({ allowEmpty: true }), description: 'required `iss` (empty: not checked)' },
  { key: 'jwt.audience', env: 'JWT_AUDIENCE', default: (demo: boolean) => (demo ? 'hubwire' : ''), parser: text({ allowEmpty: true }), description: 'required `aud` (empty: not checked)' },
  { key: 'jwt.userIdClaim', env: 'JWT_USER_ID_CLAIM', default: 'sub', parser: text(), description: 'claim naming the user' },
  { key: 'jwt.rolesClaim', env: 'JWT_ROLES_CLAIM', default: 'role', parser: text(), description: 'claim holding the roles (string or array)' },
  { key: 'jwt.organizationsClaim', env: 'JWT_ORGS_CLAIM', default: 'orgs', parser: text(), description: 'claim holding the organization ids (string or array)' },
  { key: 'jwt.tokenLifetimeSeconds', env: 'JWT_TOKEN_LIFETIME_SECONDS', default: 3600, parser: integer(1, 30 * 24 * 3600), description: 'lifetime of demo tokens' },
  { key: 'simulators.events.enabled', env: 'EVENTS_ENABLED', default: true, parser: boolean, description: 'run the /hubs/events broadcaster' },
  { key: 'simulators.events.minDelayMs', env: 'EVENTS_MIN_DELAY_MS', default: 2000, parser: integer(1, MAX_DELAY), description: 'shortest wait between two events' },
  { key: 'simulators.events.maxDelayMs', env: 'EVENTS_MAX_DELAY_MS', default: 8000, parser: integer(1, MAX_DELAY), description: 'longest wait between two events' },
  { key: 'simulators.campaigns.stepMs', env: 'CAMPAIGN_STEP_MS', default: 1500, parser: integer(1, MAX_DELAY), description: 'time between two steps of a simulated campaign run' },
  { key: 'simulators.synaxis.enabled', env: 'SYNAXIS_ENABLED', default: true, parser: boolean, description: 'run the simulated synaxis agents (demo mode)' },
  { key: 'simulators.synaxis.intervalMs', env: 'SYNAXIS_INTERVAL_MS', default: 10_000, parser: integer(1, MAX_DELAY), description: 'time between two simulated synaxis notifications' },
  { key: 'simulators.admin.statsIntervalMs', env: 'ADMIN_STATS_INTERVAL_MS', default: 10_000, parser: integer(0, MAX_DELAY), description: 'how often /hubs/admin pushes live stats to `analytics` (0: never)' },
  { key: 'limits.maxMessageSize', env: 'MAX_MESSAGE_SIZE', default: 32_768, parser: integer(256, 64 * 1024 * 1024), description: 'largest hub message a client may send (bytes)' },
  { key: 'limits.maxRequestBodySize', env: 'MAX_REQUEST_BODY_SIZE', default: 65_536, parser: integer(256, 64 * 1024 * 1024), description: 'largest REST request body (bytes); more gets 413' },
  { key: 'limits.maxParallelInvocations', env: 'MAX_PARALLEL_INVOCATIONS', default: 1, parser: integer(1, 1024), description: 'hub invocations one connection may run at once' },
  {
    key: 'limits.webSocketCompressionThreshold',
    env: 'WS_COMPRESSION_THRESHOLD',
    default: 0,
    parser: integer(0, 64 * 1024),
    description: 'WebSocket messages from this many bytes up are sent compressed (permessage-deflate) to clients that offer it; 0 = off',
  },
  { key: 'limits.maxOutboundBufferSize', env: 'MAX_OUTBOUND_BUFFER_SIZE', default: 1024 * 1024, parser: integer(1024, 1024 * 1024 * 1024), description: 'bytes queued for a slow client before it is disconnected' },
  { key: 'limits.keepAliveIntervalMs', env: 'KEEP_ALIVE_INTERVAL_MS', default: 15_000, parser: integer(1, MAX_DELAY), description: 'ping idle connections this often' },
  { key: 'limits.clientTimeoutMs', env: 'CLIENT_TIMEOUT_MS', default: 30_000, parser: integer(1, MAX_DELAY), description: 'close connections silent this long' },
  { key: 'limits.chatMaxMessageLength', env: 'CHAT_MAX_MESSAGE_LENGTH', default: 2000, parser: integer(1, 1_000_000), description: 'longest chat message (characters)' },
  { key: 'limits.restRequestsPerSecond', env: 'REST_RATE_LIMIT_PER_SECOND', default: 20, parser: integer(0, 1_000_000), description: 'REST requests per second per caller (user, else client address); more gets 429 (0: no limit)' },
  { key: 'limits.restRequestBurst', env: 'REST_RATE_LIMIT_BURST', default: 100, parser: integer(1, 1_000_000), description: 'REST requests a caller may make at once before the rate applies' },
  { key: 'limits.httpHeadersTimeoutMs', env: 'HTTP_HEADERS_TIMEOUT_MS', default: 10_000, parser: integer(0, MAX_DELAY), description: 'time a client has to send request headers; then 408 (0: no limit)' },
  { key: 'limits.httpRequestTimeoutMs', env: 'HTTP_REQUEST_TIMEOUT_MS', default: 30_000, parser: integer(0, MAX_DELAY), description: 'time a client has to send a whole request; then 408 (0: no limit)' },
  { key: 'limits.httpKeepAliveTimeoutMs', env: 'HTTP_KEEP_ALIVE_TIMEOUT_MS', default: 5000, parser: integer(1, MAX_DELAY), description: 'how long an idle keep-alive socket stays open' },
  { key: 'trustedProxies', env: 'TRUSTED_PROXIES', default: [], parser: proxies, description: 'reverse proxies whose X-Forwarded-For names the client (rate limits count that address)' },
  { key: 'detailedErrors', env: 'DETAILED_ERRORS', default: false, parser: boolean, description: 'send error details of failing hub methods to clients' },
  { key: 'redis.url', env: 'REDIS_URL', default: undefined, parser: redisUrl, description: 'Redis of the cluster this process joins (unset: runs alone, in memory)' },
  {
    key: 'redis.prefix',
    env: 'REDIS_PREFIX',
    default: 'hubwire',
    parser: text({ pattern: /^[A-Za-z0-9_.-]{1,64}$/, describe: '1 to 64 letters, digits, _ . -' }),
    description: 'first part of every Redis key and channel, so several systems share one Redis',
  },
  { key: 'redis.leaseTtlMs', env: 'REDIS_LEASE_TTL_MS', default: 5000, parser: integer(300, 600_000), description: 'lifetime of a leader lease (simulators, stats push); another node takes over within about this long' },
  { key: 'redis.heartbeatMs', env: 'REDIS_HEARTBEAT_MS', default: 1000, parser: integer(50, 60_000), description: "how often a node refreshes its registry entry; a dead node's entry expires after 3 heartbeats" },
  { key: 'metrics.enabled', env: 'METRICS_ENABLED', default: true, parser: boolean, description: 'serve Prometheus metrics at GET /metrics' },
  {
    key: 'metrics.token',
    env: 'METRICS_TOKEN',
    default: undefined,
    parser: text({ minBytes: 16, pattern: /^[\x21-\x7e]+$/, describe: 'a token of at least 16 printable ASCII characters, no spaces' }),
    description: 'bearer token GET /metrics requires (unset: none)',
  },
  { key: 'otel.endpoint', env: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: undefined, parser: httpUrl, description: 'OTLP/HTTP collector base URL: starts the OpenTelemetry SDK (traces and metrics)' },
  { key: 'otel.tracesEndpoint', env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', default: undefined, parser: httpUrl, description: 'OTLP/HTTP URL for traces, used as is' },
  { key: 'otel.metricsEndpoint', env: 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', default: undefined, parser: httpUrl, description: 'OTLP/HTTP URL for metrics, used as is' },
  { key: 'otel.serviceName', env: 'OTEL_SERVICE_NAME', default: undefined, parser: text(), description: 'service.name of the exported telemetry' },
  { key: 'otel.metricExportIntervalMs', env: 'OTEL_METRIC_EXPORT_INTERVAL', default: 60_000, parser: integer(100, MAX_DELAY), description: 'time between two OTLP metric exports (ms)' },
  { key: 'otel.sdkDisabled', env: 'OTEL_SDK_DISABLED', default: false, parser: boolean, description: 'never start the OpenTelemetry SDK' },
  {
    key: 'dataPlane.accessKeys',
    env: 'ACCESS_KEYS',
    default: (demo: boolean) => (demo ? [DEMO_ACCESS_KEY] : []),
    parser: accessKeys,
    description: 'access keys of the Azure SignalR-compatible data-plane API, comma-separated, two while rotating (demo mode: a built-in one; none: refused)',
  },
  { key: 'serverless.hubs', env: 'SERVERLESS_HUBS', default: [], parser: hubNames, description: 'hubs served without hub code (Azure serverless mode), comma-separated' },
  {
    key: 'serverless.upstreams',
    env: 'UPSTREAM',
    default: [],
    parser: upstreams,
    description: 'upstream URL template, or a JSON list of Azure upstream items: where invocations of serverless hubs and connection and group events go',
  },
  { key: 'serverless.webhookMaxAttempts', env: 'WEBHOOK_MAX_ATTEMPTS', default: 5, parser: integer(1, 20), description: 'attempts of a webhook delivery before it is dead-lettered' },
  { key: 'serverless.upstreamTimeoutMs', env: 'UPSTREAM_TIMEOUT_MS', default: 10_000, parser: integer(100, MAX_DELAY), description: 'how long one upstream request may take (ms)' },
  { key: 'serverless.webhookQueueLimit', env: 'WEBHOOK_QUEUE_LIMIT', default: 10_000, parser: integer(1, 1_000_000), description: 'webhook deliveries held waiting before new ones are dead-lettered' },
  { key: 'shutdownTimeoutMs', env: 'SHUTDOWN_TIMEOUT_MS', default: 5000, parser: integer(0, 10 * 60 * 1000), description: 'how long shutdown waits for in-flight invocations, then for clients' },
];

/** What {@link loadConfig} reads; every part is optional. */
export interface ConfigInputs {
  /** Environment variables. Default: none (process.env is read only when given). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Command-line arguments (`--config path`). */
  readonly argv?: readonly string[];
  /** Reads the config file (tests pass a fake). Default: `fs.readFileSync(path, 'utf8')`. */
  readonly readFile?: (path: string) => string;
}

/**
 * Reads and validates the configuration: environment over file over defaults.
 *
 * @example
 * ```ts
 * const config = loadConfig({ env: process.env, argv: process.argv.slice(2) });
 * const testConfig = loadConfig({ env: { PORT: '0', LOG_LEVEL: 'silent' } });
 * ```
 */
export function loadConfig(inputs: ConfigInputs | NodeJS.ProcessEnv = {}): ServerConfig {
  const { env = {}, argv = [], readFile = (path: string) => readFileSync(path, 'utf8') } = isInputs(inputs) ? inputs : { env: inputs };
  const file = configFilePath(argv, env);
  const fromFile = file === undefined ? new Map<string, unknown>() : readConfigFile(file, readFile);
  const values = new Map<string, unknown>();
  const usedEnv: string[] = [];
  for (const setting of SETTINGS) {
    const raw = env[setting.env];
    if (raw !== undefined && raw !== '') {
      values.set(setting.key, parseWith(setting, () => setting.parser.fromEnv(raw), `${setting.env} must be`, raw));
      usedEnv.push(setting.env);
    } else if (fromFile.has(setting.key)) {
      const value = fromFile.get(setting.key);
      values.set(setting.key, parseWith(setting, () => setting.parser.fromFile(value), `Setting '${setting.key}' in ${file} must be`, JSON.stringify(value)));
    }
  }
  const demo = (values.get('demo') ?? true) as boolean;
  for (const setting of SETTINGS) {
    if (values.has(setting.key)) continue;
    const fallback = typeof setting.default === 'function' ? (setting.default as (demo: boolean) => unknown)(demo) : setting.default;
    if (fallback !== undefined) values.set(setting.key, Array.isArray(fallback) ? [...fallback] : fallback);
  }
  if (demo && values.get('jwt.secret') === undefined && values.get('jwt.jwksUrl') === undefined) values.set('jwt.secret', DEMO_JWT_SECRET);
  const config = build(values, { file, env: usedEnv });
  validateConfig(config);
  return config;
}

function isInputs(value: ConfigInputs | NodeJS.ProcessEnv): value is ConfigInputs {
  return 'env' in value || 'argv' in value || 'readFile' in value;
}

/** The path of the config file: `--config path` / `--config=path`, else HUBWIRE_CONFIG. */
function configFilePath(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): string | undefined {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--config') {
      const path = argv[index + 1];
      if (path === undefined || path.startsWith('--')) throw new ConfigError('--config needs a file path.');
      return path;
    }
    if (arg.startsWith('--config=')) {
      const path = arg.slice('--config='.length);
      if (path === '') throw new ConfigError('--config needs a file path.');
      return path;
    }
  }
  const fromEnv = env['HUBWIRE_CONFIG'];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function readConfigFile(path: string, read: (path: string) => string): Map<string, unknown> {
  let text: string;
  try {
    text = read(path);
  } catch (error) {
    throw new ConfigError(`Config file (--config / HUBWIRE_CONFIG) '${path}' cannot be read: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Config file '${path}' is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`Config file '${path}' must hold a JSON object.`);
  const known = new Set(SETTINGS.map((setting) => setting.key));
  const flat = new Map<string, unknown>();
  const walk = (object: Record<string, unknown>, prefix: string) => {
    for (const [name, value] of Object.entries(object)) {
      const key = prefix + name;
      if (known.has(key)) flat.set(key, value);
      else if (value !== null && typeof value === 'object' && !Array.isArray(value) && [...known].some((k) => k.startsWith(`${key}.`))) walk(value as Record<string, unknown>, `${key}.`);
      else throw new ConfigError(`Config file '${path}' has an unknown setting '${key}'.`);
    }
  };
  walk(parsed as Record<string, unknown>, '');
  return flat;
}

// UPSTREAM: a template may carry a function key (`?code=…`), as Azure Functions URLs do.
const SECRET_SETTINGS = new Set(['JWT_SECRET', 'REDIS_URL', 'METRICS_TOKEN', 'ACCESS_KEYS', 'UPSTREAM']);

function parseWith(setting: Setting, parse: () => unknown, subject: string, shown: string): unknown {
  try {
    return parse();
  } catch (error) {
    if (error instanceof Invalid) {
      // Secrets never reach a log or an error: a JWT secret, a Redis URL with its password, the metrics token, access keys.
      const value = SECRET_SETTINGS.has(setting.env) ? '(hidden)' : `'${shown}'`;
      throw new ConfigError(`${subject} ${error.expected}; got ${value}.`);
    }
    throw error;
  }
}

function build(values: Map<string, unknown>, source: ConfigSource): ServerConfig {
  const root: Record<string, unknown> = {};
  for (const [key, value] of values) {
    const parts = key.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = value;
  }
  root['source'] = source;
  return root as unknown as ServerConfig;
}

/** Where a setting can be changed, for messages: `EVENTS_MIN_DELAY_MS (simulators.events.minDelayMs)`. */
function named(key: string): string {
  const setting = SETTINGS.find((candidate) => candidate.key === key);
  return setting === undefined ? key : `${setting.env} (${setting.key})`;
}

/** Whether `host` is a loopback name or address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare.startsWith('::ffff:127.');
  return false;
}

/**
 * The checks that involve several settings. loadConfig runs them; startApp runs them again for
 * configurations built by hand (tests).
 */
export function validateConfig(config: ServerConfig): void {
  const { jwt, simulators } = config;
  if (simulators.events.minDelayMs > simulators.events.maxDelayMs) {
    throw new ConfigError(
      `${named('simulators.events.minDelayMs')} must not exceed ${named('simulators.events.maxDelayMs')}; got ${simulators.events.minDelayMs} > ${simulators.events.maxDelayMs}.`,
    );
  }
  if (jwt.secret !== undefined && jwt.jwksUrl !== undefined) {
    throw new ConfigError(`Set only one of ${named('jwt.secret')} and ${named('jwt.jwksUrl')}.`);
  }
  if (jwt.secret === undefined && jwt.jwksUrl === undefined) {
    throw new ConfigError(`${named('jwt.secret')} or ${named('jwt.jwksUrl')} is required when DEMO is false.`);
  }
  if (config.demo && jwt.jwksUrl !== undefined) {
    throw new ConfigError(`${named('jwt.jwksUrl')} cannot be used in demo mode (demo tokens are signed with JWT_SECRET); set DEMO=false.`);
  }
  const { httpHeadersTimeoutMs: headers, httpRequestTimeoutMs: request } = config.limits;
  if (request > 0 && headers > request) {
    throw new ConfigError(`${named('limits.httpHeadersTimeoutMs')} must not exceed ${named('limits.httpRequestTimeoutMs')}; got ${headers} > ${request}.`);
  }
  if (config.demo && !config.allowNonLoopback && !isLoopbackHost(config.host)) {
    throw new ConfigError(
      `HOST '${config.host}' is not a loopback address; demo mode (public demo users and secret) only binds to loopback. Set ALLOW_NON_LOOPBACK=true to allow it, or DEMO=false.`,
    );
  }
}
