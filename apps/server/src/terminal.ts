/**
 * The lines the server process writes for people, on stderr (stdout carries only the JSON log,
 * so it stays machine-readable): where to open the demo once it runs, and why it could not
 * start when the address cannot be bound.
 * @module
 */
import { isIP } from 'node:net';
import { DEMO_PASSWORD, DEMO_USERS } from './auth/index.js';
import type { ServerConfig } from './config.js';

/** What {@link readyLine} needs of a running app. */
export interface ReadyApp {
  readonly config: Pick<ServerConfig, 'demo'>;
  /** `http://host:port` as bound (`http://0.0.0.0:5000` for every interface). */
  readonly url: string;
  readonly hubPaths: readonly string[];
}

/**
 * One human line saying where to open the demo and what to try.
 *
 * @example
 * ```ts
 * process.stderr.write(`${readyLine(app)}\n`);
 * // Hubwire is running: open http://127.0.0.1:5000/ for the web app (live events, the admin dashboard, chat, campaigns, organizations); log in as admin / demo …
 * ```
 */
export function readyLine(app: ReadyApp): string {
  const base = browsableUrl(app.url);
  const hubs = app.hubPaths.join(', ');
  if (!app.config.demo) {
    return `Hubwire is running at ${base}/ (hubs: ${hubs}); demo mode is off, so clients need tokens from your identity provider. Docs: ${base}/docs/hubs.md. Ctrl+C stops it.`;
  }
  const others = DEMO_USERS.filter((user) => user.username !== 'admin').map((user) => user.username);
  return (
    `Hubwire is running: open ${base}/ for the web app (live events, the admin dashboard, chat, campaigns, organizations); ` +
    `log in as admin / ${DEMO_PASSWORD} (or ${others.join(', ')}, same password) with POST ${base}/api/auth/token ` +
    `to try the other hubs (${hubs}); what each hub does: ${base}/docs/hubs.md. Ctrl+C stops it.`
  );
}

/** A browser cannot open the unspecified address a server binds to listen everywhere: show loopback instead. */
function browsableUrl(url: string): string {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '0.0.0.0') parsed.hostname = '127.0.0.1';
  else if (isIP(host) === 6 && /^[0:]+$/.test(host)) parsed.hostname = '[::1]';
  return parsed.origin;
}

/**
 * A one-line message for an error of binding the HTTP server that the settings can fix (port
 * taken, port not allowed, host not on this machine), naming the setting; undefined for any
 * other error.
 *
 * @example
 * ```ts
 * startFailureLine(Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' }), config);
 * // hubwire: cannot start: port 5000 on 127.0.0.1 is already in use. Set PORT to a free port (PORT=0 picks one) or stop the program using it.
 * ```
 */
export function startFailureLine(error: unknown, config: Pick<ServerConfig, 'host' | 'port'>): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const { host, port } = config;
  switch (code) {
    case 'EADDRINUSE':
      return `hubwire: cannot start: port ${port} on ${host} is already in use. Set PORT to a free port (PORT=0 picks one) or stop the program using it.`;
    case 'EACCES':
      return `hubwire: cannot start: not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges). Set PORT to a port from 1024 to 65535.`;
    case 'EADDRNOTAVAIL':
      return `hubwire: cannot start: HOST '${host}' is not an address of this machine (port ${port}). Set HOST to one of its addresses, e.g. 127.0.0.1.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `hubwire: cannot start: HOST '${host}' cannot be resolved (port ${port}). Set HOST to an address or a resolvable name, e.g. 127.0.0.1.`;
    default:
      return undefined;
  }
}
