/**
 * The environment tests start the server app with (in process or as a child): one table, so a
 * new background job switched off for tests is switched off everywhere.
 * @module
 */

/**
 * Test defaults: loopback, port 0, short shutdown, no background simulators unless asked.
 * @example
 * loadConfig({ env: { ...APP_TEST_ENV, EVENTS_ENABLED: 'true' } });
 */
export const APP_TEST_ENV: Readonly<Record<string, string>> = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  SHUTDOWN_TIMEOUT_MS: '1000',
  EVENTS_ENABLED: 'false',
  SYNAXIS_ENABLED: 'false',
  ADMIN_STATS_INTERVAL_MS: '0',
};
