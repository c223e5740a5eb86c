/** Shared bits of the measured phases: client-side problems, CPU percentages, other load on the machine. */
import type { CpuDelta, LoaderStatus } from '../lib/commands.js';
import { systemBusyMs } from '../lib/system-load.js';
import type { Session } from './session.js';

/** Human-readable list of what went wrong on the client side during a phase. */
export function clientProblems(status: LoaderStatus): string[] {
  const problems: string[] = [];
  if (status.unexpectedCloses > 0) problems.push(`${status.unexpectedCloses} connection(s) closed by the server`);
  if (status.protocolErrors > 0) {
    problems.push(`${status.protocolErrors} unexpected frame(s)/error(s), e.g.: ${status.problemSamples.join(' | ')}`);
  }
  return problems;
}

/** CPU time as a percentage of one core over the wall time. */
export function cpuPercent(cpu: CpuDelta): number {
  return cpu.wallMs > 0 ? ((cpu.userUs + cpu.systemUs) / 1000 / cpu.wallMs) * 100 : NaN;
}

export interface PhaseCpu {
  server: CpuDelta;
  loader: LoaderStatus;
  serverCpuUs: number;
  serverCpuPct: number;
  loadCpuPct: number;
  /** CPU used by everything but this server and its load generator, % of one core (NaN off Linux). */
  otherCpuPct: number;
}

/**
 * Run `phase` between CPU marks of the server, its load generator and the whole
 * machine; the phase's own result comes back with the CPU figures.
 */
export async function measuredPhase<T>(session: Session, phase: () => Promise<T>): Promise<{ result: T; cpu: PhaseCpu }> {
  await session.status();
  await session.server.request('cpuBegin', null, 5_000);
  const busyBefore = systemBusyMs();
  const result = await phase();
  const busyAfter = systemBusyMs();
  const server = await session.server.request('cpuEnd', null, 5_000);
  const loader = await session.status();
  const ownMs = (server.userUs + server.systemUs + loader.cpu.userUs + loader.cpu.systemUs) / 1000;
  const otherCpuPct = Math.max(0, ((busyAfter - busyBefore - ownMs) / server.wallMs) * 100);
  return {
    result,
    cpu: {
      server,
      loader,
      serverCpuUs: server.userUs + server.systemUs,
      serverCpuPct: cpuPercent(server),
      loadCpuPct: cpuPercent(loader.cpu),
      otherCpuPct,
    },
  };
}
