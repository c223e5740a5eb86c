/** Command-line flags and the scenario parameters they select. */
import { execFileSync } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_SERVER_KINDS, SERVER_KINDS, type ServerKind } from './commands.js';

export const SCENARIOS = ['echo', 'broadcast', 'memory', 'connect', 'redis-broadcast', 'growth', 'soak'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** What a run without `--scenario` does: growth and the soak hold 15,000 connections for minutes, so only on request. */
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = ['echo', 'broadcast', 'memory', 'connect', 'redis-broadcast'];
/** The scenarios of the main part of docs/benchmarks.md. */
export const MAIN_SCENARIOS: readonly ScenarioName[] = ['echo', 'broadcast', 'memory', 'connect'];

export interface BroadcastRun {
  connections: number;
  broadcasts: number;
  intervalMs: number;
  /** Measured rounds on the same connections; the report shows medians. */
  rounds: number;
}

export interface BenchConfig {
  quick: boolean;
  /**
   * True when echo, broadcast and memory run for every server with the full parameters: the run
   * that rewrites the main part of docs/benchmarks.md (the redis-broadcast section is written by
   * any full run of that scenario, see docs-file.ts).
   */
  complete: boolean;
  scenarios: ScenarioName[];
  servers: ServerKind[];
  echo: { clients: number[]; warmupMs: number; roundMs: number; rounds: number };
  broadcast: {
    runs: BroadcastRun[];
    payloadBytes: number;
    /** Warm-up: at least this many broadcasts, and enough for this many deliveries (JIT), at most 100. */
    warmupBroadcasts: number;
    warmupDeliveries: number;
  };
  /** `runs` fresh servers of each kind in turn (order rotated): RSS per connection moves with the heap's growth steps, so one each is not enough. */
  memory: { connections: number; samples: number; settleMs: number; runs: number };
  /** Connect: each round opens `connections` (negotiate + WebSocket + handshake) per server, then closes them. */
  connect: { connections: number; rounds: number };
  /**
   * Growth: one fresh server at a time grows to each of `steps` connections; at each, memory per
   * connection and `rounds` rounds of `broadcasts` broadcasts paced for `deliveriesPerSec`.
   */
  growth: { steps: number[]; broadcasts: number; rounds: number; deliveriesPerSec: number };
  /**
   * The soak: `connections` Hubwire connections in `groups` groups for `minutes`, a group send
   * every `intervalMs`, `reconnectPctPerMinute` % of the clients reconnecting per minute, memory
   * sampled every `sampleSeconds`.
   */
  soak: { connections: number; groups: number; minutes: number; intervalMs: number; reconnectPctPerMinute: number; sampleSeconds: number };
  /**
   * Broadcast over the Redis backplane: 2 Hubwire nodes vs 1 (payload and warm-up as in
   * `broadcast`). `url` is the Redis every node uses (REDIS_URL, default the local one).
   */
  redisBroadcast: { runs: BroadcastRun[]; url: string };
  openBatchSize: number;
  connectTimeoutMs: number;
  /** `--cpu-prof`: where the server processes of echo and broadcast write V8 CPU profiles, else undefined. */
  cpuProfileDir: string | undefined;
  /**
   * `--slices=N`: each measured round of echo and broadcast is N short slices per server, the
   * servers alternating slice by slice (A B B A A B …), so a burst of other load on the machine
   * falls on both sides of a comparison alike; a round's figure is the sum over its slices.
   * 1: a round is one stretch per server; 3 by default in full runs, 1 with `--quick`.
   */
  slices: number;
  /** `--round-scale=K`: echo and broadcast rounds K times their default length (1: as they are). */
  roundScale: number;
  /**
   * Server processes pinned to CPU 0 and load generators to CPU 1 (`taskset`), so that a
   * comparison does not depend on where the scheduler put each pair. On by default where the
   * machine has 2 or more CPUs and `taskset` runs; `--pin=off` leaves placement to the scheduler.
   */
  pin: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [--scenario=LIST] [--servers=LIST] [--rounds=N] [--cpu-prof] [--soak-minutes=N]

  --quick          short smoke run (200 connections, short durations, 1-2 minutes)
  --scenario=LIST  run only these: echo, broadcast, memory, connect, redis-broadcast (the default five),
                   growth (1,000 / 5,000 / 15,000 connections), soak (15,000 connections for 10 minutes)
  --servers=LIST   benchmark only these servers (default: hubwire,ws,socketio,uws,hubwire+msgpack); redis-broadcast
                   and soak run when hubwire is among them. uws is uWebSockets.js; hubwire+msgpack is Hubwire
                   driven by MessagePack hub-protocol clients.
                   hubwire+metrics is Hubwire with the server app's metrics (cells + Prometheus registry, scraped):
                   --servers=hubwire,hubwire+metrics --scenario=echo,broadcast measures what metrics cost
  --rounds=N       measured rounds per server in echo and broadcast (default 5; 2 with --quick)
  --round-scale=K  echo and broadcast rounds K times as long (echo: K x 1.5 s; broadcast: K x the broadcasts)
  --slices=N       each echo and broadcast round split into N slices, the servers alternating slice by slice
                   (A B B A ...; default 3, 1 with --quick); what metrics cost is measured with --rounds=6 --round-scale=4 --slices=12
  --soak-minutes=N the soak's length (default 10)
  --pin=on|off     servers pinned to CPU 0, load generators to CPU 1 with taskset (default on where it works)
  --cpu-prof       the echo and broadcast server processes write V8 CPU profiles (.cpuprofile) to $TMPDIR/hubwire-bench-profiles/

  redis-broadcast needs Redis on REDIS_URL (default redis://127.0.0.1:6379, loopback).
`;

function parseList<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new Error(`${flag}: unknown value '${item}' (expected one of ${allowed.join(', ')})`);
    }
  }
  if (items.length === 0) throw new Error(`${flag}: empty list`);
  return items as T[];
}

export function parseArgs(argv: readonly string[]): BenchConfig | 'help' {
  let quick = false;
  let scenarios: ScenarioName[] = [...DEFAULT_SCENARIOS];
  let servers: ServerKind[] = [...SERVER_KINDS];
  let rounds: number | undefined;
  let cpuProfileDir: string | undefined;
  let slicesFlag: number | undefined;
  let soakMinutes: number | undefined;
  let roundScale = 1;
  let pin = pinningWorks();
  for (const arg of argv) {
    const [flag = '', value = ''] = arg.split('=', 2);
    if (flag === '--help' || flag === '-h') return 'help';
    else if (flag === '--quick') quick = true;
    else if (flag === '--scenario' || flag === '--scenarios') scenarios = parseList(flag, value, SCENARIOS);
    else if (flag === '--servers' || flag === '--server') servers = parseList(flag, value, ALL_SERVER_KINDS);
    else if (flag === '--rounds') rounds = parseRounds(value);
    else if (flag === '--slices') slicesFlag = parseCount(flag, value, 50);
    else if (flag === '--soak-minutes') soakMinutes = parseCount(flag, value, 120);
    else if (flag === '--round-scale') roundScale = parseCount(flag, value, 20);
    else if (flag === '--pin') pin = parseSwitch(flag, value) && pinningWorks();
    else if (flag === '--cpu-prof') cpuProfileDir = join(tmpdir(), 'hubwire-bench-profiles');
    else throw new Error(`unknown argument '${arg}'\n${USAGE}`);
  }
  // The default servers exactly: the main tables compare those.
  const defaultServers = servers.length === SERVER_KINDS.length && SERVER_KINDS.every((kind) => servers.includes(kind));
  const complete =
    !quick && rounds === undefined && slicesFlag === undefined && roundScale === 1 && MAIN_SCENARIOS.every((s) => scenarios.includes(s)) && defaultServers;
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  // Three slices a round by default: a burst of other work lands on every server's turns alike.
  const slices = slicesFlag ?? (quick ? 1 : DEFAULT_SLICES);
  const common = { quick, complete, scenarios, servers, openBatchSize: 250, connectTimeoutMs: 10_000, cpuProfileDir, slices, roundScale, pin };
  const config = withScale(withRounds(quick ? quickConfig(common, url) : fullConfig(common, url), rounds), roundScale);
  return soakMinutes === undefined ? config : { ...config, soak: { ...config.soak, minutes: soakMinutes } };
}

const DEFAULT_SLICES = 3;

type Common = Pick<BenchConfig, 'quick' | 'complete' | 'scenarios' | 'servers' | 'openBatchSize' | 'connectTimeoutMs' | 'cpuProfileDir' | 'slices' | 'roundScale' | 'pin'>;

function parseSwitch(flag: string, value: string): boolean {
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new Error(`${flag}: expected on or off, got '${value}'`);
}

/** Whether processes can be pinned here: 2 or more CPUs and a working `taskset`. */
function pinningWorks(): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

function parseCount(flag: string, value: string, max: number): number {
  const count = Number(value);
  if (!Number.isSafeInteger(count) || count < 1 || count > max) throw new Error(`${flag}: expected an integer from 1 to ${max}, got '${value}'`);
  return count;
}

/** `--round-scale=K`: echo rounds and broadcast rounds (not redis-broadcast's) K times as long. */
function withScale(config: BenchConfig, scale: number): BenchConfig {
  if (scale === 1) return config;
  return {
    ...config,
    echo: { ...config.echo, roundMs: config.echo.roundMs * scale },
    broadcast: { ...config.broadcast, runs: config.broadcast.runs.map((run) => ({ ...run, broadcasts: run.broadcasts * scale })) },
  };
}

function parseRounds(value: string): number {
  const rounds = Number(value);
  if (!Number.isSafeInteger(rounds) || rounds < 1 || rounds > 100) throw new Error(`--rounds: expected an integer from 1 to 100, got '${value}'`);
  return rounds;
}

/** `--rounds=N` replaces the rounds of echo and broadcast (not redis-broadcast's). */
function withRounds(config: BenchConfig, rounds: number | undefined): BenchConfig {
  if (rounds === undefined) return config;
  return {
    ...config,
    echo: { ...config.echo, rounds },
    broadcast: { ...config.broadcast, runs: config.broadcast.runs.map((run) => ({ ...run, rounds })) },
  };
}

function quickConfig(common: Common, url: string): BenchConfig {
  return {
    ...common,
    echo: { clients: [1, 20], warmupMs: 200, roundMs: 400, rounds: 2 },
    broadcast: {
      runs: [{ connections: 200, broadcasts: 15, intervalMs: 50, rounds: 2 }],
      payloadBytes: 100,
      warmupBroadcasts: 3,
      warmupDeliveries: 5_000,
    },
    memory: { connections: 200, samples: 2, settleMs: 200, runs: 1 },
    connect: { connections: 100, rounds: 2 },
    growth: { steps: [100, 300], broadcasts: 10, rounds: 2, deliveriesPerSec: 10_000 },
    soak: { connections: 300, groups: 10, minutes: 1, intervalMs: 50, reconnectPctPerMinute: 1, sampleSeconds: 10 },
    redisBroadcast: { runs: [{ connections: 200, broadcasts: 15, intervalMs: 50, rounds: 2 }], url },
  };
}

function fullConfig(common: Common, url: string): BenchConfig {
  return {
    ...common,
    // Five rounds of three slices: with three rounds of one turn, runs on a shared 2-core machine
    // disagreed by 2x (issue 13); the ratios are printed with their range over the rounds.
    echo: { clients: [1, 100], warmupMs: 500, roundMs: 1_500, rounds: 5 },
    broadcast: {
      runs: [
        { connections: 1_000, broadcasts: 60, intervalMs: 50, rounds: 5 },
        { connections: 5_000, broadcasts: 30, intervalMs: 100, rounds: 5 },
      ],
      payloadBytes: 100,
      warmupBroadcasts: 5,
      warmupDeliveries: 20_000,
    },
    memory: { connections: 5_000, samples: 3, settleMs: 1_000, runs: 3 },
    connect: { connections: 500, rounds: 5 },
    // The same delivery rate at every size, so that only the connection count changes.
    growth: { steps: [1_000, 5_000, 15_000], broadcasts: 20, rounds: 3, deliveriesPerSec: 25_000 },
    // 150 groups of 100; a send every 20 ms: 5,000 deliveries/s, 1 % reconnecting per minute.
    soak: { connections: 15_000, groups: 150, minutes: 10, intervalMs: 20, reconnectPctPerMinute: 1, sampleSeconds: 30 },
    // More rounds than `broadcast`: three set-ups share each rotation and the bar is a ratio of two of them.
    redisBroadcast: {
      runs: [
        { connections: 1_000, broadcasts: 60, intervalMs: 50, rounds: 5 },
        { connections: 5_000, broadcasts: 30, intervalMs: 100, rounds: 5 },
      ],
      url,
    },
  };
}
