/**
 * Several processes of the real server (`apps/server/src/main.ts`, run from source with tsx and
 * the `hubwire-source` condition, as `npm run dev` does) that share one Redis under a key prefix
 * of their own: a cluster for end-to-end tests. Each node starts on port 0; its "listening" log
 * line gives the port and the node id. Every stdout line is kept (parsed JSON) and every stderr
 * line too, so tests can look for what a node said and check that no secret reached a log.
 *
 * Cleanup: `stopAll()` stops the clients, then every process (SIGTERM, then SIGKILL after a
 * bounded wait). If the test process ends without it (a failed `before`, a runner timeout),
 * an exit/signal hook SIGKILLs what is left, so no server outlives its test file.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { createClient } from '@redis/client';
import { APP_TEST_ENV } from './app-env.js';
import { stopAll as stopClients } from './e2e.js';
import { clientFor, signalR } from './signalr-client.js';
import { within } from './wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'apps/server/src/main.ts');

/** One parsed JSON log line of a node (pino). */
export type NodeLogLine = Record<string, unknown> & { msg: string; level: number; time: number };

/** How a process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One process of the cluster (one incarnation: `restart` makes a new one). */
export interface ServerNode {
  /** Its place in the cluster (0-based); stays the same across restarts. */
  readonly index: number;
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>`, from the listening line. */
  readonly url: string;
  readonly port: number;
  /** The node id the process announced (`cluster.nodeId` of the listening line). */
  readonly nodeId: string;
  /** Every JSON line the process wrote to stdout, parsed. */
  readonly logs: NodeLogLine[];
  /** Every line it wrote to stderr. */
  readonly stderr: string[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** True until the process exits. */
  readonly alive: boolean;
}

/** What a cluster is started with. */
export interface ServerClusterOptions {
  /** The Redis every node joins (`REDIS_URL`); may hold a user and password. */
  readonly redisUrl: string;
  /** `REDIS_PREFIX`; default a fresh `hubwire-test-<uuid>`, so clusters never share keys. */
  readonly prefix?: string;
  /** More environment for every node (over the test defaults). */
  readonly env?: Readonly<Record<string, string>>;
  /** More environment for one node (over `env`). */
  readonly nodeEnv?: (index: number) => Readonly<Record<string, string>>;
  /**
   * How long a node may take to write its listening line. Default 40 s: a start costs about 1.5 s
   * of CPU (tsx compiling the server), and on a shared 2-core machine under a full test run that
   * can stretch to tens of seconds of wall time.
   */
  readonly startTimeoutMs?: number;
}

/** A REST answer. */
export interface RestAnswer {
  readonly status: number;
  readonly body: any;
}

/** How an official client connects. */
export interface ConnectOptions {
  readonly token?: string;
  /** Default `json`. */
  readonly protocol?: 'json' | 'messagepack';
  /** Default WebSockets. */
  readonly transport?: signalR.HttpTransportType;
  /** Handlers to install before the start (so nothing sent on connect is missed). */
  readonly on?: Readonly<Record<string, (...args: any[]) => void>>;
}

/** The app's test defaults, for children. */
const DEFAULT_ENV: Readonly<Record<string, string>> = {
  ...APP_TEST_ENV,
  // REST calls of one test come from one address; the default rate limit is for people.
  REST_RATE_LIMIT_PER_SECOND: '0',
};

// Children alive in this test process, for the last-resort cleanup below.
const live = new Set<ChildProcess>();
let hooked = false;

function killLeftovers(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  live.clear();
}

function hookProcessExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killLeftovers);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killLeftovers();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
  }
}

/**
 * N server processes on one Redis.
 *
 * @example
 * ```ts
 * const cluster = await ServerCluster.start(3, { redisUrl: 'redis://127.0.0.1:6379' });
 * after(() => cluster.stopAll());
 * const admin = await cluster.connect(1, '/hubs/admin', { token: await cluster.token(0, 'admin') });
 * await cluster.request(0, 'POST', '/api/admin/realtime/alert', { token, body: { title: 't', message: 'm' } });
 * ```
 */
export class ServerCluster {
  readonly prefix: string;
  /** The HS256 secret every node signs and checks tokens with (random per cluster). */
  readonly jwtSecret: string;
  readonly #options: ServerClusterOptions;
  readonly #nodes: ServerNode[] = [];
  /** Every incarnation ever started, for log checks over the whole run. */
  readonly #all: ServerNode[] = [];
  readonly #clients = new Set<signalR.HubConnection>();

  private constructor(options: ServerClusterOptions) {
    this.#options = options;
    this.prefix = options.prefix ?? `hubwire-test-${randomUUID()}`;
    this.jwtSecret = `test-jwt-${randomBytes(24).toString('hex')}`;
  }

  /** Starts `count` nodes at once and resolves when every one is listening (bounded). */
  static async start(count: number, options: ServerClusterOptions): Promise<ServerCluster> {
    const cluster = new ServerCluster(options);
    try {
      const nodes = await Promise.all(Array.from({ length: count }, (_, index) => cluster.#spawn(index)));
      cluster.#nodes.push(...nodes);
    } catch (error) {
      await cluster.stopAll();
      throw error;
    }
    return cluster;
  }

  /** The current incarnation of node `index`. */
  node(index: number): ServerNode {
    const node = this.#nodes[index];
    if (node === undefined) throw new Error(`no node ${index}`);
    return node;
  }

  get size(): number {
    return this.#nodes.length;
  }

  /** Every process started so far, restarted ones included. */
  get incarnations(): readonly ServerNode[] {
    return this.#all;
  }

  /** `url` of node `index` plus `path`. */
  url(index: number, path: string): string {
    return `${this.node(index).url}${path}`;
  }

  /** Sends `signal` to node `index` (SIGKILL by default: a death without goodbye) and waits for the exit. */
  async kill(index: number, signal: NodeJS.Signals = 'SIGKILL', ms = 10_000): Promise<Exit> {
    const node = this.node(index);
    if (node.alive) node.child.kill(signal);
    return within(node.exited, ms, `node ${index} to exit on ${signal}`);
  }

  /**
   * Starts node `index` again (stopping it first with SIGTERM if it still runs), on the port it
   * had, so clients with automatic reconnect find it again. Resolves once it is listening.
   */
  async restart(index: number): Promise<ServerNode> {
    const previous = this.node(index);
    if (previous.alive) await this.kill(index, 'SIGTERM');
    const node = await this.#spawn(index, { PORT: String(previous.port) });
    this.#nodes[index] = node;
    return node;
  }

  /**
   * Stops every client, then every process (SIGTERM, SIGKILL after 5 s), then deletes the keys
   * under a prefix the cluster made up itself (histories and app state would otherwise linger in a
   * shared Redis for their TTLs). Never throws.
   */
  async stopAll(): Promise<void> {
    await this.#stopProcesses();
    if (this.#options.prefix === undefined) await deleteKeys(this.#options.redisUrl, this.prefix);
  }

  async #stopProcesses(): Promise<void> {
    await stopClients(this.#clients);
    this.#clients.clear();
    await Promise.all(
      this.#all.map(async (node) => {
        if (!node.alive) return;
        node.child.kill('SIGTERM');
        try {
          await within(node.exited, 5000, 'graceful exit');
        } catch {
          node.child.kill('SIGKILL');
          await within(node.exited, 5000, 'exit after SIGKILL').catch(() => undefined);
        }
      }),
    );
  }

  /** A demo user's token from `POST /api/auth/token` on node `index` (valid on every node). */
  async token(index: number, username: string): Promise<string> {
    const answer = await this.request(index, 'POST', '/api/auth/token', { body: { username, password: 'demo' } });
    if (answer.status !== 200) throw new Error(`no token for ${username}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.accessToken as string;
  }

  /** Calls node `index`'s REST API (bounded). */
  async request(index: number, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<RestAnswer> {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(this.url(index, path), { method, headers, body, signal: AbortSignal.timeout(5000) });
    const text = await within(response.text(), 5000, `${method} ${path} body`);
    const parsed: unknown = text !== '' && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
    return { status: response.status, body: parsed };
  }

  /** Starts an official client on node `index` (bounded); `stopAll` stops it. */
  async connect(index: number, path: string, options: ConnectOptions = {}): Promise<signalR.HubConnection> {
    const http: signalR.IHttpConnectionOptions = { transport: options.transport ?? signalR.HttpTransportType.WebSockets };
    if (options.token !== undefined) http.accessTokenFactory = () => options.token!;
    const builder = clientFor(this.url(index, path), http);
    if (options.protocol === 'messagepack') builder.withHubProtocol(new MessagePackHubProtocol());
    const connection = builder.build();
    for (const [method, handler] of Object.entries(options.on ?? {})) connection.on(method, handler);
    this.#clients.add(connection);
    await within(connection.start(), 5000, `client start on node ${index} ${path}`);
    return connection;
  }

  /** Resolves with the first line of node `index` (any incarnation) matching `predicate` (bounded). */
  async logLine(index: number, predicate: (line: NodeLogLine) => boolean, ms = 5000, what = 'log line'): Promise<NodeLogLine> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (const node of this.#all) {
        if (node.index !== index) continue;
        const found = node.logs.find(predicate);
        if (found !== undefined) return found;
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} of node ${index}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Lines (stdout and stderr, every incarnation) that contain one of `secrets`. */
  linesContaining(secrets: readonly string[]): string[] {
    const found: string[] = [];
    for (const node of this.#all) {
      for (const line of [...node.logs.map((entry) => JSON.stringify(entry)), ...node.stderr]) {
        if (secrets.some((secret) => secret !== '' && line.includes(secret))) found.push(`node ${node.index}: ${line}`);
      }
    }
    return found;
  }

  async #spawn(index: number, overrides: Readonly<Record<string, string>> = {}): Promise<ServerNode> {
    hookProcessExit();
    const env = {
      PATH: process.env['PATH'] ?? '',
      ...DEFAULT_ENV,
      JWT_SECRET: this.jwtSecret,
      REDIS_URL: this.#options.redisUrl,
      REDIS_PREFIX: this.prefix,
      ...this.#options.env,
      ...this.#options.nodeEnv?.(index),
      ...overrides,
    };
    const child = spawn(process.execPath, ['--conditions=hubwire-source', '--import', 'tsx', MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    const logs: NodeLogLine[] = [];
    const stderr: string[] = [];
    splitLines(child.stdout!, (line) => {
      try {
        logs.push(JSON.parse(line) as NodeLogLine);
      } catch {
        // Not pino's: keep it where a reader looks for odd output.
        stderr.push(`(stdout) ${line}`);
      }
    });
    splitLines(child.stderr!, (line) => stderr.push(line));
    const exited = once(child, 'exit').then(([code, signal]) => {
      live.delete(child);
      return { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
    const listening = await waitForListening(child, logs, stderr, index, this.#options.startTimeoutMs ?? 40_000).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    const cluster = listening['cluster'] as { nodeId?: string } | null;
    const node: ServerNode = {
      index,
      child,
      url: listening['url'] as string,
      port: listening['port'] as number,
      nodeId: cluster?.nodeId ?? '',
      logs,
      stderr,
      exited,
      get alive() {
        return child.exitCode === null && child.signalCode === null;
      },
    };
    this.#all.push(node);
    return node;
  }
}

/**
 * Calls `read` until `accept` holds for its value, and resolves with that value; fails after
 * `ms` naming `what` and the last value. For figures that follow a heartbeat.
 */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}: ${JSON.stringify(value)?.slice(0, 400)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) if (part.trim() !== '') onLine(part);
  });
  stream.on('end', () => {
    if (rest.trim() !== '') onLine(rest);
  });
}

async function waitForListening(child: ChildProcess, logs: readonly NodeLogLine[], stderr: readonly string[], index: number, ms: number): Promise<NodeLogLine> {
  const deadline = Date.now() + ms;
  for (;;) {
    const line = logs.find((entry) => entry.msg === 'hubwire server listening');
    if (line !== undefined) return line;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`node ${index} exited (${child.exitCode ?? child.signalCode}) before listening: ${stderr.join('\n')}`);
    }
    if (Date.now() > deadline) throw new Error(`node ${index} wrote no listening line within ${ms} ms; last lines: ${logs.slice(-5).map((entry) => entry.msg).join(' | ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export { signalR };

/** Deletes every key under `prefix:` (bounded: a Redis that is down or slow is left alone after 3 s). */
async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false }, disableOfflineQueue: true });
  client.on('error', () => undefined);
  const work = (async () => {
    await client.connect();
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) keys.push(...batch);
    for (let i = 0; i < keys.length; i += 500) await client.unlink(keys.slice(i, i + 500));
  })();
  await within(work, 3000, 'deleting the cluster\'s keys').catch(() => undefined);
  client.destroy();
}
