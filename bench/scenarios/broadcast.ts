/**
 * Broadcast fan-out: N idle connections per server; the server broadcasts a
 * fixed number of small payloads at a paced rate and the clients account for
 * every delivery. The servers take turns, round by round.
 */
import { sleep } from '../lib/clock.js';
import type { Child } from '../lib/children.js';
import type { LoaderCommands, ServerCommands, ServerKind } from '../lib/commands.js';
import type { BenchConfig, BroadcastRun } from '../lib/config.js';
import type { Arena } from './arena.js';
import { cpuPerDeliveryRange, deliveryProblems, deliveryTotals, sharedMedians, type DeliveryTotals, type SharedMedians, type SharedRoundFigures } from './delivery-figures.js';
import { clientProblems, measuredPhase } from './measure.js';
import type { Outcome, Session } from './session.js';

/**
 * One measured round (or, with `--slices`, one slice of round `round`): a fixed number of paced
 * broadcasts on the already-open connections.
 */
export type BroadcastRound = SharedRoundFigures & { round: number };

export interface BroadcastMetrics extends BroadcastRun {
  payloadBytes: number;
  openMs: number;
  perRound: BroadcastRound[];
  /** Per-metric medians over the rounds (losses etc. are in `totals`). */
  median: SharedMedians;
  totals: DeliveryTotals;
  /** Smallest and largest server CPU per delivery over the rounds. */
  cpuUsPerDeliveryRange: [number, number];
  problems: string[];
}

export type BroadcastResults = { connections: number; servers: Partial<Record<ServerKind, Outcome<BroadcastMetrics>>> };

/** Time allowed for the last deliveries to arrive after the last broadcast was sent. */
const DRAIN_TIMEOUT_MS = 15_000;
const MAX_WARMUP_ROUNDS = 10;
const MAX_WARMUP_BROADCASTS = 100;
const ROUND_PAUSE_MS = 300;

/** Broadcast warm-up messages until every connection has received one (the server has registered them all). */
async function warmUp(session: Session, config: BenchConfig, open: number, problems: string[]): Promise<void> {
  const known = await session.server.request('connections', null, 5_000);
  if (known !== null && known !== open) problems.push(`server reports ${known} connections, ${open} open on the client side`);
  await warmUpBroadcasts(session.server, session.loader, config, open, problems);
}

/**
 * Warm-up broadcasts from `sender` until each of the loader's `open` connections has received
 * one (wherever it is connected), in at most 10 bounded rounds; throws if they never do.
 */
export async function warmUpBroadcasts(
  sender: Child<ServerCommands>,
  loader: Child<LoaderCommands>,
  config: BenchConfig,
  open: number,
  problems: string[],
): Promise<void> {
  const { warmupBroadcasts, warmupDeliveries } = config.broadcast;
  const count = Math.min(MAX_WARMUP_BROADCASTS, Math.max(warmupBroadcasts, Math.ceil(warmupDeliveries / Math.max(1, open))));
  for (let round = 1; round <= MAX_WARMUP_ROUNDS; round++) {
    await loader.request('resetWarm', null, 5_000);
    await sender.request('broadcast', { count, intervalMs: 10, payloadBytes: config.broadcast.payloadBytes, warmup: true }, 30_000);
    const deadline = performance.now() + 5_000;
    let warm = 0;
    while (performance.now() < deadline) {
      ({ warm } = await loader.request('warmCount', null, 5_000));
      if (warm >= open) return;
      await sleep(100);
    }
    problems.push(`warm-up round ${round}: only ${warm}/${open} connections received a broadcast`);
  }
  throw new Error(`connections never all received a warm-up broadcast: ${problems.join('; ')}`);
}

export async function measureRound(session: Session, config: BenchConfig, run: BroadcastRun, round: number, problems: string[]): Promise<BroadcastRound> {
  const { payloadBytes } = config.broadcast;
  // With slices, the round's broadcasts are split among them.
  const broadcasts = Math.max(1, Math.ceil(run.broadcasts / config.slices));
  await session.loader.request('expectBroadcasts', { count: broadcasts }, 5_000);
  const { result, cpu } = await measuredPhase(session, async () => {
    const sent = await session.server.request(
      'broadcast',
      { count: broadcasts, intervalMs: run.intervalMs, payloadBytes, warmup: false },
      broadcasts * run.intervalMs + 40_000,
    );
    const delivery = await session.loader.request('awaitBroadcasts', { timeoutMs: DRAIN_TIMEOUT_MS }, DRAIN_TIMEOUT_MS + 5_000);
    return { sent, delivery };
  });
  const { sent, delivery } = result;
  problems.push(...clientProblems(cpu.loader));
  problems.push(...deliveryProblems(sent, delivery));
  return {
    round,
    delivery,
    deliveredPerSec: delivery.delivered / ((delivery.lastReceiveAt - sent.firstSendAt) / 1000),
    serverCpuUs: cpu.serverCpuUs,
    serverCpuUsPerDelivery: cpu.serverCpuUs / delivery.delivered,
    serverCpuPct: cpu.serverCpuPct,
    loadCpuPct: cpu.loadCpuPct,
    otherCpuPct: cpu.otherCpuPct,
    callMsPerBroadcast: sent.callMs / sent.sent,
    maxTickLagMs: sent.maxTickLagMs,
  };
}

function summarize(run: BroadcastRun, config: BenchConfig, openMs: number, rounds: BroadcastRound[], problems: string[]): BroadcastMetrics {
  if (rounds.length === 0) throw new Error('no round completed');
  return {
    ...run,
    payloadBytes: config.broadcast.payloadBytes,
    openMs,
    perRound: rounds,
    median: sharedMedians(rounds),
    totals: deliveryTotals(rounds),
    cpuUsPerDeliveryRange: cpuPerDeliveryRange(rounds),
    problems,
  };
}

/** All servers hold `run.connections` connections at once; rounds alternate between them. */
export async function measureBroadcast(arena: Arena, config: BenchConfig, run: BroadcastRun): Promise<BroadcastResults> {
  arena.stage = `broadcast to ${run.connections} connections`;
  const perServer = new Map<ServerKind, { openMs: number; rounds: BroadcastRound[]; problems: string[] }>();
  await arena.each(async (session) => {
    const opened = await session.open(run.connections);
    const entry = { openMs: opened.elapsedMs, rounds: [] as BroadcastRound[], problems: [] as string[] };
    perServer.set(session.kind, entry);
    await warmUp(session, config, opened.open, entry.problems);
  });
  await arena.rounds(
    run.rounds,
    async (session, round) => {
      const entry = perServer.get(session.kind);
      if (!entry) return;
      await sleep(ROUND_PAUSE_MS);
      entry.rounds.push(await measureRound(session, config, run, round, entry.problems));
    },
    config.slices,
  );
  await arena.each((session) => session.closeAll());
  return {
    connections: run.connections,
    servers: arena.outcomes((kind) => {
      const entry = perServer.get(kind);
      if (!entry) throw new Error('not measured');
      return summarize(run, config, entry.openMs, entry.rounds, entry.problems);
    }),
  };
}
