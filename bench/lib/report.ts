/** Markdown rendering of a run: machine header, one table per scenario, the bar verdict. */
import { SERVER_LABELS, type ServerKind } from './commands.js';
import { fmt } from './format.js';
import type { BenchConfig } from './config.js';
import type { MachineInfo } from './machine.js';
import type { BroadcastMetrics } from '../scenarios/broadcast.js';
import type { EchoMetrics } from '../scenarios/echo.js';
import type { MemoryMetrics } from '../scenarios/memory.js';
import type { Outcome } from '../scenarios/session.js';
import type { RedisBroadcastResults } from '../scenarios/redis-broadcast.js';
import type { RedisBarVerdict } from './redis-report.js';
import type { ConnectMetrics, ConnectResults } from '../scenarios/connect.js';
import { fmtRatio, ratioRange } from './ratios.js';
import { broadcastSlices, connectSlices, echoSlices, evaluateTargets, renderTargets } from './targets.js';

export type PerServer<T> = Partial<Record<ServerKind, Outcome<T>>>;

export interface BenchResults {
  machine: MachineInfo;
  config: BenchConfig;
  libraries: Record<ServerKind, string>;
  echo: { clients: number; servers: PerServer<EchoMetrics> }[];
  broadcast: { connections: number; servers: PerServer<BroadcastMetrics> }[];
  memory: PerServer<MemoryMetrics> | null;
  /** The connect scenario, or null when not run. */
  connect: ConnectResults | null;
  bar: BarVerdict | null;
  /** The redis-broadcast scenario (its own section, see redis-report.ts), or null when not run. */
  redisBroadcast: RedisBroadcastResults | null;
  redisBar: RedisBarVerdict | null;
  durationMs: number;
  /** /proc/loadavg (1, 5, 15 min) when the run started and ended: how busy the shared machine was. */
  loadAverage?: { start: string; end: string };
}

export interface BarVerdict {
  holds: boolean | null;
  connections: number;
  hubwireUs: number;
  wsUs: number;
  socketioUs: number;
  /** Highest median "other CPU load" (% of one core) among the servers in the bar's run. */
  busyOtherCpuPct: number;
  line: string;
}

const BAR_CONNECTIONS = 5_000;
const BAR_RATIO = 1.2;

export { fmt };

const kb = (bytes: number): string => fmt(bytes / 1024, 2);
const mb = (bytes: number): string => fmt(bytes / 2 ** 20, 1);

type Row<T> = [label: string, cell: (metrics: T, kind: ServerKind) => string];

/** Other CPU load (% of one core) above which a measurement is flagged as taken on a busy machine. */
export const BUSY_PCT = 50;

/** Highest "other CPU load" among the servers' results, or NaN when none is known. */
function busiest<T>(results: PerServer<T>, other: (metrics: T) => number): number {
  const values = Object.values(results)
    .flatMap((outcome) => (outcome?.ok ? [other(outcome.value)] : []))
    .filter(Number.isFinite);
  return values.length > 0 ? Math.max(...values) : NaN;
}

function busyNote<T>(results: PerServer<T>, other: (metrics: T) => number): string[] {
  const worst = busiest(results, other);
  if (!(worst > BUSY_PCT)) return [];
  return [
    '',
    `> The machine was busy with other work during these rounds (other CPU load up to ${fmt(worst)}% of a core): ` +
      'the figures are less reliable than on an idle machine.',
  ];
}

