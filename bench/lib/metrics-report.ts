/**
 * What metrics cost: `hubwire+metrics` (the server app's metric cells and Prometheus registry
 * plugged into Hubwire) against plain `hubwire`, measured side by side in the echo and broadcast
 * rounds. Its own `##` section of docs/benchmarks.md, and the bar of issue 10: metrics on cost
 * at most 5 % server CPU per round trip and per delivery.
 */
import { readFileSync } from 'node:fs';
import type { ServerKind } from './commands.js';
import type { BenchConfig } from './config.js';
import type { MachineInfo } from './machine.js';
import { perRoundCost } from './ratios.js';
import { BUSY_PCT, fmt, type BenchResults } from './report.js';
import { median, percentile, ratioInterval } from './stats.js';
import type { IdleResults } from '../scenarios/idle.js';
import type { Outcome } from '../scenarios/session.js';

export const METRICS_SECTION_HEADING = '## Metrics on vs off';

const OFF: ServerKind = 'hubwire';
const ON: ServerKind = 'hubwire+metrics';
/** The bar: metrics on cost at most this much more server CPU. */
const BAR_RATIO = 1.05;

/** How one scenario's ratio stands against the bar. */
export type RowVerdict = 'within' | 'over' | 'not shown';

export interface MetricsCostRow {
  scenario: string;
  unit: 'round trip' | 'delivery';
  /** Median server CPU per unit (µs), metrics off and on. */
  offUs: number;
  onUs: number;
  /** Ratio of the medians. */
  ratio: number;
  /** On/off of each round pair (the two ran back to back), in round order. */
  roundRatios: number[];
  range: [number, number];
  /** Median and quartiles of `roundRatios`: where most pairs lie, less swayed by one noisy pair than the range. */
  pairMedian: number;
  pairQuartiles: [number, number];
  /** Geometric mean of `roundRatios` and its 95 % confidence interval: what decides the verdict. */
  meanRatio: number;
  interval: [number, number];
  /** Median "other CPU load" over both servers' rounds (% of one core). */
  otherCpuPct: number;
  verdict: RowVerdict;
}

export interface MetricsCost {
  rows: MetricsCostRow[];
  /** /proc/loadavg when the run started and when it ended. */
  loadAverage: { start: string; end: string };
  /** Server CPU while idle, ms per second (thousandths of a core), off and on; NaN when not measured. */
  idleCpuMsPerSec: { off: number; on: number };
  holds: boolean | null;
  line: string;
}

/** /proc/loadavg's first three fields (1, 5, 15 minutes), or 'unknown'. */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

function ok<T>(outcome: Outcome<T> | undefined): T | undefined {
  return outcome?.ok ? outcome.value : undefined;
}

/**
 * Within the bar when the whole 95 % confidence interval of the mean on/off ratio is at or below
 * it, over it when the whole interval is above; otherwise the pairs do not tell. Not the range:
 * one pair's noise (±7 % between identical servers on this machine) would decide it, and more
 * pairs would only make it wider.
 */
function verdictOf(interval: [number, number]): RowVerdict {
  if (!interval.every(Number.isFinite)) return 'not shown';
  if (interval[1] <= BAR_RATIO) return 'within';
  if (interval[0] > BAR_RATIO) return 'over';
  return 'not shown';
}

/** One slice of a round: its server CPU (µs) and the operations it did (round trips or deliveries). */
interface Slice {
  round: number;
  cpuUs: number;
  ops: number;
}

/** Server CPU per operation of each round, its slices summed, in round order. */
function perRound(slices: readonly Slice[]): Map<number, number> {
  return new Map([...perRoundCost(slices)].sort(([a], [b]) => a - b));
}

