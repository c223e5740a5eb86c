/**
 * Growth: how server CPU per delivery and memory per connection change from 1,000 to 5,000 to
 * 15,000 connections. One fresh server at a time (run with `--expose-gc`) grows through the
 * steps; at each, memory after `gc()` against the baseline before any connection, then rounds of
 * broadcasts paced for the same deliveries per second at every size (so only the connection
 * count changes).
 */
import { sleep } from '../lib/clock.js';
import type { ServerKind } from '../lib/commands.js';
import type { BenchConfig, BroadcastRun } from '../lib/config.js';
import { median } from '../lib/stats.js';
import { measureRound, warmUpBroadcasts } from './broadcast.js';
import { clientProblems } from './measure.js';
import { withSession, type Outcome } from './session.js';

export interface GrowthStep {
  connections: number;
  rssPerConnection: number;
  heapPerConnection: number;
  /** Median over the rounds, and its range. */
  cpuUsPerDelivery: number;
  cpuRange: [number, number];
  latencyP99: number;
  lost: number;
  intervalMs: number;
}

export interface GrowthMetrics {
  steps: GrowthStep[];
  problems: string[];
}

export type GrowthResults = Partial<Record<ServerKind, Outcome<GrowthMetrics>>>;

/** The servers growth measures, of those the run has: the anchors and Hubwire. */
export const GROWTH_SERVERS: readonly ServerKind[] = ['hubwire', 'hubwire+uws', 'ws', 'uws'];

export function measureGrowth(kind: ServerKind, config: BenchConfig, progress: (line: string) => void): Promise<Outcome<GrowthMetrics>> {
  const { steps, broadcasts, rounds, deliveriesPerSec } = config.growth;
  // One stretch per round: this server runs alone.
  const single: BenchConfig = { ...config, slices: 1 };
  return withSession(kind, config, { exposeGc: true }, async (session) => {
    const problems: string[] = [];
    await session.open(20);
    await session.closeAll();
    await sleep(config.memory.settleMs);
    const baseline = await session.server.request('memory', { samples: config.memory.samples }, 30_000);
    const figures: GrowthStep[] = [];
    let open = 0;
    for (const connections of steps) {
      open = (await session.open(connections - open)).open;
      await sleep(config.memory.settleMs);
      const loaded = await session.server.request('memory', { samples: config.memory.samples }, 60_000);
      const run: BroadcastRun = { connections, broadcasts, intervalMs: Math.max(1, Math.round((connections * 1000) / deliveriesPerSec)), rounds };
      await warmUpBroadcasts(session.server, session.loader, single, open, problems);
      const measured = [];
      for (let round = 0; round < rounds; round++) measured.push(await measureRound(session, single, run, round, problems));
      const cpu = measured.map((r) => r.serverCpuUsPerDelivery);
      figures.push({
        connections: open,
        rssPerConnection: (loaded.rss - baseline.rss) / open,
        heapPerConnection: (loaded.heapUsed - baseline.heapUsed) / open,
        cpuUsPerDelivery: median(cpu),
        cpuRange: [Math.min(...cpu), Math.max(...cpu)],
        latencyP99: median(measured.map((r) => r.delivery.latency.p99)),
        lost: measured.reduce((n, r) => n + r.delivery.lost, 0),
        intervalMs: run.intervalMs,
      });
      const last = figures.at(-1)!;
      progress(`  ${kind} at ${open}: ${last.cpuUsPerDelivery.toFixed(2)} µs/delivery, ${(last.rssPerConnection / 1024).toFixed(2)} KB RSS/connection`);
    }
    problems.push(...clientProblems(await session.status()));
    await session.closeAll();
    return { steps: figures, problems };
  });
}
