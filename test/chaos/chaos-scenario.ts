/**
 * The recovery chaos scenario: N official clients over three node processes on one Redis, each
 * client in a few recoverable groups; bursts of tagged messages to groups from every node; random
 * cuts of clients' sockets during the bursts (each cut client reconnects to a random live node and
 * recovers its groups from its last positions); one node killed with SIGKILL in the middle of a
 * burst (its clients reconnect elsewhere and recover). Then every client must hold, per group,
 * exactly offsets 1…top: no loss, no duplicate, no reordering. The schedule (memberships, bursts,
 * cuts, the node killed and when) comes from the seed; the run is bounded in messages and time.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { createClient } from '@redis/client';
import { seededRandom } from '../../apps/server/src/random.js';
import { mapLimit } from '../support/e2e.js';
import { until, within } from '../support/wait.js';
import { ChaosClient, type ClientPlan } from './chaos-client.js';
import { checkSenders, checkStream, quantile, rebuildHistory, type SenderCount } from './chaos-check.js';
import { ChaosNode } from './chaos-nodes.js';
import { groupName, type BurstResult, type BurstSend, type NodeStats, type StreamPosition } from './chaos-protocol.js';

/** The scenario's size and schedule. */
export interface ChaosConfig {
  readonly seed: number;
  readonly clients: number;
  readonly nodes: number;
  readonly groups: number;
  readonly groupsPerClient: number;
  /** Every `messagePackEvery`-th client speaks MessagePack, the others JSON. */
  readonly messagePackEvery: number;
  readonly bursts: number;
  /** Groups each live node sends to in one burst. */
  readonly groupsPerBurst: number;
  /** Messages a node sends to each of those groups in one burst. */
  readonly messagesPerSend: number;
  /** Clients cut during each burst (one with no connection up then is skipped; one in the middle of a reconnect is cut). */
  readonly cutsPerBurst: number;
  /** Share of the cuts that destroy the socket; the rest `stop()` the connection. */
  readonly terminateShare: number;
  /** A client whose connection ended is away a random time up to this (ms) before it reconnects. */
  readonly awayMs: number;
  /** The burst (0-based) in which one node is killed with SIGKILL, once half its messages of it were sent. */
  readonly killAtBurst: number;
  /** The history window: it must cover the run (messages per group, and the run's duration). */
  readonly maxCount: number;
  readonly maxAge: number;
  readonly redisUrl: string;
  /** Bound of the whole run after the nodes are up. */
  readonly deadlineMs: number;
  readonly log?: (line: string) => void;
}

/** The scenario's defaults: the full run of `npm run chaos` (1,000 clients). */
export const FULL_RUN: ChaosConfig = {
  seed: 9,
  clients: 1000,
  nodes: 3,
  groups: 50,
  groupsPerClient: 3,
  messagePackEvery: 4,
  bursts: 20,
  groupsPerBurst: 16,
  messagesPerSend: 5,
  cutsPerBurst: 40,
  terminateShare: 0.6,
  awayMs: 500,
  killAtBurst: 10,
  maxCount: 10_000,
  maxAge: 30 * 60_000,
  redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  deadlineMs: 240_000,
};

/** What a run measured. */
export interface ChaosFigures {
  readonly config: Omit<ChaosConfig, 'log'>;
  readonly messagePackClients: number;
  /** Entries in all groups' histories (the sum of the tops). */
  readonly messages: number;
  /** Group messages the clients should have received (each client: the top of each of its groups), and received. */
  readonly deliveriesExpected: number;
  readonly deliveriesReceived: number;
  readonly cuts: { readonly terminate: number; readonly stop: number; readonly skipped: number };
  /**
   * The node killed, its clients then, its sends acknowledged (up to its death) and attempted (the
   * rest of the burst was in flight or not yet sent), and how many of those unacknowledged ones the
   * history holds (an append Redis ran whose answer the node did not live to see).
   */
  readonly kill: { readonly node: number; readonly clients: number; readonly acknowledged: number; readonly attempted: number; readonly unacknowledgedFound: number };
  readonly reconnects: number;
  /** Reconnects that needed more than one connection (a node died under them). */
  readonly retriedReconnects: number;
  readonly joins: number;
  readonly recoveredJoins: number;
  /** Joins answered `recovered: false`, and `snapshot` messages clients got: the snapshot fallbacks. */
  readonly fallbacks: number;
  readonly snapshots: number;
  readonly replayed: number;
  /** From a reconnect's start (after its time away) to a Join answered (ms). */
  readonly recoveryMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly lost: number;
  readonly duplicated: number;
  readonly outOfOrder: number;
  readonly unexpected: number;
  readonly conflicts: number;
  readonly senderDisorder: number;
  readonly lostAcknowledged: number;
  readonly phantom: number;
  /** The surviving nodes' counters, summed. */
  readonly nodes: NodeStats;
  readonly errors: readonly string[];
  readonly wallMs: { readonly total: number; readonly start: number; readonly connect: number; readonly bursts: number; readonly settle: number };
  /** The machine's 1-minute load average when the run began (other work on a shared machine). */
  readonly loadAverage: number;
}