function row(scenario: string, unit: MetricsCostRow['unit'], offSlices: Slice[], onSlices: Slice[], other: number[]): MetricsCostRow {
  const off = perRound(offSlices);
  const on = perRound(onSlices);
  // Pairs of the same round: with slices, their turns alternated within it.
  const rounds = [...on.keys()].filter((round) => off.has(round));
  const roundRatios = rounds.map((round) => on.get(round)! / off.get(round)!);
  const pairs = roundRatios.length;
  const range: [number, number] = pairs > 0 ? [Math.min(...roundRatios), Math.max(...roundRatios)] : [NaN, NaN];
  const sorted = Float64Array.from(roundRatios).sort();
  const quartiles: [number, number] = pairs > 0 ? [percentile(sorted, 0.25), percentile(sorted, 0.75)] : [NaN, NaN];
  const { mean, low, high } = ratioInterval(roundRatios);
  const offMedian = median([...off.values()]);
  const onMedian = median([...on.values()]);
  return {
    scenario,
    unit,
    offUs: offMedian,
    onUs: onMedian,
    ratio: onMedian / offMedian,
    roundRatios,
    range,
    pairMedian: pairs > 0 ? median(roundRatios) : NaN,
    pairQuartiles: quartiles,
    meanRatio: mean,
    interval: [low, high],
    otherCpuPct: median(other),
    verdict: verdictOf([low, high]),
  };
}

/** The comparison, when both servers ran in echo or broadcast; else null. */
export function evaluateMetricsCost(results: BenchResults, load: { start: string; end: string }, idle?: IdleResults): MetricsCost | null {
  if (!results.config.servers.includes(OFF) || !results.config.servers.includes(ON)) return null;
  const idleCpuMsPerSec = { off: ok(idle?.[OFF])?.cpuMsPerSec ?? NaN, on: ok(idle?.[ON])?.cpuMsPerSec ?? NaN };
  const rows: MetricsCostRow[] = [];
  for (const { clients, servers } of results.echo) {
    const off = ok(servers[OFF]);
    const on = ok(servers[ON]);
    if (!off || !on) continue;
    const slices = (m: typeof off): Slice[] => m.perRound.map((r) => ({ round: r.round, cpuUs: r.serverCpuUs, ops: r.echo.roundTrips }));
    const other = [...off.perRound, ...on.perRound].map((r) => r.otherCpuPct);
    rows.push(row(`echo, ${fmt(clients)} client${clients === 1 ? '' : 's'}`, 'round trip', slices(off), slices(on), other));
  }
  for (const { connections, servers } of results.broadcast) {
    const off = ok(servers[OFF]);
    const on = ok(servers[ON]);
    if (!off || !on) continue;
    const slices = (m: typeof off): Slice[] => m.perRound.map((r) => ({ round: r.round, cpuUs: r.serverCpuUs, ops: r.delivery.delivered }));
    const other = [...off.perRound, ...on.perRound].map((r) => r.otherCpuPct);
    rows.push(row(`broadcast to ${fmt(connections)}`, 'delivery', slices(off), slices(on), other));
  }
  if (rows.length === 0) return { rows, loadAverage: load, idleCpuMsPerSec, holds: null, line: 'Bar "metrics on cost ≤ 5 % server CPU per round trip and per delivery": NOT EVALUATED (no scenario completed for both servers).' };
  const holds = rows.every((r) => r.verdict === 'within') ? true : rows.some((r) => r.verdict === 'over') ? false : null;
  const verdict = holds === true ? 'HOLDS' : holds === false ? 'DOES NOT HOLD' : 'NOT SHOWN';
  const figures = rows.map((r) => `${r.scenario} ${pct(r.meanRatio)} (95 % CI ${pct(r.interval[0])} to ${pct(r.interval[1])})`).join('; ');
  const why = holds === null ? ' — a confidence interval spans 5 %: more pairs (or a quieter machine) would tell' : '';
  const line = `Bar "metrics on cost ≤ 5 % server CPU per round trip and per delivery": ${verdict}${why}: ${figures}.`;
  return { rows, loadAverage: load, idleCpuMsPerSec, holds, line };
}

/** A ratio as a signed percentage: 1.031 → "+3.1 %". */
function pct(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  const change = (ratio - 1) * 100;
  return `${change >= 0 ? '+' : '−'}${fmt(Math.abs(change), 1)} %`;
}

const VERDICTS: Record<RowVerdict, string> = {
  within: '≤ 5 % (the whole interval)',
  over: '> 5 % (the whole interval)',
  'not shown': 'not shown (the interval spans 5 %)',
};

