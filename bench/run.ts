/**
 * `npm run bench`: Hubwire vs raw ws vs Socket.IO 4 on loopback, and Hubwire on 2 nodes over
 * Redis vs 1 node.
 *
 * Servers and load generators run in child processes (scenarios/session.ts,
 * scenarios/arena.ts, scenarios/cluster.ts); this file only sequences the scenarios and writes
 * the report to stdout, bench/results/latest.json and (full runs) docs/benchmarks.md, replacing
 * only the parts of that file the run produced (lib/docs-file.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ALL_SERVER_KINDS, CLIENT_VARIANTS, SERVER_LABELS, type ServerKind } from './lib/commands.js';
import { parseArgs, USAGE, type BenchConfig, type ScenarioName } from './lib/config.js';
import { spliceDocs } from './lib/docs-file.js';
import { machineInfo } from './lib/machine.js';
import { evaluateMetricsCost, loadAverage, renderMetricsSection } from './lib/metrics-report.js';
import { fmt, evaluateBar, renderMarkdown, type BenchResults } from './lib/report.js';
import { evaluateRedisBar, renderRedisSection } from './lib/redis-report.js';
import { packageVersion, sourceRevision } from './lib/versions.js';
import { measureBroadcast } from './scenarios/broadcast.js';
import { measureEcho } from './scenarios/echo.js';
import { measureIdle, type IdleResults } from './scenarios/idle.js';
import { combineMemoryRuns, measureMemory, type MemoryMetrics } from './scenarios/memory.js';
import { measureConnect } from './scenarios/connect.js';
import { runScaleScenarios } from './scenarios/scale-runs.js';
import { CLUSTER_LABELS, measureRedisBroadcast } from './scenarios/redis-broadcast.js';
import { withArena, type Arena } from './scenarios/arena.js';
import type { Outcome } from './scenarios/session.js';

const RESULTS_JSON = new URL('./results/latest.json', import.meta.url);
const DOCS_MARKDOWN = new URL('../docs/benchmarks.md', import.meta.url);

const startedAt = performance.now();
// The uWebSockets.js package brings bufferutil along, which ws would then pick up for masking:
// the servers and load generators keep ws's own JavaScript path, as measured before it came.
process.env.WS_NO_BUFFER_UTIL ??= '1';
/** BENCH_METRICS_AA=1: `hubwire+metrics` runs without metrics (see scenarios/session.ts). */
const aaCheck = process.env.BENCH_METRICS_AA === '1';
const loadAtStart = loadAverage();

function progress(message: string): void {
  const elapsed = ((performance.now() - startedAt) / 1000).toFixed(0).padStart(3);
  process.stderr.write(`[bench ${elapsed}s] ${message}\n`);
}

function describe<T>(outcome: Outcome<T>, summary: (value: T) => string): string {
  return outcome.ok ? summary(outcome.value) : `FAILED: ${outcome.error.split('\n')[0]}`;
}

async function runEcho(arena: Arena, config: BenchConfig): Promise<BenchResults['echo']> {
  progress(`echo: ${config.echo.clients.join(' and ')} clients, ${config.echo.rounds} rounds per server`);
  const results = await measureEcho(arena, config);
  for (const { clients, servers } of results) {
    for (const kind of config.servers) {
      const outcome = servers[kind];
      if (outcome) progress(`  ${clients}c ${SERVER_LABELS[kind]}: ${describe(outcome, (m) => `${Math.round(m.roundTripsPerSec)} round trips/s`)}`);
    }
  }
  return results;
}