/** A metrics-by-server table; failed servers get "failed" cells and a footnote. */
function table<T>(servers: readonly ServerKind[], results: PerServer<T>, rows: Row<T>[]): string {
  const header = `| | ${servers.map((s) => SERVER_LABELS[s]).join(' | ')} |`;
  const rule = `|---|${servers.map(() => '--:').join('|')}|`;
  const lines = rows.map(([label, cell]) => {
    const cells = servers.map((kind) => {
      const outcome = results[kind];
      if (!outcome) return '–';
      return outcome.ok ? cell(outcome.value, kind) : 'failed';
    });
    return `| ${label} | ${cells.join(' | ')} |`;
  });
  const notes = servers.flatMap((kind) => {
    const outcome = results[kind];
    const problems = outcome?.ok ? ((outcome.value as { problems?: string[] }).problems ?? []) : [];
    if (outcome && !outcome.ok) return [`- **${SERVER_LABELS[kind]} failed:** ${oneLine(outcome.error)}`];
    return problems.map((p) => `- ${SERVER_LABELS[kind]}: ${oneLine(p)}`);
  });
  return [header, rule, ...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}

export function oneLine(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ⏎ ');
  return flat.length > 600 ? `${flat.slice(0, 600)}…` : flat;
}

function ok<T>(outcome: Outcome<T> | undefined): T | undefined {
  return outcome?.ok ? outcome.value : undefined;
}

function echoSection(servers: readonly ServerKind[], config: BenchConfig, clients: number, results: PerServer<EchoMetrics>): string {
  const { rounds, roundMs, warmupMs } = config.echo;
  const intro =
    `Each client sends its next request when the previous answer arrives. After a ${fmt(warmupMs)} ms warm-up, ` +
    `${rounds} rounds of ${fmt(roundMs / 1000, 1)} s per server${config.slices > 1 ? ` (each ${config.slices} slices)` : ''}, the servers taking turns; figures are medians over the ${config.slices > 1 ? 'slices' : 'rounds'}. ` +
    'Payload `{"n":…,"msg":"hubwire bench echo payload"}`.';
  return [
    `### Echo round trips, ${fmt(clients)} client${clients === 1 ? '' : 's'}`,
    '',
    intro,
    '',
    table<EchoMetrics>(servers, results, [
      ['round trips/s', (m) => fmt(m.roundTripsPerSec)],
      ['latency p50 (ms)', (m) => fmt(m.latencyP50, 3)],
      ['latency p99 (ms)', (m) => fmt(m.latencyP99, 3)],
      ['server CPU per round trip (µs)', (m) => fmt(m.serverCpuUsPerRoundTrip, 1)],
      ['server CPU (% of one core)', (m) => fmt(m.serverCpuPct)],
      ['load generator CPU (% of one core)', (m) => fmt(m.loadCpuPct)],
      ['other CPU load on the machine (% of one core)', (m) => fmt(m.otherCpuPct)],
      ['failed round trips', (m) => fmt(m.errors)],
    ]),
    ...busyNote(results, (m) => m.otherCpuPct),
  ].join('\n');
}

function broadcastSection(all: BenchResults, connections: number, results: PerServer<BroadcastMetrics>): string {
  const servers = all.config.servers;
  const any = servers.map((s) => ok(results[s])).find((m) => m !== undefined);
  const intro = any
    ? `${any.perRound.length} round${any.perRound.length === 1 ? '' : 's'} of ${fmt(any.broadcasts)} broadcasts of a ` +
      `${any.payloadBytes}-byte JSON payload (sequence number + send timestamp), one every ${any.intervalMs} ms, ` +
      `to ${fmt(connections)} connections (${fmt(any.broadcasts * connections)} deliveries expected per round); ` +
      'the servers take turns round by round; figures are medians over the rounds. Latency is from the server stamping the payload to a client parsing it. ' +
      'Server CPU is `process.cpuUsage()` of the server process from the first broadcast of a round until its last ' +
      'delivery, divided by the deliveries.'
    : '';
  return [
    `### Broadcast fan-out, ${fmt(connections)} connections`,
    '',
    intro,
    '',
    table<BroadcastMetrics>(servers, results, [
      ['deliveries received / expected (all rounds)', (m) => `${fmt(m.totals.delivered)} / ${fmt(m.totals.expected)}`],
      ['delivered messages/s', (m) => fmt(m.median.deliveredPerSec)],
      ['latency p50 (ms)', (m) => fmt(m.median.latencyP50, 2)],
      ['latency p99 (ms)', (m) => fmt(m.median.latencyP99, 2)],
      ['**server CPU per delivery (µs)**', (m) => `**${fmt(m.median.serverCpuUsPerDelivery, 2)}**`],
      ['… range over the rounds (µs)', (m) => `${fmt(m.cpuUsPerDeliveryRange[0], 2)}–${fmt(m.cpuUsPerDeliveryRange[1], 2)}`],
      ['CPU per delivery vs raw ws (median, range over the rounds)', (_m, kind) => fmtRatio(ratioRange(broadcastSlices(all, connections, kind), broadcastSlices(all, connections, 'ws')))],
      ['server CPU during a round (% of one core)', (m) => fmt(m.median.serverCpuPct)],
      ['time in one broadcast call (ms)', (m) => fmt(m.median.callMsPerBroadcast, 2)],
      ['worst lag of a broadcast behind its schedule (ms)', (m) => fmt(m.median.maxTickLagMs, 1)],
      ['lost / duplicated / out of order', (m) => `${fmt(m.totals.lost)} / ${fmt(m.totals.duplicates)} / ${fmt(m.totals.outOfOrder)}`],
      ['load generator CPU (% of one core)', (m) => fmt(m.median.loadCpuPct)],
      ['other CPU load on the machine (% of one core)', (m) => fmt(m.median.otherCpuPct)],
      ['time to open the connections (s)', (m) => fmt(m.openMs / 1000, 1)],
    ]),
    ...busyNote(results, (m) => m.median.otherCpuPct),
  ].join('\n');
}

function memorySection(servers: readonly ServerKind[], results: PerServer<MemoryMetrics>): string {
  const any = servers.map((s) => ok(results[s])).find((m) => m !== undefined);
  return [
    `### Server memory per idle connection${any ? `, ${fmt(any.connections)} connections` : ''}`,
    '',
    'Delta between medians of `process.memoryUsage()` samples (each after `global.gc()`, server run with `--expose-gc`) ' +
      'taken before and after opening the connections, divided by their number; each server is measured in fresh processes, the servers taking turns, ' +
      'and the run with the median RSS stands for it (every run is listed). ' +
      '1 KB = 1,024 bytes; "external" counts Buffers and other memory held by C++ objects.',
    '',
    table<MemoryMetrics>(servers, results, [
      ['RSS per connection (KB)', (m) => kb(m.rssPerConnection)],
      ['RSS per connection, each run (KB)', (m) => (m.runs ?? []).map((r) => kb(r.rssPerConnection)).join(', ') || '–'],
      ['JS heap per connection, each run (KB)', (m) => (m.runs ?? []).map((r) => kb(r.heapPerConnection)).join(', ') || '–'],
      ['JS heap used per connection (KB)', (m) => kb(m.heapPerConnection)],
      ['external per connection (KB)', (m) => kb(m.externalPerConnection)],
      ['RSS before → after (MB)', (m) => `${mb(m.baseline.rss)} → ${mb(m.loaded.rss)}`],
      ['heap used before → after (MB)', (m) => `${mb(m.baseline.heapUsed)} → ${mb(m.loaded.heapUsed)}`],
    ]),
  ].join('\n');
}

function connectSection(all: BenchResults, results: ConnectResults): string {
  const servers = all.config.servers.filter((kind) => results[kind] !== undefined);
  const { connections, rounds } = all.config.connect;
  return [
    `### Connect, ${fmt(connections)} new connections per round`,
    '',
    `${rounds} rounds per server, the servers taking turns; in each, ${fmt(connections)} clients connect in batches of ` +
      `${all.config.openBatchSize} and the server's CPU from the first request to the last ready connection is divided by them ` +
      '(closing them afterwards is not measured). Hubwire: `POST /bench/negotiate?negotiateVersion=1`, the WebSocket upgrade with ' +
      'the connection token, the JSON hub handshake. Raw ws and uWebSockets.js: one plain `GET` answered with a small JSON body, ' +
      'then the upgrade (the "upgrade + a negotiate request" of issue 13). Socket.IO: the upgrade, the Engine.IO open packet and ' +
      'the namespace connect (WebSocket only, no polling). HTTP requests go through `fetch` with its kept-alive connections.',
    '',
    table<ConnectMetrics>(servers, results, [
      ['**server CPU per connection (µs)**', (m) => `**${fmt(m.serverCpuUsPerConnection, 0)}**`],
      ['… range over the rounds (µs)', (m) => `${fmt(m.range[0], 0)}–${fmt(m.range[1], 0)}`],
      ['vs raw ws (median, range over the rounds)', (_m, kind) => fmtRatio(ratioRange(connectSlices(all, kind), connectSlices(all, 'ws')))],
      ['connections ready per second', (m) => fmt(m.connectionsPerSec)],
      ['other CPU load on the machine (% of one core)', (m) => fmt(m.otherCpuPct)],
    ]),
  ].join('\n');
}

/** "Hubwire server CPU per broadcast delivery at 5,000 connections within 1.2x of raw ws and below Socket.IO". */
export function evaluateBar(broadcast: BenchResults['broadcast']): BarVerdict | null {
  const run = broadcast.find((b) => b.connections === BAR_CONNECTIONS) ?? broadcast.at(-1);
  if (!run) return null;
  const us = (kind: ServerKind): number => ok(run.servers[kind])?.median.serverCpuUsPerDelivery ?? NaN;
  const [hubwireUs, wsUs, socketioUs] = [us('hubwire'), us('ws'), us('socketio')];
  const evaluable = [hubwireUs, wsUs, socketioUs].every(Number.isFinite);
  const holds = evaluable ? hubwireUs <= BAR_RATIO * wsUs && hubwireUs < socketioUs : null;
  const at = `${fmt(run.connections)} connections`;
  const caveat = run.connections === BAR_CONNECTIONS ? '' : ` (indicative only: measured at ${at}, not ${fmt(BAR_CONNECTIONS)})`;
  const verdict = holds === null ? 'NOT EVALUATED' : holds ? 'HOLDS' : 'DOES NOT HOLD';
  const figures = evaluable
    ? `Hubwire ${fmt(hubwireUs, 2)} µs vs raw ws ${fmt(wsUs, 2)} µs (${fmt(hubwireUs / wsUs, 2)}x, limit ${BAR_RATIO}x) ` +
      `and Socket.IO ${fmt(socketioUs, 2)} µs`
    : `missing data: Hubwire ${fmt(hubwireUs, 2)}, raw ws ${fmt(wsUs, 2)}, Socket.IO ${fmt(socketioUs, 2)} µs`;
  const busy = busiest(run.servers, (m) => m.median.otherCpuPct);
  const warning =
    busy > BUSY_PCT
      ? ` Caution: the machine was busy with other work (other CPU load up to ${fmt(busy)}% of a core); rerun on an idle machine.`
      : '';
  const line =
    `Bar "Hubwire server CPU per broadcast delivery at ${fmt(BAR_CONNECTIONS)} connections within ${BAR_RATIO}x of raw ws ` +
    `and below Socket.IO": ${verdict}: ${figures}${caveat}.${warning}`;
  return { holds, connections: run.connections, hubwireUs, wsUs, socketioUs, busyOtherCpuPct: busy, line };
}

/** Every scenario's headline figures in one table, servers side by side; details follow per scenario. */
function summarySection(results: BenchResults): string {
  const servers = results.config.servers;
  const rows: [string, (kind: ServerKind) => string][] = [];
  const cell = <T>(outcome: Outcome<T> | undefined, show: (metrics: T) => string): string => (outcome === undefined ? '–' : outcome.ok ? show(outcome.value) : 'failed');
  for (const { clients, servers: echo } of results.echo) {
    const who = `echo, ${fmt(clients)} client${clients === 1 ? '' : 's'}`;
    rows.push([`${who}: round trips/s`, (k) => cell(echo[k], (m) => fmt(m.roundTripsPerSec))]);
    rows.push([`${who}: latency p50 / p99 (ms)`, (k) => cell(echo[k], (m) => `${fmt(m.latencyP50, 3)} / ${fmt(m.latencyP99, 3)}`)]);
    rows.push([
      `**${who}: server CPU per round trip (µs; vs raw ws, median and range)**`,
      (k) => cell(echo[k], (m) => `**${fmt(m.serverCpuUsPerRoundTrip, 1)}** (${fmtRatio(ratioRange(echoSlices(results, clients, k), echoSlices(results, clients, 'ws')))})`),
    ]);
  }
  for (const { connections, servers: run } of results.broadcast) {
    const who = `broadcast to ${fmt(connections)}`;
    rows.push([`${who}: delivered messages/s`, (k) => cell(run[k], (m) => fmt(m.median.deliveredPerSec))]);
    rows.push([`${who}: latency p50 / p99 (ms)`, (k) => cell(run[k], (m) => `${fmt(m.median.latencyP50, 1)} / ${fmt(m.median.latencyP99, 1)}`)]);
    rows.push([
      `**${who}: server CPU per delivery (µs; vs raw ws, median and range)**`,
      (k) => cell(run[k], (m) => `**${fmt(m.median.serverCpuUsPerDelivery, 2)}** (${fmtRatio(ratioRange(broadcastSlices(results, connections, k), broadcastSlices(results, connections, 'ws')))})`),
    ]);
  }
  const memory = results.memory;
  if (memory) rows.push(['memory per idle connection: RSS / JS heap (KB)', (k) => cell(memory[k], (m) => `${kb(m.rssPerConnection)} / ${kb(m.heapPerConnection)}`)]);
  const connect = results.connect;
  if (connect) {
    rows.push([
      '**connect: server CPU per connection (µs; vs raw ws, median and range)**',
      (k) => cell(connect[k], (m) => `**${fmt(m.serverCpuUsPerConnection, 0)}** (${fmtRatio(ratioRange(connectSlices(results, k), connectSlices(results, 'ws')))})`),
    ]);
  }
  return [
    '### Summary',
    '',
    `| | ${servers.map((kind) => SERVER_LABELS[kind]).join(' | ')} |`,
    `|---|${servers.map(() => '--:').join('|')}|`,
    ...rows.map(([label, value]) => `| ${label} | ${servers.map(value).join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(results: BenchResults): string {
  const { machine, config } = results;
  const servers = config.servers;
  const libraries = servers.map((s) => `${SERVER_LABELS[s]}: ${results.libraries[s]}`).join(', ');
  const parts = [
    '# Hubwire benchmarks',
    '',
    `Generated by \`npm run bench${config.quick ? ' -- --quick' : ''}\` on ${machine.date.slice(0, 10)} ` +
      `(${fmt(results.durationMs / 1000)} s run${config.quick ? ', quick smoke parameters' : ''}).`,
    '',
    `- Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.os}`,
    `- Node ${machine.node}; open-files limit ${machine.openFilesLimit}` +
      (results.loadAverage ? `; load average (1, 5, 15 min) at the start ${results.loadAverage.start}, at the end ${results.loadAverage.end}` : ''),
    `- Libraries: ${libraries}`,
    '- Method: each server runs in its own child process on 127.0.0.1, driven by its own load-generator child ' +
      'process of raw `ws` sockets speaking the protocol by hand (SignalR JSON or MessagePack hub protocol without negotiate, except in connect; ' +
      'Engine.IO 4 / Socket.IO 5 over WebSocket only; plain WebSocket); no permessage-deflate. ' +
      'For echo, broadcast and connect, the servers are up side by side (the same processes for all three) and take turns ' +
      `in measured rounds${config.slices > 1 ? ` of ${config.slices} slices each` : ''}, rotating the order every turn, so that background load hits them alike; tables show medians, ` +
      'and each ratio its median over the round pairs with the smallest and largest in brackets. ' +
      '"Hubwire MessagePack" is the same Hubwire server in a process of its own, driven by clients of the MessagePack hub protocol. ' +
      '"Hubwire on uWS" is the same hub served on a uWebSockets.js app (`hubwire.attachUws(app)`) instead of `node:http` + ws. ' +
      'Memory is measured on one fresh server at a time. ' +
      (config.pin
        ? 'Every server process is pinned to CPU 0 and every load generator to CPU 1 (`taskset`), so a comparison does not depend on where the scheduler put each pair; the machine\'s other work still shares those cores, '
        : 'Servers and clients share the same cores, ') +
      'so compare the columns rather than the absolute figures. "Other CPU load" is machine-wide busy CPU ' +
      '(/proc/stat, incl. steal) minus the measured server and its load generator: when it is high, the machine was busy.',
    '',
  ];
  if (results.bar) parts.push(`**${results.bar.line}**`, '');
  parts.push(renderTargets(evaluateTargets(results)), '');
  parts.push(summarySection(results), '');
  for (const echo of results.echo) parts.push(echoSection(servers, config, echo.clients, echo.servers), '');
  for (const run of results.broadcast) parts.push(broadcastSection(results, run.connections, run.servers), '');
  if (results.memory) parts.push(memorySection(servers.filter((kind) => results.memory?.[kind] !== undefined), results.memory), '');
  if (results.connect) parts.push(connectSection(results, results.connect), '');
  return `${parts.join('\n').trimEnd()}\n`;
}
