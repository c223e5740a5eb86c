/**
 * Parent side of the child processes: fork a TypeScript entry under tsx, wait
 * for its hello, send it requests with a timeout each, and make sure every
 * child is killed when the orchestrator exits, however it exits.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './clock.js';
import { isHello, isReply, type CommandMap, type IpcRequest } from './ipc.js';

const live = new Set<ChildProcess>();
let exitHooksInstalled = false;

function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Most lines a child may print before its output is summarised instead. */
const MAX_ECHOED_LINES = 40;

export interface SpawnOptions {
  name: string;
  /** Extra node flags, e.g. `--expose-gc`. */
  nodeFlags?: string[];
  /** Extra environment variables, e.g. the backplane a server child should use. */
  env?: Record<string, string>;
  readyTimeoutMs: number;
  /**
   * The CPU to pin the child to once it is up (every thread it has then; later ones inherit it),
   * with `taskset`; undefined leaves it to the scheduler. See {@link BenchConfig.pin}.
   */
  cpu?: number;
}

export class Child<M extends CommandMap> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;
  /** Everything the child printed (capped), kept for the report when something goes wrong. */
  readonly output: string[] = [];
  suppressedLines = 0;

  constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.on('message', (message: unknown) => {
      if (!isReply(message)) return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${name}: ${message.error}`));
    });
    this.proc.once('exit', (code, signal) => {
      live.delete(this.proc);
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`${name} exited (code ${code}, signal ${signal}) before answering`));
      }
      this.pending.clear();
    });
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => this.echo(line));
    }
  }

  private echo(line: string): void {
    if (this.output.length < MAX_ECHOED_LINES) {
      this.output.push(line);
      process.stderr.write(`  [${this.name}] ${line}\n`);
    } else {
      this.suppressedLines++;
    }
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  request<K extends keyof M & string>(cmd: K, args: M[K]['args'], timeoutMs: number): Promise<M[K]['result']> {
    if (!this.proc.connected) return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: IpcRequest = { id, cmd, args };
      this.proc.send(request);
    });
    return withTimeout(answer, timeoutMs, `${this.name} ${cmd}`).finally(() => this.pending.delete(id)) as Promise<
      M[K]['result']
    >;
  }

  /** Ask politely (if a stop command is given), then SIGTERM, then SIGKILL; each step bounded. */
  async stop(politely?: () => Promise<unknown>): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    if (politely) await withTimeout(politely(), 5_000, `${this.name} graceful stop`).catch(() => undefined);
    if (this.proc.connected) this.proc.disconnect();
    const gone = await withTimeout(this.exited, 2_000, 'exit').then(
      () => true,
      () => false,
    );
    if (gone) return;
    this.proc.kill('SIGTERM');
    const terminated = await withTimeout(this.exited, 2_000, 'exit').then(
      () => true,
      () => false,
    );
    if (!terminated) {
      this.proc.kill('SIGKILL');
      await withTimeout(this.exited, 2_000, 'exit').catch(() => undefined);
    }
  }
}

/**
 * Where the children load Hubwire from. By default its build (`packages/hubwire/dist`, which
 * `npm run bench` builds first): what users run is what is measured, not the TypeScript as tsx
 * transforms it. `BENCH_LIBRARY=source` loads the library's source instead (no build needed).
 */
export function libraryConditions(): string[] {
  return process.env['BENCH_LIBRARY'] === 'source' ? ['--conditions=hubwire-source'] : [];
}

/**
 * Fork `entry` (a .ts file URL) under tsx and wait for
 * its hello. Resolves with the handle and the info the child announced.
 */
export async function spawnChild<M extends CommandMap, Info>(
  entry: URL,
  options: SpawnOptions,
): Promise<{ child: Child<M>; info: Info }> {
  installExitHooks();
  const proc = fork(fileURLToPath(entry), [], {
    execArgv: [...libraryConditions(), '--import', 'tsx', ...(options.nodeFlags ?? [])],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ...options.env, FORCE_COLOR: '0' },
  });
  live.add(proc);
  const child = new Child<M>(options.name, proc);
  const hello = new Promise<Info>((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (!isHello(message)) return;
      proc.off('message', onMessage);
      if (message.hello === 'ready') resolve(message.info as Info);
      else reject(new Error(`${options.name} failed to start: ${message.error}`));
    };
    proc.on('message', onMessage);
    proc.once('exit', (code, signal) => {
      const said = child.output.slice(-10).join('\n');
      reject(new Error(`${options.name} exited during startup (code ${code}, signal ${signal})${said ? `:\n${said}` : ''}`));
    });
    proc.once('error', reject);
  });
  try {
    const info = await withTimeout(hello, options.readyTimeoutMs, `${options.name} startup`);
    if (options.cpu !== undefined && proc.pid !== undefined) pinToCpu(proc.pid, options.cpu);
    return { child, info };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/**
 * Pins a process, all its threads, to one CPU. A server and its load generator that the
 * scheduler moves between the cores (or puts on the same one) pay cross-core wake-ups in some
 * rounds and not in others: on 2 cores that alone swung one-client echo rounds by ±15 %.
 */
function pinToCpu(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore', timeout: 5_000 });
}
