/**
 * The server's settings, from environment variables, checked at start.
 * @module
 */

/** Everything the server process needs to start. */
export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  /** Demo mode: demo users, `POST /api/auth/token`, simulated data. Refuses non-loopback hosts unless `allowNonLoopback`. */
  readonly demo: boolean;
  readonly allowNonLoopback: boolean;
  /** Origins allowed to call the hubs and REST API from a browser; empty = same origin only. */
  readonly corsOrigins: readonly string[];
  readonly jwt: {
    /** HS256 secret (demo mode has a built-in one); or give jwksUrl. */
    readonly secret?: string;
    readonly jwksUrl?: string;
    readonly issuer: string;
    readonly audience: string;
    readonly userIdClaim: string;
    readonly rolesClaim: string;
    /** Lifetime of tokens issued by the demo token endpoint. */
    readonly tokenLifetimeSeconds: number;
  };
  readonly simulators: {
    readonly events: { readonly enabled: boolean; readonly minDelayMs: number; readonly maxDelayMs: number };
    /** Time between two steps of a simulated campaign orchestration run. */
    readonly campaigns: { readonly stepMs: number };
    readonly synaxis: { readonly enabled: boolean; readonly intervalMs: number };
  };
  /** How long graceful shutdown waits for in-flight work and clients. */
  readonly shutdownTimeoutMs: number;
}

/** A setting has a value the server cannot use; the message names the setting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates the configuration from `env`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.PORT ?? 5000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(`PORT must be an integer from 0 to 65535; got '${env.PORT}'.`);
  const host = env.HOST ?? '127.0.0.1';
  if (host.length === 0) throw new ConfigError('HOST must not be empty.');
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got '${logLevel}'.`);
  return {
    port,
    host,
    logLevel,
    demo: true,
    allowNonLoopback: false,
    corsOrigins: [],
    jwt: { issuer: 'hubwire-demo', audience: 'hubwire', userIdClaim: 'sub', rolesClaim: 'role', tokenLifetimeSeconds: 3600 },
    simulators: {
      events: { enabled: true, minDelayMs: 2000, maxDelayMs: 8000 },
      campaigns: { stepMs: 1500 },
      synaxis: { enabled: true, intervalMs: 10_000 },
    },
    shutdownTimeoutMs: 5000,
  };
}
