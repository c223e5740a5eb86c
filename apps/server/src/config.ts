/**
 * The server's settings, from environment variables, checked at start.
 * @module
 */

/** Everything the server process needs to start. */
export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
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
  return { port, host, logLevel };
}
