/**
 * Connect: what a new connection costs the server, start to ready. Each round, every server in
 * turn gets `connections` new clients (in the pool's batches) that connect the way a real client
 * does: Hubwire's negotiate POST, the WebSocket upgrade with the connection token and the hub
 * handshake; for ws and uWS one plain HTTP GET and the upgrade (the "raw ws upgrade + a
 * negotiate request"); Socket.IO's Engine.IO open and namespace connect over WebSocket. The server
 * CPU over the opening, divided by the connections, is the figure; closing them is not measured.
 */
import { sleep } from '../lib/clock.js';
import { CLIENT_VARIANTS, type ServerKind } from '../lib/commands.js';
import type { BenchConfig } from '../lib/config.js';
import type { RoundSlice } from '../lib/ratios.js';
import { median } from '../lib/stats.js';
import type { Arena } from './arena.js';
import { clientProblems, measuredPhase } from './measure.js';
import type { Outcome } from './session.js';

export interface ConnectRound extends RoundSlice {
  connectionsPerSec: number;
  otherCpuPct: number;
}

export interface ConnectMetrics {
  connections: number;
  perRound: ConnectRound[];
  /** Medians over the rounds. */
  serverCpuUsPerConnection: number;
  connectionsPerSec: number;
  otherCpuPct: number;
  range: [number, number];
  problems: string[];
}

export type ConnectResults = Partial<Record<ServerKind, Outcome<ConnectMetrics>>>;

const WARMUP_CONNECTIONS = 100;
/** Lets the server finish tearing the closed connections down before the next server's turn. */
const SETTLE_MS = 300;

export async function measureConnect(arena: Arena, config: BenchConfig): Promise<ConnectResults> {
  const { connections, rounds } = config.connect;
  arena.stage = `connect (${connections} connections per round)`;
  const measured = (kind: ServerKind): boolean => !CLIENT_VARIANTS.includes(kind);
  const perServer = new Map<ServerKind, { rounds: ConnectRound[]; problems: string[] }>();
  await arena.each(async (session) => {
    if (!measured(session.kind)) return;
    perServer.set(session.kind, { rounds: [], problems: [] });
    await session.open(WARMUP_CONNECTIONS, { viaHttp: true });
    await session.closeAll();
  });
  await arena.rounds(rounds, async (session, round) => {
    const entry = perServer.get(session.kind);
    if (!entry) return;
    await sleep(SETTLE_MS);
    const { result, cpu } = await measuredPhase(session, () => session.open(connections, { viaHttp: true }));
    entry.problems.push(...clientProblems(cpu.loader));
    entry.rounds.push({
      round,
      cpuUs: cpu.serverCpuUs,
      ops: result.open,
      connectionsPerSec: result.open / (result.elapsedMs / 1000),
      otherCpuPct: cpu.otherCpuPct,
    });
    await session.closeAll();
  });
  const outcomes = arena.outcomes((kind) => {
    const entry = perServer.get(kind);
    if (!entry) throw new Error('not measured');
    const costs = entry.rounds.map((r) => r.cpuUs / r.ops);
    return {
      connections,
      perRound: entry.rounds,
      serverCpuUsPerConnection: median(costs),
      connectionsPerSec: median(entry.rounds.map((r) => r.connectionsPerSec)),
      otherCpuPct: median(entry.rounds.map((r) => r.otherCpuPct)),
      range: [Math.min(...costs), Math.max(...costs)] as [number, number],
      problems: entry.problems,
    };
  });
  for (const kind of CLIENT_VARIANTS) delete outcomes[kind];
  return outcomes;
}
