/**
 * Ratios that hold: server A's CPU per operation against server B's, round by round. Servers
 * take turns within each round (arena.ts), so round r of A and round r of B ran in the same
 * stretch of time; the ratio of each such pair is one sample, and a ratio is shown as the median
 * of those with their smallest and largest. A round's figure sums its slices: CPU over
 * operations (round trips, deliveries, connections).
 */
import { fmt } from './format.js';
import { median } from './stats.js';

/** One measured slice of a round (a whole round when there are no slices). */
export interface RoundSlice {
  round: number;
  cpuUs: number;
  ops: number;
}

export interface RatioRange {
  median: number;
  min: number;
  max: number;
  /** Round pairs the figure comes from. */
  pairs: number;
}

/** Server CPU per operation of each round, its slices summed. */
export function perRoundCost(slices: readonly RoundSlice[]): Map<number, number> {
  const sums = new Map<number, { cpuUs: number; ops: number }>();
  for (const slice of slices) {
    const sum = sums.get(slice.round) ?? { cpuUs: 0, ops: 0 };
    sum.cpuUs += slice.cpuUs;
    sum.ops += slice.ops;
    sums.set(slice.round, sum);
  }
  return new Map([...sums].map(([round, sum]) => [round, sum.cpuUs / sum.ops]));
}

/** A over B for every round both have; undefined when they share none. */
export function ratioRange(a: readonly RoundSlice[] | undefined, b: readonly RoundSlice[] | undefined): RatioRange | undefined {
  if (!a || !b) return undefined;
  const costA = perRoundCost(a);
  const costB = perRoundCost(b);
  const ratios = [...costA.keys()].filter((round) => costB.has(round)).map((round) => costA.get(round)! / costB.get(round)!).filter(Number.isFinite);
  if (ratios.length === 0) return undefined;
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), pairs: ratios.length };
}

/** "0.85x [0.80–0.91]": the median ratio and its range over the round pairs. */
export function fmtRatio(range: RatioRange | undefined): string {
  if (!range) return 'n/a';
  if (range.pairs === 1 || range.min === range.max) return `${fmt(range.median, 2)}x`;
  return `${fmt(range.median, 2)}x [${fmt(range.min, 2)}–${fmt(range.max, 2)}]`;
}

/** Met only when the whole range is at or below the target: a range that spans it is not met. */
export function targetVerdict(range: RatioRange | undefined, target: number): 'met' | 'not met' | 'spans the target: not met' | 'not measured' {
  if (!range) return 'not measured';
  if (range.max <= target) return 'met';
  if (range.min <= target) return 'spans the target: not met';
  return 'not met';
}
