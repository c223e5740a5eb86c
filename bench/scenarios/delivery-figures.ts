/**
 * The figures the broadcast and redis-broadcast scenarios both draw from a measured round and
 * from their rounds together: what went wrong with the deliveries, the median of each shared
 * figure, and the totals. Each scenario adds the figures of its own (Redis' CPU, per node).
 */
import type { BroadcastResult, DeliveryResult } from '../lib/commands.js';
import { median } from '../lib/stats.js';

/** The figures of a round that both scenarios report. */
export interface SharedRoundFigures {
  delivery: DeliveryResult;
  deliveredPerSec: number;
  serverCpuUs: number;
  serverCpuUsPerDelivery: number;
  serverCpuPct: number;
  loadCpuPct: number;
  otherCpuPct: number;
  /** Mean time the server spent inside one broadcast call (its synchronous part). */
  callMsPerBroadcast: number;
  maxTickLagMs: number;
}

export type SharedMedians = Omit<SharedRoundFigures, 'delivery'> & { latencyP50: number; latencyP99: number };

export interface DeliveryTotals {
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
}

/** The round's problems: send errors, and deliveries missing, repeated or out of order. */
export function deliveryProblems(sent: BroadcastResult, delivery: DeliveryResult): string[] {
  const problems: string[] = [];
  if (sent.sendErrors.length > 0) problems.push(`server broadcast errors: ${sent.sendErrors.join(' | ')}`);
  if (!delivery.complete) problems.push(`${delivery.lost} of ${delivery.expected} deliveries missing on ${delivery.incompleteConnections} connection(s)`);
  if (delivery.duplicates > 0) problems.push(`${delivery.duplicates} duplicate deliveries`);
  if (delivery.outOfOrder > 0) problems.push(`${delivery.outOfOrder} out-of-order deliveries`);
  return problems;
}

/** The median of each shared figure over the rounds. */
export function sharedMedians(rounds: readonly SharedRoundFigures[]): SharedMedians {
  const mid = (pick: (r: SharedRoundFigures) => number): number => median(rounds.map(pick));
  return {
    deliveredPerSec: mid((r) => r.deliveredPerSec),
    serverCpuUs: mid((r) => r.serverCpuUs),
    serverCpuUsPerDelivery: mid((r) => r.serverCpuUsPerDelivery),
    serverCpuPct: mid((r) => r.serverCpuPct),
    loadCpuPct: mid((r) => r.loadCpuPct),
    otherCpuPct: mid((r) => r.otherCpuPct),
    callMsPerBroadcast: mid((r) => r.callMsPerBroadcast),
    maxTickLagMs: mid((r) => r.maxTickLagMs),
    latencyP50: mid((r) => r.delivery.latency.p50),
    latencyP99: mid((r) => r.delivery.latency.p99),
  };
}

/** Deliveries expected, delivered, lost, repeated and out of order, over all rounds. */
export function deliveryTotals(rounds: readonly { delivery: DeliveryResult }[]): DeliveryTotals {
  const sum = (pick: (d: DeliveryResult) => number): number => rounds.reduce((n, r) => n + pick(r.delivery), 0);
  return {
    expected: sum((d) => d.expected),
    delivered: sum((d) => d.delivered),
    lost: sum((d) => d.lost),
    duplicates: sum((d) => d.duplicates),
    outOfOrder: sum((d) => d.outOfOrder),
  };
}

/** Smallest and largest server CPU per delivery over the rounds. */
export function cpuPerDeliveryRange(rounds: readonly SharedRoundFigures[]): [number, number] {
  const cpu = rounds.map((r) => r.serverCpuUsPerDelivery);
  return [Math.min(...cpu), Math.max(...cpu)];
}
