/**
 * Echo round trips: each client sends its next request when the previous answer
 * arrives. For each client count, the servers take turns in short rounds.
 */
import type { EchoResult, ServerKind } from '../lib/commands.js';
import type { BenchConfig } from '../lib/config.js';
import { median } from '../lib/stats.js';
import type { Arena } from './arena.js';
import { clientProblems, measuredPhase } from './measure.js';
import type { Outcome, Session } from './session.js';

export interface EchoRound {
  /** The measured round this belongs to (with `--slices`, several slices share a round). */
  round: number;
  echo: EchoResult;
  /** Server CPU over the slice (µs). */
  serverCpuUs: number;
  roundTripsPerSec: number;
  serverCpuUsPerRoundTrip: number;
  serverCpuPct: number;
  loadCpuPct: number;
  otherCpuPct: number;
}

export interface EchoMetrics {
  clients: number;
  perRound: EchoRound[];
  /** Medians over the rounds. */
  roundTripsPerSec: number;
  latencyP50: number;
  latencyP99: number;
  serverCpuUsPerRoundTrip: number;
  serverCpuPct: number;
  loadCpuPct: number;
  otherCpuPct: number;
  errors: number;
  problems: string[];
}

export type EchoResults = { clients: number; servers: Partial<Record<ServerKind, Outcome<EchoMetrics>>> }[];

async function echoRound(session: Session, round: number, clients: number, durationMs: number, problems: string[]): Promise<EchoRound> {
  const { result: echo, cpu } = await measuredPhase(session, () =>
    session.loader.request('echo', { clients, durationMs, record: true }, durationMs + 10_000),
  );
  problems.push(...clientProblems(cpu.loader));
  if (echo.errors > 0) problems.push(`${echo.errors} failed round trip(s), e.g.: ${echo.errorSamples.join(' | ')}`);
  return {
    round,
    echo,
    serverCpuUs: cpu.serverCpuUs,
    roundTripsPerSec: echo.roundTrips / (echo.elapsedMs / 1000),
    serverCpuUsPerRoundTrip: cpu.serverCpuUs / echo.roundTrips,
    serverCpuPct: cpu.serverCpuPct,
    loadCpuPct: cpu.loadCpuPct,
    otherCpuPct: cpu.otherCpuPct,
  };
}

function summarize(clients: number, rounds: EchoRound[], problems: string[]): EchoMetrics {
  if (rounds.length === 0) throw new Error('no round completed');
  const mid = (pick: (r: EchoRound) => number): number => median(rounds.map(pick));
  return {
    clients,
    perRound: rounds,
    roundTripsPerSec: mid((r) => r.roundTripsPerSec),
    latencyP50: mid((r) => r.echo.latency.p50),
    latencyP99: mid((r) => r.echo.latency.p99),
    serverCpuUsPerRoundTrip: mid((r) => r.serverCpuUsPerRoundTrip),
    serverCpuPct: mid((r) => r.serverCpuPct),
    loadCpuPct: mid((r) => r.loadCpuPct),
    otherCpuPct: mid((r) => r.otherCpuPct),
    errors: rounds.reduce((n, r) => n + r.echo.errors, 0),
    problems,
  };
}

export async function measureEcho(arena: Arena, config: BenchConfig): Promise<EchoResults> {
  const { clients: clientCounts, warmupMs, roundMs, rounds } = config.echo;
  // With slices, the round's time is split among them (each server still runs roundMs per round).
  const sliceMs = Math.max(100, Math.round(roundMs / config.slices));
  const results: EchoResults = [];
  for (const clients of clientCounts) {
    arena.stage = `echo with ${clients} client(s)`;
    const perServer = new Map<ServerKind, { rounds: EchoRound[]; problems: string[] }>();
    await arena.each(async (session) => {
      perServer.set(session.kind, { rounds: [], problems: [] });
      await session.open(clients);
      await session.loader.request('echo', { clients, durationMs: warmupMs, record: false }, warmupMs + 10_000);
    });
    await arena.rounds(
      rounds,
      async (session, round) => {
        const entry = perServer.get(session.kind);
        if (entry) entry.rounds.push(await echoRound(session, round, clients, sliceMs, entry.problems));
      },
      config.slices,
    );
    await arena.each((session) => session.closeAll());
    results.push({
      clients,
      servers: arena.outcomes((kind) => {
        const entry = perServer.get(kind);
        if (!entry) throw new Error('not measured');
        return summarize(clients, entry.rounds, entry.problems);
      }),
    });
  }
  return results;
}
