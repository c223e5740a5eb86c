/**
 * Idle server CPU: every live server of the arena holds no connection and does nothing for the
 * same few seconds, side by side; what each spends then is what it costs per second whatever
 * the load (timers, monitors, scrapes). The metrics comparison reports it: a fixed cost per
 * second weighs more on a lightly loaded round than on a busy one.
 */
import { sleep } from '../lib/clock.js';
import type { ServerKind } from '../lib/commands.js';
import type { Arena } from './arena.js';
import type { Outcome } from './session.js';

/** Server CPU per second of idle wall time (ms/s, i.e. thousandths of a core). */
export type IdleResults = Partial<Record<ServerKind, Outcome<{ cpuMsPerSec: number; wallMs: number }>>>;

export async function measureIdle(arena: Arena, durationMs: number): Promise<IdleResults> {
  arena.stage = 'idle';
  const figures = new Map<ServerKind, { cpuMsPerSec: number; wallMs: number }>();
  await arena.each((session) => session.server.request('cpuBegin', null, 5_000).then(() => undefined));
  await sleep(durationMs);
  await arena.each(async (session) => {
    const cpu = await session.server.request('cpuEnd', null, 5_000);
    figures.set(session.kind, { cpuMsPerSec: (cpu.userUs + cpu.systemUs) / cpu.wallMs, wallMs: cpu.wallMs });
  });
  return arena.outcomes((kind) => {
    const figure = figures.get(kind);
    if (!figure) throw new Error('not measured');
    return figure;
  });
}