/** True when nothing was lost, duplicated or reordered, no fallback ran, every reconnect recovered and nothing failed. */
export function passed(figures: ChaosFigures): boolean {
  return (
    figures.lost === 0 &&
    figures.duplicated === 0 &&
    figures.outOfOrder === 0 &&
    figures.unexpected === 0 &&
    figures.conflicts === 0 &&
    figures.senderDisorder === 0 &&
    figures.lostAcknowledged === 0 &&
    figures.phantom === 0 &&
    figures.fallbacks === 0 &&
    figures.snapshots === 0 &&
    figures.recoveredJoins === figures.joins &&
    figures.errors.length === 0
  );
}

function sample<T>(random: () => number, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const chosen: T[] = [];
  while (chosen.length < count && pool.length > 0) chosen.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
  return chosen;
}

function plans(config: ChaosConfig, random: () => number): Omit<ClientPlan, 'random' | 'awayMs'>[] {
  const all = Array.from({ length: config.groups }, (_, g) => groupName(g));
  return Array.from({ length: config.clients }, (_, index) => {
    // The first group goes round the groups, so every group has members.
    const first = all[index % config.groups]!;
    const others = sample(random, all.filter((group) => group !== first), config.groupsPerClient - 1);
    return {
      index,
      protocol: index % config.messagePackEvery === config.messagePackEvery - 1 ? 'messagepack' : 'json',
      groups: [first, ...others],
      node: index % config.nodes,
    };
  });
}

