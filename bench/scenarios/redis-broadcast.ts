/**
 * Broadcast over the Redis backplane: N connections spread evenly over 2 Hubwire nodes on
 * `redisLifetimeManager()`, against the same N on 1 node with the backplane and on 1 node
 * with the memory manager; optionally Socket.IO 4 on `@socket.io/redis-adapter` on 2 nodes and
 * 1 (when bench/socketio-redis is installed). Every broadcast is triggered on the first node and
 * must reach every connection on every node. The set-ups are up side by side and take turns
 * round by round (order rotated), like the servers of the broadcast scenario.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { sleep } from '../lib/clock.js';
import type { CpuDelta, DeliveryResult } from '../lib/commands.js';
import type { BenchConfig, BroadcastRun } from '../lib/config.js';
import { redisAddress, redisInfo, type RedisSample } from '../lib/redis-info.js';
import { median } from '../lib/stats.js';
import { systemBusyMs } from '../lib/system-load.js';
import { sourceRevision } from '../lib/versions.js';
import { warmUpBroadcasts } from './broadcast.js';
import { Cluster, type ClusterSpec } from './cluster.js';
import { cpuPerDeliveryRange, deliveryProblems, deliveryTotals, sharedMedians, type DeliveryTotals } from './delivery-figures.js';
import { clientProblems, cpuPercent } from './measure.js';
import { failure, type Outcome } from './session.js';

export const CLUSTER_IDS = ['two-nodes-redis', 'one-node-redis', 'one-node-memory', 'socketio-two-nodes-redis', 'socketio-one-node-redis'] as const;
export type ClusterId = (typeof CLUSTER_IDS)[number];

export const CLUSTER_LABELS: Record<ClusterId, string> = {
  'two-nodes-redis': '2 nodes, Redis',
  'one-node-redis': '1 node, Redis',
  'one-node-memory': '1 node, memory',
  'socketio-two-nodes-redis': 'Socket.IO 4: 2 nodes, Redis',
  'socketio-one-node-redis': 'Socket.IO 4: 1 node, Redis',
};

/** The set-up of the same server on 1 node over Redis: what a 2-node set-up is compared with. */
export const ONE_NODE_OF: Record<ClusterId, ClusterId> = {
  'two-nodes-redis': 'one-node-redis',
  'one-node-redis': 'one-node-redis',
  'one-node-memory': 'one-node-redis',
  'socketio-two-nodes-redis': 'socketio-one-node-redis',
  'socketio-one-node-redis': 'socketio-one-node-redis',
};

const HUBWIRE_ENTRY = new URL('../servers/hubwire-server.ts', import.meta.url);
const SOCKETIO_ENTRY = new URL('../socketio-redis/server.ts', import.meta.url);
/** Installed by `npm install --no-package-lock` in bench/socketio-redis; not a project dependency. */
const SOCKETIO_INSTALLED = new URL('../socketio-redis/node_modules/@socket.io/redis-adapter/package.json', import.meta.url);
export const SOCKETIO_INSTALL_HINT = 'cd bench/socketio-redis && npm install --no-package-lock';

/** One measured round of one set-up. */
export interface ClusterRound {
  /** Index of the rotation this round belongs to: rounds with the same index ran back to back. */
  rotation: number;
  delivery: DeliveryResult;
  deliveredPerSec: number;
  /** CPU of all server processes of the set-up, summed. */
  serverCpuUs: number;
  serverCpuUsPerDelivery: number;
  /** Each node's CPU per delivery (of all the set-up's deliveries); the first node sends. */
  nodeCpuUsPerDelivery: number[];
  serverCpuPct: number;
  /** redis-server CPU over the round (INFO used_cpu_user + used_cpu_sys); NaN if unreadable. */
  redisCpuUs: number;
  redisCpuUsPerDelivery: number;
  redisCpuPct: number;
  /** Commands Redis processed over the round, by every client (INFO total_commands_processed). */
  redisCommands: number;
  loadCpuPct: number;
  otherCpuPct: number;
  callMsPerBroadcast: number;
  maxTickLagMs: number;
}

type Medians = Omit<ClusterRound, 'rotation' | 'delivery' | 'nodeCpuUsPerDelivery'> & {
  latencyP50: number;
  latencyP99: number;
  nodeCpuUsPerDelivery: number[];
};

