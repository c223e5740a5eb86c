/**
 * The app's pino logger, set up so that no credential reaches a log line: URLs logged under
 * `url` lose their `access_token` (the official clients put the token in the query of WebSocket
 * and Server-Sent Events requests), and header, password and raw-packet fields are censored.
 * @module
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { REDACTED, redactUrl } from 'hubwire';

/** Fields censored wherever they appear at these paths. */
const REDACT_PATHS = [
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'password',
  'body.password',
  'token',
  'accessToken',
  // Node's HTTP parser errors carry the raw request bytes, Authorization header included.
  'err.rawPacket',
];

/** The pino options every logger of the app uses. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: {
      url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url),
      err: pino.stdSerializers.err,
    },
  };
}

/**
 * A pino logger at `level` writing to `destination` (default: stdout, synchronously, so a line is
 * out before the process exits and a closed stdout only silences the logger).
 *
 * @example
 * ```ts
 * const logger = createLogger('info');
 * logger.info({ url: req.url }, 'refused'); // access_token=[redacted]
 * ```
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(loggerOptions(level), destination ?? pino.destination({ dest: 1, sync: true }));
}
