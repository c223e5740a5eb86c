/**
 * The driver's side of the chaos nodes: spawns chaos-node.ts processes (tsx, the library from
 * source), reads their port from their first stdout line, sends them commands (one may end in
 * the node's SIGKILL) and matches the answers, and stops them. If the driver ends without `stop()`, an
 * exit hook SIGKILLs what is left (and a node whose stdin ends exits by itself anyway).
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { within } from '../support/wait.js';
import type { NodeCommand, NodeLine } from './chaos-protocol.js';

const NODE_SCRIPT = fileURLToPath(new URL('./chaos-node.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Distributes `Omit` over the command union, so each command keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** What every node of a run shares. */
export interface NodeSettings {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly maxCount: number;
  readonly maxAge: number;
  /** How long a node may take to listen (tsx compiles it first: seconds on a busy 2-core machine). */
  readonly startTimeoutMs: number;
}

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** One node process. */
export class ChaosNode {
  readonly index: number;
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #dying = new Map<number, (sent: Readonly<Record<string, number>>) => void>();
  readonly #stderr: string[];
  readonly exited: Promise<void>;
  #nextId = 1;
  #dead = false;

  private constructor(index: number, port: number, child: ChildProcess, stderr: string[], exited: Promise<void>) {
    this.index = index;
    this.port = port;
    this.#child = child;
    this.#stderr = stderr;
    this.exited = exited;
    void exited.then(() => {
      this.#dead = true;
      for (const pending of this.#pending.values()) pending.reject(new Error(`node ${index} exited`));
      this.#pending.clear();
    });
  }

  /** Starts node `index` and resolves once it listens. */
  static async start(index: number, settings: NodeSettings): Promise<ChaosNode> {
    hookExit();
    const child = spawn(process.execPath, ['--conditions=hubwire-source', '--import', 'tsx', NODE_SCRIPT], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env['PATH'] ?? '',
        CHAOS_REDIS_URL: settings.redisUrl,
        CHAOS_PREFIX: settings.prefix,
        CHAOS_NODE: String(index),
        CHAOS_MAX_COUNT: String(settings.maxCount),
        CHAOS_MAX_AGE: String(settings.maxAge),
      },
    });
    live.add(child);
    // A write to a node that just died fails with EPIPE: its exit is reported on its own.
    child.stdin!.on('error', () => undefined);
    const exited = once(child, 'exit').then(() => {
      live.delete(child);
    });
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
    const lines = createInterface({ input: child.stdout! });
    let node: ChaosNode | undefined;
    const listening = new Promise<number>((resolve, reject) => {
      lines.on('line', (text) => {
        let line: NodeLine;
        try {
          line = JSON.parse(text) as NodeLine;
        } catch {
          stderr.push(`(stdout) ${text}`);
          return;
        }
        if ('event' in line && line.event === 'listening') resolve(line.port);
        else if (node !== undefined) node.#line(line);
      });
      void exited.then(() => reject(new Error(`node ${index} exited before listening: ${stderr.slice(-20).join('\n')}`)));
    });
    try {
      const port = await within(listening, settings.startTimeoutMs, `chaos node ${index} to listen`);
      node = new ChaosNode(index, port, child, stderr, exited);
      return node;
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  /** False once the process exited. */
  get alive(): boolean {
    return !this.#dead;
  }

  /** What the node wrote to stderr (its warnings and errors). */
  get stderr(): readonly string[] {
    return this.#stderr;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /**
   * Sends a command and resolves with its result (rejects on an error answer, the node's exit or
   * after `ms`). `onDying` runs on the command's dying event (a burst with `dieAfter`), with what
   * the burst had sent by then.
   */
  request<T>(command: WithoutId<NodeCommand>, ms: number, onDying?: (sent: Readonly<Record<string, number>>) => void): Promise<T> {
    if (this.#dead) return Promise.reject(new Error(`node ${this.index} is not running`));
    const id = this.#nextId++;
    const answered = new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
    if (onDying !== undefined) this.#dying.set(id, onDying);
    this.#child.stdin!.write(`${JSON.stringify({ ...command, id })}\n`);
    return within(answered, ms, `node ${this.index} to answer ${command.op}`).finally(() => {
      this.#pending.delete(id);
      this.#dying.delete(id);
    });
  }

  /** Ends its stdin (it closes its server and exits); SIGKILL if it has not exited within `ms`. Never throws. */
  async stop(ms = 5000): Promise<void> {
    if (this.#dead) return;
    this.#child.stdin!.end();
    try {
      await within(this.exited, ms, `node ${this.index} to exit`);
    } catch {
      this.#child.kill('SIGKILL');
      await within(this.exited, 5000, `node ${this.index} to exit on SIGKILL`).catch(() => undefined);
    }
  }

  #line(line: NodeLine): void {
    if ('event' in line) {
      if (line.event === 'dying') this.#dying.get(line.id)?.(line.sent);
      return;
    }
    const pending = this.#pending.get(line.id);
    if (pending === undefined) return;
    if (line.ok) pending.resolve(line.result);
    else pending.reject(new Error(`node ${this.index}: ${line.error}`));
  }
}
