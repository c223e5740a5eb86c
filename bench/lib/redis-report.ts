/**
 * Markdown for the redis-broadcast scenario: its own `##` section of docs/benchmarks.md (one
 * table per connection count, set-ups side by side) and its bar, "2 nodes within 1.3x of 1".
 */
import type { BenchConfig } from './config.js';
import type { MachineInfo } from './machine.js';
import { BUSY_PCT, fmt, oneLine } from './report.js';
import {
  CLUSTER_LABELS,
  ONE_NODE_OF,
  type ClusterId,
  type ClusterMetrics,
  type RedisBroadcastResults,
  type RedisBroadcastRunResult,
} from '../scenarios/redis-broadcast.js';

export const REDIS_SECTION_HEADING = '## Broadcast over Redis: 2 nodes vs 1';

const BAR_CONNECTIONS = 5_000;
const BAR_RATIO = 1.3;
const TWO: ClusterId = 'two-nodes-redis';
const ONE: ClusterId = 'one-node-redis';
const MEMORY: ClusterId = 'one-node-memory';
const SOCKETIO_TWO: ClusterId = 'socketio-two-nodes-redis';
const SOCKETIO_ONE: ClusterId = 'socketio-one-node-redis';

export interface RedisBarVerdict {
  holds: boolean | null;
  connections: number;
  twoNodesUs: number;
  oneNodeUs: number;
  memoryUs: number;
  /** Smallest and largest ratio of 2 nodes to 1 node (Redis) over rotations measured back to back. */
  ratioRange: [number, number];
  line: string;
}

function metrics(run: RedisBroadcastRunResult, id: ClusterId): ClusterMetrics | undefined {
  const outcome = run.clusters[id];
  return outcome?.ok ? outcome.value : undefined;
}

/** Ratio of the medians, and the range of the ratios of rounds that ran in the same rotation. */
export function cpuRatio(value: ClusterMetrics, base: ClusterMetrics): { median: number; range: [number, number] } {
  const ratios = value.perRound.flatMap((round) => {
    const paired = base.perRound.find((r) => r.rotation === round.rotation);
    return paired ? [round.serverCpuUsPerDelivery / paired.serverCpuUsPerDelivery] : [];
  });
  return {
    median: value.median.serverCpuUsPerDelivery / base.median.serverCpuUsPerDelivery,
    range: ratios.length > 0 ? [Math.min(...ratios), Math.max(...ratios)] : [NaN, NaN],
  };
}

function ratioCell(value: ClusterMetrics, base: ClusterMetrics | undefined): string {
  if (!base) return 'n/a';
  if (base === value) return '–';
  const { median, range } = cpuRatio(value, base);
  return `${fmt(median, 2)}x (${fmt(range[0], 2)}–${fmt(range[1], 2)}x)`;
}

type Row = [label: string, cell: (m: ClusterMetrics, run: RedisBroadcastRunResult, id: ClusterId) => string];

