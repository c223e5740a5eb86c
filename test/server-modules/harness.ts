/**
 * Starts the server's composition root (startApp) in-process on 127.0.0.1 port 0 with only the
 * modules under test, and signs tokens as the demo configuration expects.
 * @module
 */
import { SignJWT } from 'jose';
import { pino } from 'pino';
import type { Clock, HubServer } from 'hubwire';
import type { AppModule } from '../../apps/server/src/app-context.js';
import { startApp, type App } from '../../apps/server/src/app.js';
import { loadConfig, type ServerConfig } from '../../apps/server/src/config.js';

/** A running server. */
export interface Harness {
  readonly app: App;
  readonly hubwire: HubServer;
  readonly config: ServerConfig;
  readonly port: number;
  url(path: string): string;
  /** A JSON request; `token` goes in the Authorization header. */
  request(method: string, path: string, options?: { body?: unknown; rawBody?: string; token?: string }): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Settings for tests: port 0, silent, short shutdown, simulators off unless asked for. */
export function testConfig(env: Record<string, string> = {}): ServerConfig {
  return loadConfig({ env: { PORT: '0', LOG_LEVEL: 'silent', SHUTDOWN_TIMEOUT_MS: '1000', EVENTS_ENABLED: 'false', SYNAXIS_ENABLED: 'false', ADMIN_STATS_INTERVAL_MS: '0', ...env } });
}

/** Starts the app with `modules` (default: every module of the server). */
export async function startHarness(modules: readonly AppModule[] | undefined, options: { config?: ServerConfig; clock?: Clock; random?: () => number } = {}): Promise<Harness> {
  const config = options.config ?? testConfig();
  const app = await startApp(config, { modules, logger: pino({ level: 'silent' }), clock: options.clock, random: options.random });
  const url = (path: string) => `${app.url}${path}`;
  return {
    app,
    hubwire: app.hubwire,
    config,
    port: app.address.port,
    url,
    async request(method, path, { body, rawBody, token } = {}) {
      const headers: Record<string, string> = {};
      if (token !== undefined) headers['Authorization'] = `Bearer ${token}`;
      if (body !== undefined || rawBody !== undefined) headers['Content-Type'] = 'application/json';
      const response = await fetch(url(path), { method, headers, body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)), signal: AbortSignal.timeout(5000) });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
    },
    close: () => app.stop(),
  };
}

/** What a test token says and how it is broken. */
export interface TokenOptions {
  readonly roles?: readonly string[];
  readonly orgs?: readonly string[];
  readonly expired?: boolean;
  readonly secret?: string;
}

/** A token for `sub`, signed as the demo configuration expects (or broken as asked). */
export async function tokenFor(config: ServerConfig, sub: string, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ [config.jwt.rolesClaim]: [...(options.roles ?? [])], [config.jwt.organizationsClaim]: [...(options.orgs ?? [])] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer(config.jwt.issuer)
    .setAudience(config.jwt.audience)
    .setIssuedAt(now - 120)
    .setExpirationTime(options.expired ? now - 60 : now + 600)
    .sign(new TextEncoder().encode(options.secret ?? config.jwt.secret));
}

/** The demo users' tokens. */
export async function demoTokens(config: ServerConfig) {
  return {
    admin: await tokenFor(config, 'admin', { roles: ['admin'] }),
    jane: await tokenFor(config, 'jane.smith', { roles: ['member'], orgs: ['acme'] }),
    john: await tokenFor(config, 'john.doe', { roles: ['member'], orgs: ['globex'] }),
  };
}
