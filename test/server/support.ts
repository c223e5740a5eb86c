/**
 * Starts the Hubwire server app in-process on port 0 for tests, with helpers for tokens, REST
 * calls, official clients and captured logs. Everything it starts is stopped by `stop()`.
 * @module
 */
import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { startApp, type App, type AppOptions } from '../../apps/server/src/app.js';
import { loggerOptions } from '../../apps/server/src/logging.js';
import { DEMO_JWT_SECRET, loadConfig, type ServerConfig } from '../../apps/server/src/config.js';
import { APP_TEST_ENV } from '../support/app-env.js';
import { stopAll } from '../support/e2e.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { within } from '../support/wait.js';

/** One parsed log line. */
export type LogLine = Record<string, unknown> & { msg: string; level: number };

/** A REST answer. */
export interface RestAnswer {
  readonly status: number;
  readonly body: any;
  readonly headers: Headers;
}

/** A server app under test. */
export interface TestApp {
  readonly app: App;
  readonly config: ServerConfig;
  /** Every log line so far (level info and up unless LOG_LEVEL says otherwise). */
  readonly logs: LogLine[];
  url(path: string): string;
  /** A demo user's token from `POST /api/auth/token`. */
  token(username: string): Promise<string>;
  /** Calls the REST API (bounded). */
  request(method: string, path: string, options?: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<RestAnswer>;
  /** Starts an official client on a hub (bounded); stopped by `stop()`. */
  connect(path: string, options?: { token?: string; configure?: (builder: signalR.HubConnectionBuilder) => signalR.HubConnectionBuilder; transport?: signalR.HttpTransportType }): Promise<signalR.HubConnection>;
  /** Stops every client, then the app. */
  stop(): Promise<void>;
}

/**
 * Starts the app with `env` over the test defaults.
 *
 * @example
 * ```ts
 * const server = await startTestApp();
 * after(() => server.stop());
 * const admin = await server.connect('/hubs/admin', { token: await server.token('admin') });
 * ```
 */
export async function startTestApp(env: Record<string, string> = {}, options: AppOptions = {}): Promise<TestApp> {
  const config = loadConfig({ env: { ...APP_TEST_ENV, ...env } });
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = options.logger ?? pino(loggerOptions(config.logLevel), sink);
  const app = await startApp(config, { ...options, logger });
  const clients: signalR.HubConnection[] = [];
  const url = (path: string) => `${app.url}${path}`;
  const request: TestApp['request'] = async (method, path, requestOptions = {}) => {
    const headers: Record<string, string> = { ...requestOptions.headers };
    if (requestOptions.token !== undefined) headers['authorization'] = `Bearer ${requestOptions.token}`;
    let body: string | undefined = requestOptions.rawBody;
    if (requestOptions.body !== undefined) {
      body = JSON.stringify(requestOptions.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url(path), { method, headers, body, signal: AbortSignal.timeout(5000) });
    const text = await within(response.text(), 5000, `${method} ${path} body`);
    let parsed: unknown = text;
    if (text !== '' && (response.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
    return { status: response.status, body: parsed, headers: response.headers };
  };
  return {
    app,
    config,
    logs,
    url,
    request,
    async token(username) {
      const answer = await request('POST', '/api/auth/token', { body: { username, password: 'demo' } });
      if (answer.status !== 200) throw new Error(`no token for ${username}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body.accessToken as string;
    },
    async connect(path, connectOptions = {}) {
      const httpOptions: signalR.IHttpConnectionOptions = {};
      if (connectOptions.token !== undefined) httpOptions.accessTokenFactory = () => connectOptions.token!;
      if (connectOptions.transport !== undefined) httpOptions.transport = connectOptions.transport;
      let builder = clientFor(url(path), httpOptions);
      if (connectOptions.configure !== undefined) builder = connectOptions.configure(builder);
      const connection = builder.build();
      clients.push(connection);
      await within(connection.start(), 5000, `client start on ${path}`);
      return connection;
    },
    async stop() {
      await stopAll(clients);
      await within(app.stop(), 10_000, 'app stop');
    },
  };
}

/** Signs a token like the demo endpoint would, with changes (expired, other secret, claims). */
export async function signToken(claims: Record<string, unknown>, options: { secret?: string; expiresAt?: number; issuer?: string; audience?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(now - 120)
    .setExpirationTime(options.expiresAt ?? now + 600)
    .setIssuer(options.issuer ?? 'hubwire-demo')
    .setAudience(options.audience ?? 'hubwire')
    .sign(new TextEncoder().encode(options.secret ?? DEMO_JWT_SECRET));
}

/** Resolves with the first log line matching `predicate` (bounded). */
export async function logLine(logs: readonly LogLine[], predicate: (line: LogLine) => boolean, ms = 5000, what = 'log line'): Promise<LogLine> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = logs.find(predicate);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export { signalR };