function table(run: RedisBroadcastRunResult, setups: readonly ClusterId[]): string {
  const rows: Row[] = [
    // The memory manager does not say how many connections it holds: the share opened on it is shown.
    ['connections per node', (m) => m.connectionsPerNode.map((n) => fmt(n ?? m.connections / m.nodes)).join(' + ')],
    ['deliveries received / expected (all rounds)', (m) => `${fmt(m.totals.delivered)} / ${fmt(m.totals.expected)}`],
    ['delivered messages/s', (m) => fmt(m.median.deliveredPerSec)],
    ['latency p50 (ms)', (m) => fmt(m.median.latencyP50, 2)],
    ['latency p99 (ms)', (m) => fmt(m.median.latencyP99, 2)],
    ['**server CPU per delivery, all server processes (µs)**', (m) => `**${fmt(m.median.serverCpuUsPerDelivery, 2)}**`],
    ['… range over the rounds (µs)', (m) => `${fmt(m.cpuUsPerDeliveryRange[0], 2)}–${fmt(m.cpuUsPerDeliveryRange[1], 2)}`],
    ['… by node: sending node + other node (µs)', (m) => m.median.nodeCpuUsPerDelivery.map((us) => fmt(us, 2)).join(' + ')],
    ['CPU per delivery vs the same server on 1 node, Redis (range over rotations)', (m, r, id) => ratioCell(m, metrics(r, ONE_NODE_OF[id]))],
    ['CPU per delivery vs Hubwire on 1 node, memory (range over rotations)', (m, r) => ratioCell(m, metrics(r, MEMORY))],
    ['Redis server CPU per delivery (µs)', (m) => fmt(m.median.redisCpuUsPerDelivery, 3)],
    ['Redis server CPU per broadcast (µs)', (m) => fmt(m.median.redisCpuUs / m.broadcasts, 1)],
    ['Redis server CPU during a round (% of one core)', (m) => fmt(m.median.redisCpuPct, 1)],
    ['commands Redis processed during a round, all clients', (m) => fmt(m.median.redisCommands)],
    ['server CPU during a round, summed (% of one core)', (m) => fmt(m.median.serverCpuPct)],
    ['time in one broadcast call, sending node (ms)', (m) => fmt(m.median.callMsPerBroadcast, 2)],
    ['worst lag of a broadcast behind its schedule (ms)', (m) => fmt(m.median.maxTickLagMs, 1)],
    ['lost / duplicated / out of order', (m) => `${fmt(m.totals.lost)} / ${fmt(m.totals.duplicates)} / ${fmt(m.totals.outOfOrder)}`],
    ['load generator CPU (% of one core)', (m) => fmt(m.median.loadCpuPct)],
    ['other CPU load on the machine (% of one core)', (m) => fmt(m.median.otherCpuPct)],
    ['time to open the connections (s)', (m) => fmt(m.openMs / 1000, 1)],
  ];
  const lines = rows.map(([label, cell]) => {
    const cells = setups.map((id) => {
      const outcome = run.clusters[id];
      if (!outcome) return '–';
      return outcome.ok ? cell(outcome.value, run, id) : 'failed';
    });
    return `| ${label} | ${cells.join(' | ')} |`;
  });
  const notes = setups.flatMap((id) => {
    const outcome = run.clusters[id];
    if (outcome && !outcome.ok) return [`- **${CLUSTER_LABELS[id]} failed:** ${oneLine(outcome.error)}`];
    return (outcome?.ok ? outcome.value.problems : []).map((p) => `- ${CLUSTER_LABELS[id]}: ${oneLine(p)}`);
  });
  const busy = Math.max(...setups.map((id) => metrics(run, id)?.median.otherCpuPct ?? NaN).filter(Number.isFinite));
  return [
    `| | ${setups.map((id) => CLUSTER_LABELS[id]).join(' | ')} |`,
    `|---|${setups.map(() => '--:').join('|')}|`,
    ...lines,
    ...(notes.length > 0 ? ['', ...notes] : []),
    ...(busy > BUSY_PCT ? ['', `> The machine was busy with other work during these rounds (other CPU load up to ${fmt(busy)}% of a core).`] : []),
  ].join('\n');
}

/** "2-node CPU per delivery within 1.3x of a single node on the same backplane", at 5,000 connections. */
export function evaluateRedisBar(results: RedisBroadcastResults | null): RedisBarVerdict | null {
  const run = results?.runs.find((r) => r.connections === BAR_CONNECTIONS) ?? results?.runs.at(-1);
  if (!run) return null;
  const [two, one, memory] = [metrics(run, TWO), metrics(run, ONE), metrics(run, MEMORY)];
  const twoNodesUs = two?.median.serverCpuUsPerDelivery ?? NaN;
  const oneNodeUs = one?.median.serverCpuUsPerDelivery ?? NaN;
  const memoryUs = memory?.median.serverCpuUsPerDelivery ?? NaN;
  const ratio = two && one ? cpuRatio(two, one) : { median: NaN, range: [NaN, NaN] as [number, number] };
  const holds = Number.isFinite(ratio.median) ? ratio.median <= BAR_RATIO : null;
  const verdict = holds === null ? 'NOT EVALUATED' : holds ? 'HOLDS' : 'DOES NOT HOLD';
  const caveat = run.connections === BAR_CONNECTIONS ? '' : ` (indicative only: measured at ${fmt(run.connections)} connections, not ${fmt(BAR_CONNECTIONS)})`;
  const rotations = two?.perRound.length ?? 0;
  const figures =
    holds === null
      ? `missing data: 2 nodes ${fmt(twoNodesUs, 2)} µs, 1 node ${fmt(oneNodeUs, 2)} µs`
      : `2 nodes ${fmt(twoNodesUs, 2)} µs vs 1 node ${fmt(oneNodeUs, 2)} µs per delivery (${fmt(ratio.median, 2)}x, ` +
        `${fmt(ratio.range[0], 2)}–${fmt(ratio.range[1], 2)}x over ${rotations} rotations, limit ${BAR_RATIO}x); ` +
        `1 node on the memory manager ${fmt(memoryUs, 2)} µs (2 nodes: ${fmt(twoNodesUs / memoryUs, 2)}x)`;
  const [sioTwo, sioOne] = [metrics(run, SOCKETIO_TWO), metrics(run, SOCKETIO_ONE)];
  const socketIo =
    holds !== null && sioTwo && sioOne
      ? ` For comparison, Socket.IO 4 on @socket.io/redis-adapter: 2 nodes ${fmt(sioTwo.median.serverCpuUsPerDelivery, 2)} µs vs 1 node ` +
        `${fmt(sioOne.median.serverCpuUsPerDelivery, 2)} µs (${fmt(cpuRatio(sioTwo, sioOne).median, 2)}x).`
      : '';
  const busy = Math.max(...[two, one, memory].map((m) => m?.median.otherCpuPct ?? NaN).filter(Number.isFinite));
  const warning = busy > BUSY_PCT ? ` Caution: the machine was busy with other work (other CPU load up to ${fmt(busy)}% of a core).` : '';
  const line =
    `Bar "2-node server CPU per broadcast delivery over Redis at ${fmt(BAR_CONNECTIONS)} connections within ${BAR_RATIO}x ` +
    `of a single node on the same backplane": ${verdict}: ${figures}${caveat}.${socketIo}${warning}`;
  return { holds, connections: run.connections, twoNodesUs, oneNodeUs, memoryUs, ratioRange: ratio.range, line };
}