async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = createClient({ url: redisUrl, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
  await redis.connect();
  try {
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (keys.length > 0) await redis.del(keys);
  } finally {
    redis.destroy();
  }
}

/** Runs the scenario once and returns its figures (it throws only when it could not run at all). */
export async function runChaos(config: ChaosConfig): Promise<ChaosFigures> {
  const log = config.log ?? (() => undefined);
  const random = seededRandom(config.seed);
  const prefix = `chaos-${config.seed}-${randomUUID()}`;
  const began = performance.now();
  const loadAverage = loadavg()[0]!;
  const nodes: ChaosNode[] = [];
  const clients: ChaosClient[] = [];
  const errors: string[] = [];
  try {
    const settings = { redisUrl: config.redisUrl, prefix, maxCount: config.maxCount, maxAge: config.maxAge, startTimeoutMs: 60_000 };
    nodes.push(...(await Promise.all(Array.from({ length: config.nodes }, (_, index) => ChaosNode.start(index, settings)))));
    const started = performance.now();
    const deadline = started + config.deadlineMs;
    const remaining = (): number => Math.max(1000, deadline - performance.now());
    log(`${config.nodes} nodes listening (${Math.round(started - began)} ms); connecting ${config.clients} clients`);

    const killed = new Set<number>();
    const env = {
      liveNodes: () => nodes.filter((node) => node.alive && !killed.has(node.index)).map((node) => node.index),
      urlOf: (index: number) => nodes[index]!.url(''),
    };
    for (const plan of plans(config, random)) clients.push(new ChaosClient({ ...plan, awayMs: config.awayMs, random: seededRandom((config.seed * 1_000_003 + plan.index) >>> 0) }, env));
    await mapLimit(clients, 25, (client) => client.start());
    const connected = performance.now();
    log(`clients joined (${Math.round(connected - started)} ms)`);

    // sender → group → sends
    const counts = new Map<number, Map<string, { acknowledged: number; attempted: number }>>();
    const countOf = (node: number, group: string) => {
      let byGroup = counts.get(node);
      if (byGroup === undefined) counts.set(node, (byGroup = new Map()));
      let count = byGroup.get(group);
      if (count === undefined) byGroup.set(group, (count = { acknowledged: 0, attempted: 0 }));
      return count;
    };
    // Not drawn: consecutive seeds (the rounds of one run) kill different nodes.
    const victim = config.seed % config.nodes;
    const cuts = { terminate: 0, stop: 0, skipped: 0 };
    let killedClients = 0;
    const allGroups = Array.from({ length: config.groups }, (_, g) => groupName(g));

    for (let b = 0; b < config.bursts; b++) {
      // The schedule is drawn before anything runs, so it depends on the seed alone.
      const live = nodes.filter((node) => node.alive && !killed.has(node.index));
      const plan = live.map((node) => ({
        node,
        sends: sample(random, allGroups, config.groupsPerBurst).map((group): BurstSend => ({ group, from: countOf(node.index, group).attempted + 1, count: config.messagesPerSend })),
      }));
      const cutPlan = Array.from({ length: config.cutsPerBurst }, () => ({ client: Math.floor(random() * clients.length), how: random() < config.terminateShare ? ('terminate' as const) : ('stop' as const) }));
      for (const { node, sends } of plan) for (const send of sends) countOf(node.index, send.group).attempted += send.count;

      const bursts = plan.map(async ({ node, sends }) => {
        const isVictim = b === config.killAtBurst && node.index === victim;
        const total = sends.reduce((sum, send) => sum + send.count, 0);
        const dying = (sent: Readonly<Record<string, number>>) => {
          for (const [group, count] of Object.entries(sent)) countOf(node.index, group).acknowledged += count;
          killed.add(node.index);
          killedClients = clients.filter((client) => client.node === node.index && client.state === 'connected').length;
          log(`burst ${b}: node ${node.index} SIGKILLs itself (${killedClients} clients on it)`);
        };
        try {
          const result = await node.request<BurstResult>({ op: 'burst', sends, ...(isVictim ? { dieAfter: Math.floor(total / 2) } : {}) }, remaining(), isVictim ? dying : undefined);
          for (const [group, sent] of Object.entries(result.sent)) countOf(node.index, group).acknowledged += sent;
          errors.push(...result.failures.map((failure) => `node ${node.index} burst ${b}: ${failure}`));
          if (isVictim) errors.push(`node ${node.index} finished burst ${b} before it was killed: the kill was not mid-burst`);
        } catch (error) {
          if (isVictim) await within(node.exited, 10_000, `node ${node.index} to exit on its SIGKILL`);
          if (!killed.has(node.index)) errors.push(`node ${node.index} burst ${b}: ${error instanceof Error ? error.message : String(error)}`);
        }
      });
      const cutting = (async () => {
        for (const { client, how } of cutPlan) {
          // Spread over the burst, so cuts land before, among and after its messages.
          await new Promise((resolve) => setTimeout(resolve, 2));
          if (clients[client]!.cut(how)) cuts[how]++;
          else cuts.skipped++;
        }
      })();
      await Promise.all([...bursts, cutting]);
      log(`burst ${b} done (${Math.round(performance.now() - connected)} ms)`);
    }
    const burstsDone = performance.now();

    await within(Promise.all(clients.map((client) => client.settled())), remaining(), 'every reconnect to end');
    const survivor = nodes.find((node) => node.alive)!;
    const tops = await survivor.request<Record<string, StreamPosition>>({ op: 'positions', groups: allGroups }, remaining());
    const behind = () => clients.filter((client) => client.state !== 'closed' && client.plan.groups.some((group) => client.lastOffset(group) < tops[group]!.offset));
    await until(() => behind().length === 0, remaining(), 'every client to reach the top of its groups').catch((error: unknown) => {
      errors.push(`${behind().length} clients did not reach the top of their groups: ${error instanceof Error ? error.message : String(error)}`);
    });
    const settledAt = performance.now();
    log(`settled (${Math.round(settledAt - burstsDone)} ms)`);

    const stats = await Promise.all(nodes.filter((node) => node.alive).map((node) => node.request<NodeStats>({ op: 'stats' }, 10_000)));
    return figures(config, {
      clients,
      tops,
      counts,
      cuts,
      victim,
      killedClients,
      stats,
      errors,
      loadAverage,
      wallMs: { total: settledAt - began, start: started - began, connect: connected - started, bursts: burstsDone - connected, settle: settledAt - burstsDone },
      nodeErrors: nodes.flatMap((node) => node.stderr.filter((line) => !expectedWarning(line)).map((line) => `node ${node.index} stderr: ${line}`)),
    });
  } finally {
    await mapLimit(clients, 100, (client) => client.close());
    await Promise.all(nodes.map((node) => node.stop()));
    await deleteKeys(config.redisUrl, prefix).catch((error: unknown) => log(`could not delete the run's keys under ${prefix}: ${String(error)}`));
  }
}

/**
 * A node's warning that the scenario causes on purpose: a `Join` whose connection was cut while it
 * recovered fails (the client retries on another connection). Anything else a node logs is a failure.
 */
function expectedWarning(line: string): boolean {
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    return entry['msg'] === 'hub method failed' && entry['method'] === 'join' && String(entry['err']).includes('while it was recovering');
  } catch {
    return false;
  }
}

interface Observed {
  readonly clients: readonly ChaosClient[];
  readonly tops: Readonly<Record<string, StreamPosition>>;
  readonly counts: ReadonlyMap<number, ReadonlyMap<string, SenderCount>>;
  readonly cuts: ChaosFigures['cuts'];
  readonly victim: number;
  readonly killedClients: number;
  readonly stats: readonly NodeStats[];
  readonly errors: readonly string[];
  readonly nodeErrors: readonly string[];
  readonly wallMs: ChaosFigures['wallMs'];
  readonly loadAverage: number;
}