export interface ClusterMetrics extends BroadcastRun {
  label: string;
  /** What the nodes said they run (library and version). */
  library: string;
  nodes: number;
  backplane: 'redis' | 'memory';
  payloadBytes: number;
  openMs: number;
  /** What each node said it holds after the connections opened (null: it cannot tell). */
  connectionsPerNode: (number | null)[];
  perRound: ClusterRound[];
  median: Medians;
  totals: DeliveryTotals;
  cpuUsPerDeliveryRange: [number, number];
  problems: string[];
}

export interface RedisBroadcastRunResult {
  connections: number;
  clusters: Partial<Record<ClusterId, Outcome<ClusterMetrics>>>;
}

export interface RedisBroadcastResults {
  url: string;
  /** The Hubwire source measured (versions.ts `sourceRevision`). */
  revision: string;
  /** The set-ups measured, in table order. */
  setups: ClusterId[];
  /** Why a set-up was left out (e.g. Socket.IO's adapter not installed). */
  notes: string[];
  /** Redis version and pid, or why Redis could not be read. */
  redis: Outcome<{ version: string; pid: number }>;
  runs: RedisBroadcastRunResult[];
}

const DRAIN_TIMEOUT_MS = 15_000;
const ROUND_PAUSE_MS = 300;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function specs(): Record<ClusterId, ClusterSpec> {
  // One prefix per set-up and run: set-ups side by side (and earlier runs) never hear each other.
  const run = randomUUID().slice(0, 8);
  const spec = (id: ClusterId, nodes: number, redis: boolean): ClusterSpec => ({
    id,
    label: CLUSTER_LABELS[id],
    nodes,
    redisPrefix: redis ? `hubwire-bench-${run}-${id}` : undefined,
    entry: id.startsWith('socketio') ? SOCKETIO_ENTRY : HUBWIRE_ENTRY,
    client: id.startsWith('socketio') ? 'socketio' : 'hubwire',
  });
  return {
    'two-nodes-redis': spec('two-nodes-redis', 2, true),
    'one-node-redis': spec('one-node-redis', 1, true),
    'one-node-memory': spec('one-node-memory', 1, false),
    'socketio-two-nodes-redis': spec('socketio-two-nodes-redis', 2, true),
    'socketio-one-node-redis': spec('socketio-one-node-redis', 1, true),
  };
}

/** Hubwire's three set-ups, and Socket.IO's two when asked for and installed. */
function chooseSetups(config: BenchConfig, notes: string[]): ClusterId[] {
  const setups: ClusterId[] = ['two-nodes-redis', 'one-node-redis', 'one-node-memory'];
  if (!config.servers.includes('socketio')) return setups;
  if (!existsSync(SOCKETIO_INSTALLED)) {
    notes.push(`Socket.IO 4 on @socket.io/redis-adapter was not measured: its packages are not installed (\`${SOCKETIO_INSTALL_HINT}\`).`);
    return setups;
  }
  return [...setups, 'socketio-two-nodes-redis', 'socketio-one-node-redis'];
}

/** Redis' figures, or NaN ones when they cannot be read (the round is still measured). */
async function redisSample(url: string, problems: string[]): Promise<RedisSample | undefined> {
  try {
    return await redisInfo(url);
  } catch (error) {
    problems.push(`Redis INFO failed: ${failure(error).error}`);
    return undefined;
  }
}

