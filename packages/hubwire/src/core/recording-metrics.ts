/**
 * A {@link Metrics} that keeps everything it is told, for tests: counters (as
 * {@link createCounterMetrics}), every histogram observation and up-down change with its labels,
 * and the registered gauges, read on demand. Tests check instrument values with it without an
 * exporter; it is not meant for production (observations pile up).
 * @module
 */
import type { GaugeName, RecordedName } from './instruments.js';
import { createCounterMetrics, type CounterMetrics, type GaugeReport, type MetricLabels, type MetricName } from './metrics.js';

/** One call of {@link Metrics.record}. */
export interface Recorded {
  readonly value: number;
  readonly labels: MetricLabels;
}

/** What {@link createRecordingMetrics} returns. */
export interface RecordingMetrics extends CounterMetrics {
  record(name: RecordedName, value: number, labels?: MetricLabels): void;
  observe(name: GaugeName, collect: (report: GaugeReport) => void): () => void;
  /** Every observation of `name` whose labels include `where`, in order. */
  recorded(name: RecordedName, where?: MetricLabels): Recorded[];
  /** The sum of the observations (an up-down counter's current value) of `name` matching `where`. */
  sum(name: RecordedName, where?: MetricLabels): number;
  /** What the gauges of `name` report now (every registered callback), matching `where`. */
  gauge(name: GaugeName, where?: MetricLabels): Recorded[];
  /** A counter's total over the increments whose labels include `where`. */
  count(name: MetricName, where?: MetricLabels): number;
  /** Gauge callbacks registered and not unregistered, by name. */
  observers(name: GaugeName): number;
}

const NO_LABELS: MetricLabels = Object.freeze({});

function matches(labels: MetricLabels, where: MetricLabels | undefined): boolean {
  if (where === undefined) return true;
  for (const key in where) if (labels[key] !== where[key]) return false;
  return true;
}

/**
 * Creates a recording {@link Metrics}.
 * @example
 * ```ts
 * const metrics = createRecordingMetrics();
 * const hubwire = createHubServer({ metrics });
 * // … a client connects over WebSockets …
 * assert.equal(metrics.sum('activeConnections', { 'signalr.transport': 'web_sockets' }), 1);
 * ```
 */
export function createRecordingMetrics(): RecordingMetrics {
  const counters = createCounterMetrics();
  const increments: { name: MetricName; labels: MetricLabels; by: number }[] = [];
  const records = new Map<RecordedName, Recorded[]>();
  const gauges = new Map<GaugeName, Set<(report: GaugeReport) => void>>();
  return {
    increment(name, labels, by = 1) {
      counters.increment(name, labels, by);
      increments.push({ name, labels: labels ?? NO_LABELS, by });
    },
    totals: () => counters.totals(),
    byLabel: (label, value) => counters.byLabel(label, value),
    record(name, value, labels) {
      let list = records.get(name);
      if (list === undefined) records.set(name, (list = []));
      list.push({ value, labels: labels ?? NO_LABELS });
    },
    observe(name, collect) {
      let set = gauges.get(name);
      if (set === undefined) gauges.set(name, (set = new Set()));
      set.add(collect);
      return () => void set.delete(collect);
    },
    recorded: (name, where) => (records.get(name) ?? []).filter((entry) => matches(entry.labels, where)),
    sum(name, where) {
      let total = 0;
      for (const entry of records.get(name) ?? []) if (matches(entry.labels, where)) total += entry.value;
      return total;
    },
    gauge(name, where) {
      const reported: Recorded[] = [];
      for (const collect of gauges.get(name) ?? []) collect((value, labels) => reported.push({ value, labels: labels ?? NO_LABELS }));
      return reported.filter((entry) => matches(entry.labels, where));
    },
    count(name, where) {
      let total = 0;
      for (const entry of increments) if (entry.name === name && matches(entry.labels, where)) total += entry.by;
      return total;
    },
    observers: (name) => gauges.get(name)?.size ?? 0,
  };
}
