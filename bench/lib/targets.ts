/**
 * Issue 13's targets, checked against one run: each figure a ratio of two servers measured side
 * by side, with its range over the round pairs (ratios.ts). A target is met only when the whole
 * range is at or below it; a range that spans the target is not met.
 */
import type { ServerKind } from './commands.js';
import { fmt } from './format.js';
import { fmtRatio, ratioRange, targetVerdict, type RatioRange, type RoundSlice } from './ratios.js';
import type { BenchResults } from './report.js';
import type { Outcome } from '../scenarios/session.js';

export interface TargetRow {
  /** Which Hubwire: on node:http + ws, or on uWebSockets.js. */
  subject: string;
  figure: string;
  against: string;
  ratio: RatioRange | undefined;
  target: number;
  verdict: ReturnType<typeof targetVerdict>;
}

function ok<T>(outcome: Outcome<T> | undefined): T | undefined {
  return outcome?.ok ? outcome.value : undefined;
}

/** Round slices of one server in echo with `clients` clients. */
export function echoSlices(results: BenchResults, clients: number, kind: ServerKind): RoundSlice[] | undefined {
  const run = results.echo.find((e) => e.clients === clients);
  return ok(run?.servers[kind])?.perRound.map((r) => ({ round: r.round, cpuUs: r.serverCpuUs, ops: r.echo.roundTrips }));
}

/** Round slices of one server in broadcast to `connections`. */
export function broadcastSlices(results: BenchResults, connections: number, kind: ServerKind): RoundSlice[] | undefined {
  const run = results.broadcast.find((b) => b.connections === connections);
  return ok(run?.servers[kind])?.perRound.map((r) => ({ round: r.round, cpuUs: r.serverCpuUs, ops: r.delivery.delivered }));
}

export function connectSlices(results: BenchResults, kind: ServerKind): RoundSlice[] | undefined {
  return ok(results.connect?.[kind])?.perRound;
}

/** Memory: run i of a Hubwire against run i of raw ws (fresh servers each, taking turns). */
function memoryRatio(results: BenchResults, subject: ServerKind): RatioRange | undefined {
  const runs = (kind: ServerKind): RoundSlice[] | undefined => {
    const metrics = ok(results.memory?.[kind]);
    if (metrics === undefined) return undefined;
    return (metrics.runs ?? [{ run: 0, rssPerConnection: metrics.rssPerConnection }]).map((r) => ({ round: r.run, cpuUs: r.rssPerConnection, ops: 1 }));
  };
  return ratioRange(runs(subject), runs('ws'));
}

/** The Hubwire servers the targets are checked for, each against the same references. */
const SUBJECTS: readonly [ServerKind, string][] = [
  ['hubwire', 'Hubwire'],
  ['hubwire+uws', 'Hubwire on uWS'],
];

export function evaluateTargets(results: BenchResults): TargetRow[] {
  const rows: TargetRow[] = [];
  let subject = 'Hubwire';
  const add = (figure: string, against: string, ratio: RatioRange | undefined, target: number): void => {
    rows.push({ subject, figure, against, ratio, target, verdict: targetVerdict(ratio, target) });
  };
  // The issue's sizes are 100 clients and 5,000 connections; a --quick run has smaller ones.
  const many = Math.max(0, ...results.echo.map((e) => e.clients).filter((n) => n > 1)) || 100;
  const wide = Math.max(...results.broadcast.map((b) => b.connections), 0) || 5_000;
  const echoMany = (k: ServerKind): RoundSlice[] | undefined => echoSlices(results, many, k);
  const echo1 = (k: ServerKind): RoundSlice[] | undefined => echoSlices(results, 1, k);
  const bcWide = (k: ServerKind): RoundSlice[] | undefined => broadcastSlices(results, wide, k);
  for (const [kind, label] of SUBJECTS) {
    // A run without this server (--servers) has no rows for it.
    if (!results.config.servers.includes(kind)) continue;
    subject = label;
    add(`echo, ${fmt(many)} clients: CPU per round trip`, 'raw ws', ratioRange(echoMany(kind), echoMany('ws')), 1.3);
    add(`echo, ${fmt(many)} clients: CPU per round trip`, 'Socket.IO', ratioRange(echoMany(kind), echoMany('socketio')), 0.7);
    add('echo, 1 client: CPU per round trip', 'raw ws', ratioRange(echo1(kind), echo1('ws')), 1.3);
    add(`broadcast to ${fmt(wide)}: CPU per delivery`, 'raw ws', ratioRange(bcWide(kind), bcWide('ws')), 0.75);
    add(`broadcast to ${fmt(wide)}: CPU per delivery`, 'uWebSockets.js', ratioRange(bcWide(kind), bcWide('uws')), 1.05);
    add('idle memory per connection (RSS)', `raw ws (${results.config.memory.runs} fresh server${results.config.memory.runs === 1 ? '' : 's'} each)`, memoryRatio(results, kind), 1.05);
    add('connect: CPU per connection incl. negotiate', 'raw ws upgrade + a GET', ratioRange(connectSlices(results, kind), connectSlices(results, 'ws')), 1.2);
  }
  subject = 'Hubwire';
  for (const { clients } of results.echo) {
    const e = (k: ServerKind): RoundSlice[] | undefined => echoSlices(results, clients, k);
    add(`MessagePack echo, ${fmt(clients)} client${clients === 1 ? '' : 's'}: CPU per round trip`, 'Hubwire JSON', ratioRange(e('hubwire+msgpack'), e('hubwire')), 1.1);
  }
  for (const { connections } of results.broadcast) {
    const b = (k: ServerKind): RoundSlice[] | undefined => broadcastSlices(results, connections, k);
    add(`MessagePack broadcast to ${fmt(connections)}: CPU per delivery`, 'Hubwire JSON', ratioRange(b('hubwire+msgpack'), b('hubwire')), 1.1);
  }
  return rows;
}

export function renderTargets(rows: readonly TargetRow[]): string {
  const count = (of: readonly TargetRow[]): string => {
    const met = of.filter((r) => r.verdict === 'met').length;
    return `${met} of ${of.filter((r) => r.verdict !== 'not measured').length}`;
  };
  const subjects = [...new Set(rows.map((r) => r.subject))];
  return [
    '### Issue 13 targets',
    '',
    'Hubwire against each reference — on node:http + ws (`listen()`), and on a uWebSockets.js app (`attachUws`) — server CPU ' +
      'per operation measured side by side in this run: the median of the ' +
      'round-by-round ratios, with their smallest and largest in square brackets (each round of one server paired with the same ' +
      'round of the other, the two taking turns within it). A target is met only when the whole range is at or below it.',
    '',
    `**Measured targets met: ${subjects.map((subject) => `${subject} ${count(rows.filter((r) => r.subject === subject))}`).join('; ')}.**`,
    '',
    '| Hubwire | figure | against | Hubwire / it (median, range) | target | |',
    '|---|---|---|--:|--:|---|',
    ...rows.map((r) => `| ${r.subject} | ${r.figure} | ${r.against} | ${fmtRatio(r.ratio)} | ≤ ${fmt(r.target, 2)}x | ${r.verdict} |`),
  ].join('\n');
}