async function measureRound(cluster: Cluster, config: BenchConfig, run: BroadcastRun, rotation: number, problems: string[]): Promise<ClusterRound> {
  const { url } = config.redisBroadcast;
  await cluster.loader.request('expectBroadcasts', { count: run.broadcasts }, 5_000);
  await cluster.status();
  await Promise.all(cluster.nodes.map((node) => node.request('cpuBegin', null, 5_000)));
  const redisBefore = await redisSample(url, problems);
  const busyBefore = systemBusyMs();
  const sent = await cluster.sender.request(
    'broadcast',
    { count: run.broadcasts, intervalMs: run.intervalMs, payloadBytes: config.broadcast.payloadBytes, warmup: false },
    run.broadcasts * run.intervalMs + 40_000,
  );
  const delivery = await cluster.loader.request('awaitBroadcasts', { timeoutMs: DRAIN_TIMEOUT_MS }, DRAIN_TIMEOUT_MS + 5_000);
  const busyAfter = systemBusyMs();
  const redisAfter = await redisSample(url, problems);
  const nodeCpu: CpuDelta[] = await Promise.all(cluster.nodes.map((node) => node.request('cpuEnd', null, 5_000)));
  const loader = await cluster.status();

  problems.push(...clientProblems(loader));
  problems.push(...deliveryProblems(sent, delivery));
  let redisCpuUs = NaN;
  let redisCommands = NaN;
  if (redisBefore && redisAfter) {
    if (redisBefore.pid !== redisAfter.pid) problems.push(`redis-server restarted during a round (pid ${redisBefore.pid} → ${redisAfter.pid})`);
    else {
      redisCpuUs = redisAfter.cpuUs - redisBefore.cpuUs;
      redisCommands = redisAfter.commands - redisBefore.commands;
    }
  }

  const wallMs = (nodeCpu[0] as CpuDelta).wallMs;
  const perNodeUs = nodeCpu.map((cpu) => cpu.userUs + cpu.systemUs);
  const serverCpuUs = perNodeUs.reduce((a, b) => a + b, 0);
  const loaderUs = loader.cpu.userUs + loader.cpu.systemUs;
  const ownMs = (serverCpuUs + loaderUs + (Number.isFinite(redisCpuUs) ? redisCpuUs : 0)) / 1000;
  return {
    rotation,
    delivery,
    deliveredPerSec: delivery.delivered / ((delivery.lastReceiveAt - sent.firstSendAt) / 1000),
    serverCpuUs,
    serverCpuUsPerDelivery: serverCpuUs / delivery.delivered,
    nodeCpuUsPerDelivery: perNodeUs.map((us) => us / delivery.delivered),
    serverCpuPct: cpuPercent({ userUs: serverCpuUs, systemUs: 0, wallMs }),
    redisCpuUs,
    redisCpuUsPerDelivery: redisCpuUs / delivery.delivered,
    redisCpuPct: cpuPercent({ userUs: redisCpuUs, systemUs: 0, wallMs }),
    redisCommands,
    loadCpuPct: cpuPercent(loader.cpu),
    otherCpuPct: Math.max(0, ((busyAfter - busyBefore - ownMs) / wallMs) * 100),
    callMsPerBroadcast: sent.callMs / sent.sent,
    maxTickLagMs: sent.maxTickLagMs,
  };
}

interface Entry {
  library: string;
  openMs: number;
  connectionsPerNode: (number | null)[];
  rounds: ClusterRound[];
  problems: string[];
}

/** Open the run's connections on a set-up, check every node holds its share, and warm up. */
async function prepare(cluster: Cluster, config: BenchConfig, run: BroadcastRun): Promise<Entry> {
  const opened = await cluster.open(run.connections);
  const entry: Entry = { library: cluster.infos[0]?.library ?? '?', openMs: opened.elapsedMs, connectionsPerNode: await cluster.connectionCounts(), rounds: [], problems: [] };
  const share = run.connections / cluster.nodes.length;
  entry.connectionsPerNode.forEach((known, i) => {
    if (known !== null && Math.abs(known - share) >= 1) entry.problems.push(`node ${i + 1} reports ${known} connections, expected ${share}`);
  });
  await warmUpBroadcasts(cluster.sender, cluster.loader, config, opened.open, entry.problems);
  return entry;
}

function summarize(spec: ClusterSpec, run: BroadcastRun, config: BenchConfig, entry: Entry): ClusterMetrics {
  const rounds = entry.rounds;
  if (rounds.length === 0) throw new Error('no round completed');
  const mid = (pick: (r: ClusterRound) => number): number => median(rounds.map(pick));
  return {
    ...run,
    label: spec.label,
    library: entry.library,
    nodes: spec.nodes,
    backplane: spec.redisPrefix === undefined ? 'memory' : 'redis',
    payloadBytes: config.broadcast.payloadBytes,
    openMs: entry.openMs,
    connectionsPerNode: entry.connectionsPerNode,
    perRound: rounds,
    median: {
      ...sharedMedians(rounds),
      nodeCpuUsPerDelivery: Array.from({ length: spec.nodes }, (_, i) => mid((r) => r.nodeCpuUsPerDelivery[i] ?? NaN)),
      redisCpuUs: mid((r) => r.redisCpuUs),
      redisCpuUsPerDelivery: mid((r) => r.redisCpuUsPerDelivery),
      redisCpuPct: mid((r) => r.redisCpuPct),
      redisCommands: mid((r) => r.redisCommands),
    },
    totals: deliveryTotals(rounds),
    cpuUsPerDeliveryRange: cpuPerDeliveryRange(rounds),
    problems: entry.problems,
  };
}