async function runBroadcast(arena: Arena, config: BenchConfig): Promise<BenchResults['broadcast']> {
  const results: BenchResults['broadcast'] = [];
  for (const run of config.broadcast.runs) {
    progress(`broadcast: ${run.connections} connections, ${run.rounds} rounds of ${run.broadcasts} broadcasts per server`);
    const result = await measureBroadcast(arena, config, run);
    for (const kind of config.servers) {
      const outcome = result.servers[kind];
      if (!outcome) continue;
      const line = describe(
        outcome,
        (m) =>
          `${m.totals.delivered}/${m.totals.expected} delivered, ${m.median.serverCpuUsPerDelivery.toFixed(2)} µs CPU/delivery ` +
          `(rounds: ${m.perRound.map((r) => r.serverCpuUsPerDelivery.toFixed(2)).join(', ')})`,
      );
      progress(`  ${SERVER_LABELS[kind]}: ${line}`);
    }
    results.push(result);
  }
  return results;
}

async function runIdle(arena: Arena, config: BenchConfig): Promise<IdleResults> {
  const ms = config.quick ? 2_000 : 10_000;
  progress(`idle: ${ms / 1000} s with no connection, servers side by side`);
  const results = await measureIdle(arena, ms);
  for (const [kind, outcome] of Object.entries(results)) progress(`  ${SERVER_LABELS[kind as ServerKind]}: ${describe(outcome, (m) => `${m.cpuMsPerSec.toFixed(2)} ms CPU per second`)}`);
  return results;
}

async function runConnect(arena: Arena, config: BenchConfig): Promise<BenchResults['connect']> {
  progress(`connect: ${config.connect.rounds} rounds of ${config.connect.connections} new connections per server`);
  const results = await measureConnect(arena, config);
  for (const [kind, outcome] of Object.entries(results)) {
    progress(`  ${SERVER_LABELS[kind as ServerKind]}: ${describe(outcome, (m) => `${m.serverCpuUsPerConnection.toFixed(0)} µs CPU/connection (rounds: ${m.perRound.map((r) => (r.cpuUs / r.ops).toFixed(0)).join(', ')})`)}`);
  }
  return results;
}

async function runMemory(config: BenchConfig): Promise<BenchResults['memory']> {
  const results: NonNullable<BenchResults['memory']> = {};
  // A client variant is the same server as another kind: its idle connections cost the same.
  const kinds = config.servers.filter((k) => !CLIENT_VARIANTS.includes(k));
  const runs = new Map<ServerKind, Outcome<MemoryMetrics>[]>(kinds.map((kind) => [kind, []]));
  for (let run = 0; run < config.memory.runs; run++) {
    // Fresh servers in turn, the order rotated each run, so a drift of the machine's memory weighs on all.
    for (const kind of [...kinds.slice(run % kinds.length), ...kinds.slice(0, run % kinds.length)]) {
      const of = config.memory.runs > 1 ? ` (run ${run + 1} of ${config.memory.runs})` : '';
      progress(`memory: ${SERVER_LABELS[kind]}, ${config.memory.connections} idle connections${of}`);
      const outcome = await measureMemory(kind, config);
      runs.get(kind)!.push(outcome);
      progress(`  ${describe(outcome, (m) => `${(m.rssPerConnection / 1024).toFixed(2)} KB RSS, ${(m.heapPerConnection / 1024).toFixed(2)} KB heap per connection`)}`);
    }
  }
  for (const kind of kinds) results[kind] = combineMemoryRuns(runs.get(kind)!);
  return results;
}

async function runRedisBroadcast(config: BenchConfig): Promise<BenchResults['redisBroadcast']> {
  const sizes = config.redisBroadcast.runs.map((r) => `${fmt(r.connections)} (${r.rounds} rounds)`).join(' and ');
  progress(`redis-broadcast: ${sizes} connections over Redis at ${config.redisBroadcast.url}`);
  const results = await measureRedisBroadcast(config);
  progress(`  set-ups: ${results.setups.map((id) => CLUSTER_LABELS[id]).join('; ')}`);
  for (const note of results.notes) progress(`  ${note}`);
  for (const run of results.runs) {
    for (const id of results.setups) {
      const outcome = run.clusters[id];
      if (!outcome) continue;
      const line = describe(
        outcome,
        (m) =>
          `${m.totals.delivered}/${m.totals.expected} delivered, ${m.median.serverCpuUsPerDelivery.toFixed(2)} µs server CPU/delivery ` +
          `(rounds: ${m.perRound.map((r) => r.serverCpuUsPerDelivery.toFixed(2)).join(', ')}), Redis ${m.median.redisCpuUsPerDelivery.toFixed(3)} µs/delivery`,
      );
      progress(`  ${fmt(run.connections)} ${CLUSTER_LABELS[id]}: ${line}`);
    }
  }
  return results;
}