/** The `## Metrics on vs off` section. */
export function renderMetricsSection(cost: MetricsCost, results: BenchResults, machine: MachineInfo, config: BenchConfig, revision: string): string {
  const rounds = [config.echo.rounds, ...config.broadcast.runs.map((run) => run.rounds)];
  const busy = cost.rows.some((r) => r.otherCpuPct > BUSY_PCT);
  // Rounds the same everywhere: set by --rounds (the defaults differ per scenario).
  const roundsFlag =
    (rounds.every((n) => n === rounds[0]) ? ` --rounds=${rounds[0]}` : '') +
    (config.roundScale > 1 ? ` --round-scale=${config.roundScale}` : '') +
    (config.slices > 1 ? ` --slices=${config.slices}` : '');
  const turns =
    config.slices > 1
      ? `take turns slice by slice: each round is ${config.slices} slices per server (echo ${fmt(config.echo.roundMs / config.slices / 1000, 2)} s each; ` +
        `broadcast ${config.broadcast.runs.map((run) => `${fmt(Math.ceil(run.broadcasts / config.slices))} broadcasts to ${fmt(run.connections)}`).join(', ')} each), ` +
        'the order rotated every slice (on, off, off, on, on, off …), and a round\'s figure is its slices\' server CPU summed over their round trips or deliveries summed'
      : 'take turns round by round (order rotated each round)'
  const lines = [
    METRICS_SECTION_HEADING,
    '',
    `Generated by \`npm run bench -- --servers=${config.servers.join(',')} --scenario=${config.scenarios.join(',')}` +
      `${roundsFlag}${config.quick ? ' --quick' : ''}\` on ${machine.date.slice(0, 10)} (${fmt(results.durationMs / 1000)} s run, ${revision}); ` +
      `${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}. Load average (1, 5, 15 min) at the start ${cost.loadAverage.start}, at the end ${cost.loadAverage.end}.`,
    '',
    `"Off" is plain Hubwire (${results.libraries[OFF]}, its default in-process counters); "on" is ${results.libraries[ON]}: the server app's ` +
      'metric cells as Hubwire\'s `metrics` and their prom-client registry with Node\'s process metrics, the way `apps/server` plugs them in. ' +
      `Both servers are up side by side and ${turns}; ${[...new Set(rounds)].join('/')} rounds per server. ` +
      'Each round of one is paired with the same round of the other. The verdict is the geometric mean of those on/off ratios with its 95 % confidence interval ' +
      '(Student\'s t on their logarithms): the bar is shown when the whole interval is at or below +5 %. The range (smallest and largest pair) is printed too; ' +
      'it measures the noise of single pairs, and widens as pairs are added. ' +
      'Server CPU is `process.cpuUsage()` of the server process over the round.' +
      (config.pin ? ' Both servers are pinned to CPU 0 and their load generators to CPU 1 (`taskset`).' : ' Processes are placed by the scheduler (`--pin=off`).'),
    '',
    `**${cost.line}**`,
    '',
    '| scenario | server CPU off (µs) | on (µs) | on vs off (medians) | mean pair (95 % CI) | range over round pairs | median pair (middle half) | other CPU load (% of a core) | vs the 5 % bar |',
    '|---|--:|--:|--:|--:|--:|--:|--:|---|',
    ...cost.rows.map(
      (r) =>
        `| ${r.scenario}, per ${r.unit} | ${fmt(r.offUs, 2)} | ${fmt(r.onUs, 2)} | ${pct(r.ratio)} | ${pct(r.meanRatio)} (${pct(r.interval[0])} to ${pct(r.interval[1])}) | ${pct(r.range[0])} to ${pct(r.range[1])} | ` +
        `${pct(r.pairMedian)} (${pct(r.pairQuartiles[0])} to ${pct(r.pairQuartiles[1])}) | ${fmt(r.otherCpuPct)} | ${VERDICTS[r.verdict]} |`,
    ),
    '',
    `Idle, side by side with no connection for a few seconds before the rounds: off ${fmt(cost.idleCpuMsPerSec.off, 2)}, on ${fmt(cost.idleCpuMsPerSec.on, 2)} ms of server CPU per second ` +
      '(timers, monitors and scrapes: a cost per second, whatever the traffic, so it weighs most on the lightly loaded rounds).',
    '',
    'Per round pair (on/off): ' + cost.rows.map((r) => `${r.scenario}: ${r.roundRatios.map((x) => fmt(x, 3)).join(', ')}`).join('; ') + '.',
  ];
  if (busy) {
    const worst = Math.max(...cost.rows.map((r) => r.otherCpuPct));
    lines.push('', `> The machine was busy with other work (median other CPU load up to ${fmt(worst)}% of a core): the ranges are wider than on an idle machine.`);
  }
  return `${lines.join('\n')}\n`;
}
