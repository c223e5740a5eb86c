/**
 * The app's pino logger, set up so that no credential reaches a log line: URLs logged under
 * `url` lose their `access_token` (the official clients put the token in the query of WebSocket
 * and Server-Sent Events requests), and header, password and raw-packet fields are censored.
 * @module
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
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

/**
 * The trace and span ids of the span a line is logged in (a hub invocation, a REST request), so
 * logs and traces join up; nothing when no OpenTelemetry SDK runs (the API's no-op context has no
 * active span).
 */
export function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const context = span.spanContext();
  return isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

/** The pino options every logger of the app uses. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    mixin: traceFields,
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
