/** Latency samples and the summaries printed in the report. */

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Append-only store of millisecond samples, backed by a growable Float64Array. */
export class LatencyRecorder {
  private samples: Float64Array;
  private length = 0;

  constructor(initialCapacity = 1024) {
    this.samples = new Float64Array(Math.max(16, initialCapacity));
  }

  get count(): number {
    return this.length;
  }

  add(ms: number): void {
    if (this.length === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.length++] = ms;
  }

  summary(): LatencySummary {
    return summarize(this.samples.subarray(0, this.length));
  }
}

export function summarize(values: Float64Array): LatencySummary {
  const n = values.length;
  if (n === 0) return { count: 0, p50: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: n,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[n - 1] ?? NaN,
    mean: sum / n,
  };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

/** Median; the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}
