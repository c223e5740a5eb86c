/**
 * All servers under test side by side, one session each, so that a scenario can
 * interleave its measured rounds (rotating the order every round): background
 * load on the machine then affects every server alike instead of whichever ran
 * at the wrong moment. A server that fails drops out; the others go on.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerKind } from '../lib/commands.js';
import type { BenchConfig } from '../lib/config.js';
import { failure, Session, type Outcome } from './session.js';

export class Arena {
  private readonly sessions = new Map<ServerKind, Session>();
  private readonly failures = new Map<ServerKind, string>();
  /** What the arena is measuring, to say where a server failed. */
  stage = 'start-up';

  private constructor(private readonly kinds: readonly ServerKind[]) {}

  static async start(kinds: readonly ServerKind[], config: BenchConfig): Promise<Arena> {
    const arena = new Arena(kinds);
    const started = await Promise.allSettled(kinds.map((kind) => Session.start(kind, config, { nodeFlags: profileFlags(kind, config) })));
    started.forEach((outcome, i) => {
      const kind = kinds[i] as ServerKind;
      if (outcome.status === 'fulfilled') arena.sessions.set(kind, outcome.value);
      else arena.failures.set(kind, `during start-up: ${failure(outcome.reason).error}`);
    });
    return arena;
  }

  private async fail(kind: ServerKind, error: unknown): Promise<void> {
    this.failures.set(kind, `during ${this.stage}: ${failure(error).error}`);
    const session = this.sessions.get(kind);
    this.sessions.delete(kind);
    await session?.stop();
  }

  /** Run `step` for each live server in turn; a server whose step throws drops out. */
  async each(step: (session: Session) => Promise<void>, order: readonly ServerKind[] = this.kinds): Promise<void> {
    for (const kind of order) {
      const session = this.sessions.get(kind);
      if (!session) continue;
      try {
        await step(session);
      } catch (error) {
        await this.fail(kind, error);
      }
    }
  }

  /**
   * `count` rounds over the live servers, each of `slices` turns per server; the order is rotated
   * by one every turn, so two servers go A B, B A, A B … (a drift in the machine's load over a
   * round then weighs on both alike). With one slice: the order rotated each round.
   */
  async rounds(count: number, step: (session: Session, round: number, slice: number) => Promise<void>, slices = 1): Promise<void> {
    for (let round = 0; round < count; round++) {
      for (let slice = 0; slice < slices; slice++) {
        const turn = round * slices + slice;
        const order = this.kinds.map((_, i) => this.kinds[(i + turn) % this.kinds.length] as ServerKind);
        await this.each((session) => step(session, round, slice), order);
      }
    }
  }

  /** Each server's result, or its failure. */
  outcomes<T>(result: (kind: ServerKind) => T): Partial<Record<ServerKind, Outcome<T>>> {
    const outcomes: Partial<Record<ServerKind, Outcome<T>>> = {};
    for (const kind of this.kinds) {
      const failed = this.failures.get(kind);
      if (failed !== undefined) outcomes[kind] = { ok: false, error: failed };
      else {
        try {
          outcomes[kind] = { ok: true, value: result(kind) };
        } catch (error) {
          outcomes[kind] = failure(error);
        }
      }
    }
    return outcomes;
  }

  async stop(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => s.stop()));
  }
}

/**
 * `--cpu-prof`: V8 CPU profiles of a server process, written when it exits, in a folder named
 * after the server. One file per thread (tsx's module loader runs in a thread of its own), so
 * Node's own file names (pid and thread id) are kept: the busy one is the main thread.
 */
function profileFlags(kind: ServerKind, config: BenchConfig): string[] {
  if (config.cpuProfileDir === undefined) return [];
  const dir = join(config.cpuProfileDir, kind.replace(/\W/g, '-'));
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** Start an arena, run `body`, always stop it. */
export async function withArena<T>(kinds: readonly ServerKind[], config: BenchConfig, body: (arena: Arena) => Promise<T>): Promise<T> {
  const arena = await Arena.start(kinds, config);
  try {
    return await body(arena);
  } finally {
    await arena.stop();
  }
}
