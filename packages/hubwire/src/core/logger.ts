/**
 * The logging seam. Its shape is pino's (`logger.warn({ connectionId }, 'text')`), so a pino
 * logger can be passed as is; the default writes nothing.
 * @module
 */

/** One log method: an object of fields, then a message. */
export type LogFn = (fields: Record<string, unknown>, message: string) => void;

/** The subset of a pino logger Hubwire uses. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => undefined;

/** A logger that drops everything: the default, so a library never writes to stdout uninvited. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