/** Set-ups still running, and why the others dropped out. */
class Lineup {
  readonly live = new Map<ClusterId, Cluster>();
  readonly failures = new Map<ClusterId, string>();
  stage = 'start-up';

  /** Run `step` on each live set-up in `order`; a set-up whose step throws is stopped and drops out. */
  async each(order: readonly ClusterId[], step: (cluster: Cluster, id: ClusterId) => Promise<void>): Promise<void> {
    for (const id of order) {
      const cluster = this.live.get(id);
      if (!cluster) continue;
      try {
        await step(cluster, id);
      } catch (error) {
        this.failures.set(id, `during ${this.stage}: ${failure(error).error}`);
        this.live.delete(id);
        await cluster.stop();
      }
    }
  }

  async stop(): Promise<void> {
    const clusters = [...this.live.values()];
    this.live.clear();
    await Promise.all(clusters.map((c) => c.stop()));
  }
}

async function measureRun(
  lineup: Lineup,
  setups: readonly ClusterId[],
  all: Record<ClusterId, ClusterSpec>,
  config: BenchConfig,
  run: BroadcastRun,
): Promise<RedisBroadcastRunResult> {
  lineup.stage = `broadcast over Redis to ${run.connections} connections`;
  const entries = new Map<ClusterId, Entry>();
  await lineup.each(setups, async (cluster, id) => {
    entries.set(id, await prepare(cluster, config, run));
  });
  for (let rotation = 0; rotation < run.rounds; rotation++) {
    const order = setups.map((_, i) => setups[(i + rotation) % setups.length] as ClusterId);
    await lineup.each(order, async (cluster, id) => {
      const entry = entries.get(id) as Entry;
      await sleep(ROUND_PAUSE_MS);
      entry.rounds.push(await measureRound(cluster, config, run, rotation, entry.problems));
    });
  }
  await lineup.each(setups, (cluster) => cluster.closeAll());
  const clusters: RedisBroadcastRunResult['clusters'] = {};
  for (const id of setups) {
    const failed = lineup.failures.get(id);
    const entry = entries.get(id);
    if (failed !== undefined) clusters[id] = { ok: false, error: failed };
    else if (entry === undefined) clusters[id] = { ok: false, error: 'not measured' };
    else {
      try {
        clusters[id] = { ok: true, value: summarize(all[id], run, config, entry) };
      } catch (error) {
        clusters[id] = failure(error);
      }
    }
  }
  return { connections: run.connections, clusters };
}

/** Every run of the scenario on the same set-ups (started once, always stopped). */
export async function measureRedisBroadcast(config: BenchConfig): Promise<RedisBroadcastResults> {
  const { url, runs } = config.redisBroadcast;
  const notes: string[] = [];
  const setups = chooseSetups(config, notes);
  const revision = sourceRevision();
  const failedRuns = (error: string): RedisBroadcastResults => ({
    url,
    revision,
    setups,
    notes,
    redis: { ok: false, error },
    runs: runs.map((run) => ({ connections: run.connections, clusters: Object.fromEntries(setups.map((id) => [id, { ok: false, error }])) })),
  });
  let redis: RedisSample;
  try {
    const { host } = redisAddress(url);
    if (!LOOPBACK.has(host)) throw new Error(`the benchmark runs on loopback only; REDIS_URL points at '${host}'`);
    redis = await redisInfo(url);
  } catch (error) {
    return failedRuns(`Redis at ${url} is not usable (${failure(error).error}); start redis-server on 127.0.0.1:6379 or leave this scenario out`);
  }
  const all = specs();
  const lineup = new Lineup();
  try {
    const started = await Promise.allSettled(setups.map((id) => Cluster.start(all[id], config)));
    started.forEach((outcome, i) => {
      const id = setups[i] as ClusterId;
      if (outcome.status === 'fulfilled') lineup.live.set(id, outcome.value);
      else lineup.failures.set(id, `during start-up: ${failure(outcome.reason).error}`);
    });
    const results: RedisBroadcastRunResult[] = [];
    for (const run of runs) results.push(await measureRun(lineup, setups, all, config, run));
    return { url, revision, setups, notes, redis: { ok: true, value: { version: redis.version, pid: redis.pid } }, runs: results };
  } finally {
    await lineup.stop();
  }
}
