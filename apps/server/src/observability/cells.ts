/**
 * Where the app's measurements accumulate: plain numbers per metric and label set, written on
 * Hubwire's hot path and read by the exporters at collection time (a Prometheus scrape, an
 * OpenTelemetry export). Writing is a map lookup by the label object's identity and an addition
 * — no hashing, no allocation once a label set has been seen (Hubwire passes the same label
 * object each time). prom-client's own `inc`/`observe` hash the labels on every call (about
 * 0.2–0.5 µs), which is too much per recipient of a broadcast.
 *
 * It is also the app's `CounterMetrics` (`totals`, `byLabel`), which the admin stats read.
 * @module
 */
import type { CounterMetrics, GaugeName, GaugeReport, MetricLabels, MetricName, RecordedName } from 'hubwire';
import type { AppInstrumentName, AppInstruments } from './app-instruments.js';
import type { MetricSpec } from './specs.js';

/** One label set's running value of a counter or an up-down counter. */
export interface ValueSeries {
  /** The labels, only the declared ones, with the names the code uses (`signalr.transport`). */
  readonly labels: MetricLabels;
  value: number;
}

/** One label set's histogram: counts per bucket (not cumulative; the last slot is above every bound). */
export interface HistogramSeries {
  readonly labels: MetricLabels;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** Receives every observation of one histogram as it is made (the OpenTelemetry adapter). */
export type HistogramListener = (value: number, labels: MetricLabels) => void;

const ABSENT = '\u0001';
const NO_LABELS: MetricLabels = Object.freeze({});

/** The series of one metric, found by label object identity first, then by label values. */
class SeriesTable<S extends { readonly labels: MetricLabels }> {
  readonly spec: MetricSpec;
  readonly #byObject = new WeakMap<MetricLabels, S>();
  readonly #byValues = new Map<string, S>();
  readonly #create: (labels: MetricLabels) => S;
  /**
   * The label object of the last call and its series: most call sites pass the same object
   * call after call (one hub, one protocol, one method), so an identity compare answers before
   * the WeakMap lookup (≈ 3 ns against ≈ 12 ns per call).
   */
  #lastLabels: MetricLabels | undefined;
  #lastSeries: S | undefined;

  constructor(spec: MetricSpec, create: (labels: MetricLabels) => S) {
    this.spec = spec;
    this.#create = create;
  }

  get(labels: MetricLabels = NO_LABELS): S {
    if (labels === this.#lastLabels) return this.#lastSeries!;
    const series = this.#byObject.get(labels) ?? this.#slow(labels);
    this.#lastLabels = labels;
    this.#lastSeries = series;
    return series;
  }

  #slow(labels: MetricLabels): S {
    const names = this.spec.labels;
    let key = '';
    const picked: Record<string, string> = {};
    for (const name of names) {
      const value = labels[name];
      key += `${value ?? ABSENT}\u0000`;
      if (value !== undefined) picked[name] = value;
    }
    let series = this.#byValues.get(key);
    if (series === undefined) {
      series = this.#create(Object.freeze(picked));
      this.#byValues.set(key, series);
    }
    this.#byObject.set(labels, series);
    return series;
  }

  all(): IterableIterator<S> {
    return this.#byValues.values();
  }
}

class Histogram {
  readonly table: SeriesTable<HistogramSeries>;
  readonly bounds: readonly number[];
  listeners: HistogramListener[] | undefined;

  constructor(spec: MetricSpec) {
    this.bounds = spec.buckets ?? [];
    const slots = this.bounds.length + 1;
    this.table = new SeriesTable(spec, (labels) => ({ labels, counts: new Float64Array(slots), sum: 0, count: 0 }));
  }

