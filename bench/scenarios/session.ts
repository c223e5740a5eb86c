/**
 * One server under test: its server process plus the load-generator process
 * that drives it. Both are stopped by `stop()`, which never throws.
 */
import { spawnChild, type Child } from '../lib/children.js';
import type { LoaderCommands, LoaderStatus, OpenArgs, OpenResult, ServerCommands, ServerInfo, ServerKind } from '../lib/commands.js';
import type { BenchConfig } from '../lib/config.js';

const SERVER_ENTRIES: Record<ServerKind, { file: string; env?: Record<string, string> }> = {
  hubwire: { file: '../servers/hubwire-server.ts' },
  ws: { file: '../servers/ws-server.ts' },
  socketio: { file: '../servers/socketio-server.ts' },
  uws: { file: '../servers/uws-server.ts' },
  // Hubwire on a uWebSockets.js app (hubwire-server.ts reads BENCH_ENGINE).
  'hubwire+uws': { file: '../servers/hubwire-server.ts', env: { BENCH_ENGINE: 'uws' } },
  // The same Hubwire server; its load generator speaks the MessagePack hub protocol (load/pool.ts).
  'hubwire+msgpack': { file: '../servers/hubwire-server.ts', env: { BENCH_MSGPACK: '1' } },
  // The same server with the app's metrics plugged in (hubwire-server.ts reads BENCH_METRICS);
  // BENCH_METRICS_AA=1 leaves them out, so a run measures the same code twice (its noise floor).
  'hubwire+metrics': { file: '../servers/hubwire-server.ts', env: { BENCH_METRICS: process.env.BENCH_METRICS_AA === '1' ? '' : 'prometheus' } },
};

const STARTUP_TIMEOUT_MS = 30_000;
const SHORT_TIMEOUT_MS = 10_000;

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

export function failure(error: unknown): { ok: false; error: string } {
  return { ok: false, error: error instanceof Error ? error.message : String(error) };
}

/** With `pin` (config.ts): every server on this CPU, every load generator on the other. */
export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

export interface SessionOptions {
  exposeGc?: boolean;
  /** More node flags for the server process (`--cpu-prof`, see config.ts). */
  nodeFlags?: string[];
}

export class Session {
  private constructor(
    readonly kind: ServerKind,
    readonly info: ServerInfo,
    readonly server: Child<ServerCommands>,
    readonly loader: Child<LoaderCommands>,
    private readonly config: BenchConfig,
  ) {}

  /** Start the server and its load generator (concurrently); on failure, whichever started is stopped. */
  static async start(kind: ServerKind, config: BenchConfig, options: SessionOptions = {}): Promise<Session> {
    const [server, loader] = await Promise.allSettled([
      spawnChild<ServerCommands, ServerInfo>(new URL(SERVER_ENTRIES[kind].file, import.meta.url), {
        name: `${kind}-server`,
        nodeFlags: [...(options.exposeGc ? ['--expose-gc'] : []), ...(options.nodeFlags ?? [])],
        env: SERVER_ENTRIES[kind].env,
        readyTimeoutMs: STARTUP_TIMEOUT_MS,
        ...(config.pin ? { cpu: SERVER_CPU } : {}),
      }),
      spawnChild<LoaderCommands, unknown>(new URL('../load/loader.ts', import.meta.url), {
        name: `${kind}-load`,
        readyTimeoutMs: STARTUP_TIMEOUT_MS,
        ...(config.pin ? { cpu: LOAD_CPU } : {}),
      }),
    ]);
    if (server.status === 'fulfilled' && loader.status === 'fulfilled') {
      return new Session(kind, server.value.info, server.value.child, loader.value.child, config);
    }
    if (server.status === 'fulfilled') await server.value.child.stop();
    if (loader.status === 'fulfilled') await loader.value.child.stop();
    throw server.status === 'rejected' ? server.reason : (loader as PromiseRejectedResult).reason;
  }

  /** Open `count` client connections in batches; fails if any could not open. */
  async open(count: number, extra: Pick<OpenArgs, 'viaHttp' | 'groups'> = {}): Promise<OpenResult> {
    const { openBatchSize, connectTimeoutMs } = this.config;
    const batches = Math.ceil(count / openBatchSize);
    const result = await this.loader.request(
      'open',
      { kind: this.kind, port: this.info.port, count, batchSize: openBatchSize, connectTimeoutMs, ...extra },
      batches * (connectTimeoutMs + 1_000) + SHORT_TIMEOUT_MS,
    );
    if (result.failed > 0) {
      throw new Error(`${result.failed} of ${count} connections failed to open, e.g.:\n  ${result.failureSamples.join('\n  ')}`);
    }
    return result;
  }

  /** Loader status; its CPU figure covers the time since the previous call. */
  status(): Promise<LoaderStatus> {
    return this.loader.request('status', null, SHORT_TIMEOUT_MS);
  }

  async closeAll(): Promise<void> {
    await this.loader.request('closeAll', null, SHORT_TIMEOUT_MS);
  }

  async stop(): Promise<void> {
    await Promise.all([
      this.loader.stop(() => this.loader.request('closeAll', null, SHORT_TIMEOUT_MS)),
      this.server.stop(() => this.server.request('stop', null, SHORT_TIMEOUT_MS)),
    ]);
  }
}

/** Run `body` with a fresh session and stop it afterwards, whatever happens. */
export async function withSession<T>(
  kind: ServerKind,
  config: BenchConfig,
  options: SessionOptions,
  body: (session: Session) => Promise<T>,
): Promise<Outcome<T>> {
  let session: Session | undefined;
  try {
    session = await Session.start(kind, config, options);
    return { ok: true, value: await body(session) };
  } catch (error) {
    return failure(error);
  } finally {
    await session?.stop();
  }
}
