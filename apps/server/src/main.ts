/**
 * The Hubwire server process (`npm start`, `npm run dev`): configuration, logger, signals and
 * exit codes — 0 after a graceful stop, 1 on a failure (a port already in use among them), 2 for a
 * configuration it cannot use. The JSON log goes to stdout; lines for people (where to open the
 * demo, why it could not start) go to stderr.
 * @module
 */
import { createLogger } from './logging.js';
import { startApp } from './app.js';
import { ConfigError, loadConfig, type ServerConfig } from './config.js';
import { readyLine, startFailureLine } from './terminal.js';

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadConfig({ env: process.env, argv: process.argv.slice(2) });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`hubwire: configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  // Synchronous writes: a line is out before the process exits, and a closed stdout (EPIPE) only
  // silences the logger. (pino's default asynchronous stdout can spin forever flushing into a
  // broken pipe at exit.)
  const logger = createLogger(config.logLevel);
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

  // Signals are handled from before the start: the "listening" line is out before startApp
  // returns, and a SIGINT in that gap must still stop the server gracefully, not kill it.
  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  let pendingSignal: NodeJS.Signals | undefined;
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    logger.info({ signal }, 'signal received');
    if (app === undefined) {
      pendingSignal = signal;
      return;
    }
    shutDown(app, signal);
  };
  const shutDown = (running: NonNullable<typeof app>, signal: NodeJS.Signals) => {
    // Drain (up to the timeout), then clients' Close (up to the timeout again), plus slack.
    const hardDeadline = setTimeout(() => {
      logger.error({ signal }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs * 2 + 3000);
    hardDeadline.unref();
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  try {
    app = await startApp(config, { logger });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`hubwire: configuration error: ${error.message}`);
      process.exit(2);
    }
    const line = startFailureLine(error, config);
    if (line !== undefined) {
      // A setting can fix it: say which, without a stack trace.
      logger.fatal({ code: (error as NodeJS.ErrnoException).code, host: config.host, port: config.port }, 'could not start');
      console.error(line);
    } else {
      logger.fatal({ err: error, host: config.host, port: config.port }, 'could not start');
    }
    process.exit(1);
  }
  process.stderr.write(`${readyLine(app)}\n`);
  if (pendingSignal !== undefined) shutDown(app, pendingSignal);
}

await main();