  observe(value: number, labels: MetricLabels | undefined): void {
    const series = this.table.get(labels);
    const bounds = this.bounds;
    let slot = 0;
    while (slot < bounds.length && value > bounds[slot]!) slot++;
    series.counts[slot]!++;
    series.sum += value;
    series.count++;
    const listeners = this.listeners;
    if (listeners !== undefined) for (const listener of listeners) listener(value, series.labels);
  }
}

/** A counter of the app's own table. */
export type AppCounterName = { [K in AppInstrumentName]: (typeof AppInstruments)[K]['kind'] extends 'counter' ? K : never }[AppInstrumentName];
/** A histogram of the app's own table. */
export type AppRecordedName = Exclude<AppInstrumentName, AppCounterName>;

/**
 * What the app's modules report their own metrics ({@link AppInstruments}) through: the app's
 * {@link MetricCells}, given to them as `AppContext.metrics`. Pass the same frozen label object
 * each time (a module-level constant): the cells then find its series by identity.
 *
 * @example
 * ```ts
 * const FROM_GET = Object.freeze({ source: 'get' });
 * app.metrics.record('campaignSnapshotDuration', 0.0004, FROM_GET);
 * app.metrics.increment('campaignEventsPublished', Object.freeze({ kind: 'event', outcome: 'published' }));
 * ```
 */
export interface AppMetrics {
  increment(name: AppCounterName, labels?: MetricLabels, by?: number): void;
  record(name: AppRecordedName, value: number, labels?: MetricLabels): void;
}

/**
 * The accumulated measurements of every metric of `specs`.
 *
 * @example
 * ```ts
 * const cells = new MetricCells(allSpecs());
 * const hubwire = createHubServer({ metrics: cells });
 * exposeToPrometheus(cells, registry);
 * ```
 */
export class MetricCells implements CounterMetrics, AppMetrics {
  readonly specs: readonly MetricSpec[];
  readonly #values = new Map<string, SeriesTable<ValueSeries>>();
  readonly #histograms = new Map<string, Histogram>();
  readonly #gauges = new Map<string, Set<(report: GaugeReport) => void>>();
  readonly #libraryCounters: string[] = [];

  constructor(specs: readonly MetricSpec[]) {
    this.specs = specs;
    for (const spec of specs) {
      if (spec.kind === 'counter' || spec.kind === 'updown') this.#values.set(spec.key, new SeriesTable(spec, (labels) => ({ labels, value: 0 })));
      else if (spec.kind === 'histogram') this.#histograms.set(spec.key, new Histogram(spec));
      else this.#gauges.set(spec.key, new Set());
      if (spec.kind === 'counter' && spec.library) this.#libraryCounters.push(spec.key);
    }
  }

  increment(name: MetricName | AppCounterName, labels?: MetricLabels, by = 1): void {
    const table = this.#values.get(name);
    // A name no table knows (a newer library than this app) is dropped rather than thrown on a hot path.
    if (table !== undefined) table.get(labels).value += by;
  }

  record(name: RecordedName | AppRecordedName, value: number, labels?: MetricLabels): void {
    const histogram = this.#histograms.get(name);
    if (histogram !== undefined) {
      histogram.observe(value, labels);
      return;
    }
    const table = this.#values.get(name);
    if (table !== undefined) table.get(labels).value += value;
  }

  observe(name: GaugeName | string, collect: (report: GaugeReport) => void): () => void {
    let set = this.#gauges.get(name);
    if (set === undefined) this.#gauges.set(name, (set = new Set()));
    set.add(collect);
    return () => set.delete(collect);
  }

  /** The series of a counter or an up-down counter. */
  values(key: string): Iterable<ValueSeries> {
    return this.#values.get(key)?.all() ?? [];
  }

  /** The series of a histogram, with its bounds. */
  histogram(key: string): { readonly bounds: readonly number[]; readonly series: Iterable<HistogramSeries> } {
    const histogram = this.#histograms.get(key);
    return { bounds: histogram?.bounds ?? [], series: histogram?.table.all() ?? [] };
  }

  /** Calls every callback registered for a gauge; one that throws is skipped (the rest still report). */
  collectGauge(key: string, report: GaugeReport, onError: (error: unknown) => void): void {
    for (const collect of this.#gauges.get(key) ?? []) {
      try {
        collect(report);
      } catch (error) {
        onError(error);
      }
    }
  }

  /** Calls `listener` with each observation of histogram `key` from now on; returns its removal. */
  listen(key: string, listener: HistogramListener): () => void {
    const histogram = this.#histograms.get(key);
    if (histogram === undefined) return () => undefined;
    histogram.listeners = [...(histogram.listeners ?? []), listener];
    return () => {
      const rest = histogram.listeners?.filter((candidate) => candidate !== listener) ?? [];
      histogram.listeners = rest.length === 0 ? undefined : rest;
    };
  }

  totals(): Record<MetricName, number> {
    const totals: Record<string, number> = {};
    for (const key of this.#libraryCounters) {
      let sum = 0;
      for (const series of this.values(key)) sum += series.value;
      totals[key] = sum;
    }
    return totals as Record<MetricName, number>;
  }

  byLabel(label: string, value: string): Partial<Record<MetricName, number>> {
    const counts: Record<string, number> = {};
    for (const key of this.#libraryCounters) {
      for (const series of this.values(key)) if (series.labels[label] === value) counts[key] = (counts[key] ?? 0) + series.value;
    }
    return counts;
  }
}
