/**
 * The client's logger: the user's (or a console logger at a level), watched for the transport
 * the official client selects, which it tells nowhere else.
 * @module
 */
import { LogLevel, type ILogger } from '@microsoft/signalr';

/** The transports of the SignalR protocol, as the official client names them. */
export type TransportName = 'WebSockets' | 'ServerSentEvents' | 'LongPolling';

const TRANSPORTS: ReadonlySet<string> = new Set<TransportName>(['WebSockets', 'ServerSentEvents', 'LongPolling']);
const SELECTING = /^Selecting transport '(\w+)'\.$/;

/** Logs at `minimum` and above to the console, in the official client's format. */
export function consoleLogger(minimum: LogLevel): ILogger {
  return {
    log(level: LogLevel, message: string): void {
      if (level < minimum || minimum === LogLevel.None) return;
      const line = `[${new Date().toISOString()}] ${LogLevel[level]}: ${message}`;
      if (level >= LogLevel.Error) console.error(line);
      else if (level === LogLevel.Warning) console.warn(line);
      else if (level === LogLevel.Information) console.info(line);
      else console.debug(line);
    },
  };
}

/** The logger for `option` (default: warnings and errors on the console). */
export function loggerFor(option: ILogger | LogLevel | undefined): ILogger {
  if (option === undefined) return consoleLogger(LogLevel.Warning);
  return typeof option === 'number' ? consoleLogger(option) : option;
}

/** Forwards to `target`, telling `onTransport` which transport the official client selected. */
export function transportWatchingLogger(target: ILogger, onTransport: (name: TransportName) => void): ILogger {
  return {
    log(level: LogLevel, message: string): void {
      if (level === LogLevel.Debug) {
        const name = SELECTING.exec(message)?.[1];
        if (name !== undefined && TRANSPORTS.has(name)) onTransport(name as TransportName);
      }
      target.log(level, message);
    },
  };
}