function figures(config: ChaosConfig, observed: Observed): ChaosFigures {
  const { clients, tops, counts } = observed;
  let deliveriesExpected = 0;
  let deliveriesReceived = 0;
  const stream = { lost: 0, duplicated: 0, outOfOrder: 0, unexpected: 0 };
  const errors = [...observed.errors];
  for (const client of clients) {
    errors.push(...client.errors.map((error) => `client ${client.plan.index}: ${error}`));
    if (client.initialOffsets.some((offset) => offset !== 0)) errors.push(`client ${client.plan.index}: a first join answered a position other than 0`);
    for (const [group, groupLog] of client.logs) {
      const top = tops[group]!;
      deliveriesExpected += top.offset;
      deliveriesReceived += groupLog.offsets.length;
      const check = checkStream(groupLog.offsets, top.offset);
      stream.lost += check.lost;
      stream.duplicated += check.duplicated;
      stream.outOfOrder += check.outOfOrder;
      stream.unexpected += check.unexpected;
      if (groupLog.epochs.size > 1 || (groupLog.epochs.size === 1 && !groupLog.epochs.has(top.epoch))) errors.push(`client ${client.plan.index}: ${group} came in another epoch`);
    }
  }
  const senders = { conflicts: 0, disorder: 0, lostAcknowledged: 0, phantom: 0, unacknowledgedFound: 0 };
  for (const [group, top] of Object.entries(tops)) {
    const history = rebuildHistory(
      clients.flatMap((client) => (client.logs.has(group) ? [client.logs.get(group)!] : [])),
      top.offset,
    );
    const groupCounts = new Map<number, SenderCount>();
    for (const [sender, byGroup] of counts) {
      const count = byGroup.get(group);
      if (count !== undefined) groupCounts.set(sender, count);
    }
    const check = checkSenders(history, groupCounts);
    senders.conflicts += history.conflicts;
    senders.disorder += check.disorder;
    senders.lostAcknowledged += check.lostAcknowledged;
    senders.phantom += check.phantom;
    senders.unacknowledgedFound += check.unacknowledgedFound;
  }
  let acknowledged = 0;
  let attempted = 0;
  for (const count of counts.get(observed.victim)?.values() ?? []) {
    acknowledged += count.acknowledged;
    attempted += count.attempted;
  }
  const reconnects = clients.flatMap((client) => client.reconnects);
  const joins = reconnects.flatMap((reconnect) => reconnect.joins);
  const times = joins.map((join) => join.ms);
  const nodes = observed.stats.reduce<NodeStats>(
    (sum, stats) => ({
      connectionsOpened: sum.connectionsOpened + stats.connectionsOpened,
      recoveryRecovered: sum.recoveryRecovered + stats.recoveryRecovered,
      recoveryMissed: sum.recoveryMissed + stats.recoveryMissed,
      recoveryReplayed: sum.recoveryReplayed + stats.recoveryReplayed,
      recoveryGapsFilled: sum.recoveryGapsFilled + stats.recoveryGapsFilled,
      warnings: sum.warnings + stats.warnings,
    }),
    { connectionsOpened: 0, recoveryRecovered: 0, recoveryMissed: 0, recoveryReplayed: 0, recoveryGapsFilled: 0, warnings: 0 },
  );
  const { log: _log, ...shown } = config;
  return {
    config: shown,
    messagePackClients: clients.filter((client) => client.plan.protocol === 'messagepack').length,
    messages: Object.values(tops).reduce((sum, top) => sum + top.offset, 0),
    deliveriesExpected,
    deliveriesReceived,
    cuts: observed.cuts,
    kill: { node: observed.victim, clients: observed.killedClients, acknowledged, attempted, unacknowledgedFound: senders.unacknowledgedFound },
    reconnects: reconnects.length,
    retriedReconnects: reconnects.filter((reconnect) => reconnect.attempts > 1).length,
    joins: joins.length,
    recoveredJoins: joins.filter((join) => join.recovered).length,
    fallbacks: joins.filter((join) => !join.recovered).length,
    snapshots: clients.reduce((sum, client) => sum + client.snapshots, 0),
    replayed: joins.reduce((sum, join) => sum + join.replayed, 0),
    recoveryMs: { p50: quantile(times, 0.5), p99: quantile(times, 0.99), max: quantile(times, 1) },
    ...stream,
    conflicts: senders.conflicts,
    senderDisorder: senders.disorder,
    lostAcknowledged: senders.lostAcknowledged,
    phantom: senders.phantom,
    nodes,
    errors: [...errors, ...observed.nodeErrors],
    wallMs: observed.wallMs,
    loadAverage: observed.loadAverage,
  };
}
