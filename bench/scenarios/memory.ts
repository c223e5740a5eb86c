/** Server memory per idle connection: memory delta after opening N connections, divided by N. */
import { sleep } from '../lib/clock.js';
import type { MemorySample, ServerKind } from '../lib/commands.js';
import type { BenchConfig } from '../lib/config.js';
import { clientProblems } from './measure.js';
import { withSession, type Outcome } from './session.js';

export interface MemoryMetrics {
  connections: number;
  baseline: MemorySample;
  loaded: MemorySample;
  rssPerConnection: number;
  heapPerConnection: number;
  externalPerConnection: number;
  problems: string[];
  /** Every run of this server (run number, RSS and heap per connection), when it was measured more than once. */
  runs?: MemoryRun[];
}

export interface MemoryRun {
  run: number;
  rssPerConnection: number;
  heapPerConnection: number;
}

/**
 * One server's runs as one result: the run with the median RSS per connection stands for it
 * (its samples are printed), with every run's figures beside it; the first failure if none worked.
 */
export function combineMemoryRuns(outcomes: readonly Outcome<MemoryMetrics>[]): Outcome<MemoryMetrics> {
  const worked = outcomes.flatMap((outcome, run) => (outcome.ok ? [{ run, metrics: outcome.value }] : []));
  if (worked.length === 0) return outcomes[0] ?? { ok: false, error: 'not measured' };
  const byRss = [...worked].sort((a, b) => a.metrics.rssPerConnection - b.metrics.rssPerConnection);
  const middle = byRss[Math.floor((byRss.length - 1) / 2)]!.metrics;
  const runs = worked.map(({ run, metrics }) => ({ run, rssPerConnection: metrics.rssPerConnection, heapPerConnection: metrics.heapPerConnection }));
  const problems = outcomes.flatMap((outcome, run) => (outcome.ok ? outcome.value.problems.map((p) => `run ${run + 1}: ${p}`) : [`run ${run + 1}: ${outcome.error}`]));
  return { ok: true, value: { ...middle, problems, runs } };
}

/** Connections opened and closed before the baseline, so lazy initialisation is not counted per connection. */
const WARMUP_CONNECTIONS = 20;

export function measureMemory(kind: ServerKind, config: BenchConfig): Promise<Outcome<MemoryMetrics>> {
  const { connections, samples, settleMs } = config.memory;
  return withSession(kind, config, { exposeGc: true }, async (session) => {
    await session.open(WARMUP_CONNECTIONS);
    await session.closeAll();
    await sleep(settleMs);
    const baseline = await session.server.request('memory', { samples }, 20_000);
    const opened = await session.open(connections);
    await sleep(settleMs);
    const loaded = await session.server.request('memory', { samples }, 20_000);
    const problems = clientProblems(await session.status());
    const known = await session.server.request('connections', null, 5_000);
    if (known !== null && known !== opened.open) problems.push(`server reports ${known} connections, ${opened.open} open`);
    if (!loaded.gcExposed) problems.push('global.gc unavailable: figures include garbage');
    await session.closeAll();
    return {
      connections: opened.open,
      baseline,
      loaded,
      rssPerConnection: (loaded.rss - baseline.rss) / opened.open,
      heapPerConnection: (loaded.heapUsed - baseline.heapUsed) / opened.open,
      externalPerConnection: (loaded.external - baseline.external) / opened.open,
      problems,
    };
  });
}