function warnAboutFileLimit(config: BenchConfig, limit: string): void {
  const scale = [
    ...(config.scenarios.includes('growth') ? config.growth.steps : []),
    ...(config.scenarios.includes('soak') ? [config.soak.connections] : []),
  ];
  const needed = Math.max(config.memory.connections, ...config.broadcast.runs.map((r) => r.connections), ...config.redisBroadcast.runs.map((r) => r.connections), ...scale) + 200;
  const numeric = Number(limit);
  if (Number.isFinite(numeric) && numeric < needed) {
    // A soft limit cannot be raised from Node itself: `ulimit -n` in the shell that runs the bench.
    progress(`WARNING: open-files limit is ${limit}, below the ~${needed} sockets one process needs; expect failures (raise it with ulimit -n).`);
  }
}

function anyFailure(results: BenchResults): boolean {
  const outcomes: Outcome<unknown>[] = [
    ...results.echo.flatMap((e) => Object.values(e.servers)),
    ...results.broadcast.flatMap((b) => Object.values(b.servers)),
    ...Object.values(results.memory ?? {}),
    ...Object.values(results.connect ?? {}),
    ...(results.redisBroadcast?.runs ?? []).flatMap((r) => Object.values(r.clusters)),
  ];
  return outcomes.some((o) => !o.ok);
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
    return;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const config = parsed;
  const machine = machineInfo();
  progress(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, open-files limit ${machine.openFilesLimit}, load average ${loadAtStart}`);
  if (config.cpuProfileDir !== undefined) progress(`CPU profiles of the servers go to ${config.cpuProfileDir}`);
  warnAboutFileLimit(config, machine.openFilesLimit);

  const library = (kind: ServerKind): string => {
    if (kind === 'socketio') return `socket.io ${packageVersion('socket.io')}`;
    if (kind === 'uws') return `uWebSockets.js ${packageVersion('@trufflesuite/uws-js-unofficial')} (@trufflesuite/uws-js-unofficial)`;
    if (kind === 'hubwire+uws') return `hubwire ${packageVersion('hubwire')} on uWebSockets.js ${packageVersion('@trufflesuite/uws-js-unofficial')} (attachUws)`;
    if (kind === 'hubwire+msgpack') return `hubwire ${packageVersion('hubwire')}, MessagePack hub protocol clients`;
    if (kind === 'hubwire+metrics' && aaCheck) return `hubwire ${packageVersion('hubwire')} again, metrics off (A/A check: BENCH_METRICS_AA=1)`;
    if (kind === 'hubwire+metrics') return `hubwire ${packageVersion('hubwire')} with the app's metrics (prom-client ${packageVersion('prom-client')}, scraped every 15 s)`;
    return `${kind} ${packageVersion(kind)}`;
  };
  const libraries = Object.fromEntries(ALL_SERVER_KINDS.map((kind) => [kind, library(kind)])) as Record<ServerKind, string>;
  const results: BenchResults = {
    machine,
    config,
    libraries,
    echo: [],
    broadcast: [],
    memory: null,
    connect: null,
    bar: null,
    redisBroadcast: null,
    redisBar: null,
    durationMs: 0,
  };
  const wanted = (scenario: ScenarioName): boolean => config.scenarios.includes(scenario);
  let idle: IdleResults | undefined;
  if (wanted('echo') || wanted('broadcast') || wanted('connect')) {
    // One process per server (and one load generator each) for both scenarios, side by side.
    progress(`starting ${config.servers.map((s) => SERVER_LABELS[s]).join(', ')}`);
    await withArena(config.servers, config, async (arena) => {
      // With and without metrics: first what each costs doing nothing (a cost per second, not per message).
      if (config.servers.includes('hubwire') && config.servers.includes('hubwire+metrics')) idle = await runIdle(arena, config);
      if (wanted('echo')) results.echo = await runEcho(arena, config);
      if (wanted('broadcast')) results.broadcast = await runBroadcast(arena, config);
      if (wanted('connect')) results.connect = await runConnect(arena, config);
    });
  }
  if (wanted('memory')) results.memory = await runMemory(config);
  // It measures Hubwire only: a run restricted to other servers leaves it out.
  const redisWanted = wanted('redis-broadcast') && config.servers.includes('hubwire');
  if (redisWanted) results.redisBroadcast = await runRedisBroadcast(config);
  // Growth and the soak: one fresh server at a time, up to 15,000 connections; their own sections.
  const scale = await runScaleScenarios(config, progress);
  results.bar = evaluateBar(results.broadcast);
  results.redisBar = evaluateRedisBar(results.redisBroadcast);
  results.durationMs = performance.now() - startedAt;
  const loadAtEnd = loadAverage();
  results.loadAverage = { start: loadAtStart, end: loadAtEnd };
  progress(`load average ${loadAtEnd}`);
  // Hubwire with and without the app's metrics, when both ran: the cost of metrics (issue 10).
  const metricsCost = evaluateMetricsCost(results, { start: loadAtStart, end: loadAtEnd }, idle);

  const mainWanted = wanted('echo') || wanted('broadcast') || wanted('memory') || wanted('connect');
  const markdown = mainWanted ? renderMarkdown(results) : undefined;
  const redisSection = results.redisBroadcast
    ? renderRedisSection(results.redisBroadcast, results.redisBar, machine, config)
    : undefined;
  const metricsSection = metricsCost ? renderMetricsSection(metricsCost, results, machine, config, sourceRevision()) : undefined;
  process.stdout.write(`\n${[markdown, redisSection, metricsSection, ...scale.sections].filter(Boolean).join('\n')}`);
  mkdirSync(new URL('./', RESULTS_JSON), { recursive: true });
  writeFileSync(RESULTS_JSON, `${JSON.stringify({ ...results, metricsCost, growth: scale.growth, soak: scale.soak }, null, 2)}\n`);
  progress(`wrote ${fileURLToPath(RESULTS_JSON)}`);
  // Full parameters only: the main part when echo, broadcast and memory all ran for every server,
  // the redis-broadcast section when that scenario ran; the rest of the file stays as it is.
  const main = config.complete ? markdown : undefined;
  // An A/A check (the same code on both sides) prints its figures but does not replace the real comparison's.
  const sections = config.quick ? [] : [redisSection, aaCheck ? undefined : metricsSection, ...scale.sections].filter((section): section is string => section !== undefined);
  if (main !== undefined || sections.length > 0) {
    const existing = existsSync(DOCS_MARKDOWN) ? readFileSync(DOCS_MARKDOWN, 'utf8') : '';
    writeFileSync(DOCS_MARKDOWN, spliceDocs(existing, main, sections));
    const written = [
      main && 'main tables',
      !config.quick && redisSection && 'redis-broadcast section',
      !config.quick && metricsSection && 'metrics section',
      !config.quick && scale.sections.length > 0 && 'growth/soak sections',
    ];
    progress(`wrote ${fileURLToPath(DOCS_MARKDOWN)} (${written.filter(Boolean).join(' and ')})`);
  }
  if (results.bar) process.stdout.write(`\n${results.bar.line}\n`);
  if (results.redisBar) process.stdout.write(`\n${results.redisBar.line}\n`);
  if (metricsCost) process.stdout.write(`\n${metricsCost.line}\n`);
  progress(`done in ${(results.durationMs / 1000).toFixed(0)} s`);
  if (anyFailure(results) || scale.failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