/** The whole `##` section: how it was measured, the bar, one table per connection count. */
export function renderRedisSection(results: RedisBroadcastResults, bar: RedisBarVerdict | null, machine: MachineInfo, config: BenchConfig): string {
  const libraries = [...new Set(results.runs.flatMap((run) => Object.values(run.clusters).flatMap((o) => (o?.ok ? [o.value.library] : []))))];
  const redis = results.redis.ok ? `Redis ${results.redis.value.version} at ${results.url}` : `Redis at ${results.url} (unusable: ${oneLine(results.redis.error)})`;
  const parts = [
    REDIS_SECTION_HEADING,
    '',
    `Generated by \`npm run bench -- --scenario=redis-broadcast${config.quick ? ' --quick' : ''}\` on ${machine.date.slice(0, 10)}, ` +
      'a run of its own: the tables above come from the run named at the top of this file, and the generator replaces only this ' +
      'section (bench/lib/docs-file.ts), so the two may be from different days and machine loads.',
    '',
    `- Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.os}; Node ${machine.node}; ${libraries.join(', ') || 'no server started'}; Hubwire at ${results.revision}; ${redis}. ` +
      'The machine is shared with other work, and so is this Redis (other clients\' commands show in the "commands Redis processed" row).',
    '- Set-ups, up side by side and taking turns round by round (order rotated): **2 nodes, Redis**: two Hubwire server processes on ' +
      '`redisLifetimeManager()` with one prefix, the connections split evenly between them; **1 node, Redis**: one process on the ' +
      'backplane (a prefix of its own), all connections; **1 node, memory**: one process on the default memory manager, as in the ' +
      'broadcast scenario above. When installed (`bench/socketio-redis`, not a project dependency), **Socket.IO 4** on ' +
      '`@socket.io/redis-adapter` runs the same way on 2 nodes and on 1 (`io.emit`, WebSocket transport only). Each set-up has its ' +
      'own load-generator process (the hand-written SignalR JSON or Engine.IO/Socket.IO client of the broadcast scenario).',
    '- Every broadcast is `clients.all.send` (Socket.IO: `io.emit`) on the first node; on 2 nodes it reaches the other node\'s connections through Redis ' +
      'pub/sub. Each connection must receive every broadcast (lost, duplicated and out-of-order deliveries are counted). Warm-up ' +
      'broadcasts run until every connection, on either node, has received one.',
    '- **Server CPU** is `process.cpuUsage()` of every server process of the set-up, summed, from just before the first broadcast ' +
      'of a round until its last delivery, divided by the deliveries. **Redis server CPU** is the delta of `INFO` `used_cpu_user + ' +
      'used_cpu_sys` over the same window, reported apart and not included in server CPU; it includes whatever other clients made ' +
      'Redis do (and the two `INFO` calls of the round), so the memory column, which publishes nothing, shows that background; ' +
      'what the backplane costs Redis is the difference to it. Ratios are of the medians; the range in ' +
      'parentheses is over the rotations (rounds of the two set-ups that ran back to back).',
    '- The bar compares the 2-node set-up with the 1-node set-up on the same backplane (the memory figure is there for context). ' +
      'On 2 shared cores, the 2-node rounds have two server processes, Redis and the load generator competing for the cores.',
    ...results.notes.map((note) => `- ${note}`),
    '',
  ];
  if (bar) parts.push(`**${bar.line}**`, '');
  for (const run of results.runs) {
    const m = metricsOf(run);
    const intro = m
      ? `${m.rounds} rounds per set-up of ${fmt(m.broadcasts)} broadcasts of a ${m.payloadBytes}-byte JSON payload ` +
        `(sequence number + send timestamp), one every ${m.intervalMs} ms, to ${fmt(run.connections)} connections ` +
        `(${fmt(m.broadcasts * run.connections)} deliveries expected per round); figures are medians over the rounds. ` +
        'Latency is from the sending node stamping the payload to a client parsing it, on whichever node the client is.'
      : '';
    parts.push(`### Broadcast over Redis, ${fmt(run.connections)} connections`, '', intro, '', table(run, results.setups), '');
  }
  return `${parts.join('\n').trimEnd()}\n`;
}

function metricsOf(run: RedisBroadcastRunResult): ClusterMetrics | undefined {
  return Object.values(run.clusters).flatMap((outcome) => (outcome?.ok ? [outcome.value] : []))[0];
}
