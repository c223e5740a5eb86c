/**
 * The Prometheus side: a prom-client registry whose metrics read {@link MetricCells} when
 * scraped (counters, up-down counters as gauges, gauges from their callbacks, histograms with
 * their buckets), and Node's process metrics (prom-client's default collectors) in a registry
 * of their own, shared by every app of the process.
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Registry, type Histogram, type MetricValueWithName } from 'prom-client';
import type { MetricLabels } from 'hubwire';
import type { Logger } from 'pino';
import type { MetricCells } from './cells.js';
import type { MetricSpec } from './specs.js';

/** Label names and values as Prometheus wants them (`signalr.transport` → `signalr_transport`). */
function promLabels(spec: MetricSpec, labels: MetricLabels | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (labels === undefined) return out;
  spec.labels.forEach((name, index) => {
    const value = labels[name];
    if (value !== undefined) out[spec.promLabels[index]!] = value;
  });
  return out;
}

/**
 * A histogram for prom-client's registry whose samples come from a {@link MetricCells} histogram
 * instead of prom-client's `observe` (which hashes the labels on every call). It speaks the
 * protocol the registry uses with each of its metrics: `get()` returns the samples (bucket
 * lines with their `le`, `_sum`, `_count`) as `registry.getMetricsAsJSON()` shows them, and the
 * registry writes the text format from that.
 */
class CellHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: string[];
  readonly #spec: MetricSpec;
  readonly #cells: MetricCells;

  constructor(spec: MetricSpec, cells: MetricCells) {
    this.name = spec.promName;
    this.help = spec.description;
    this.labelNames = [...spec.promLabels];
    this.#spec = spec;
    this.#cells = cells;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValueWithName<string>[] }> {
    const { bounds, series } = this.#cells.histogram(this.#spec.key);
    const name = this.name;
    const values: MetricValueWithName<string>[] = [];
    for (const one of series) {
      const labels = promLabels(this.#spec, one.labels);
      let cumulative = 0;
      bounds.forEach((bound, index) => {
        cumulative += one.counts[index]!;
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bound }, value: cumulative });
      });
      values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: one.count });
      values.push({ metricName: `${name}_sum`, labels, value: one.sum });
      values.push({ metricName: `${name}_count`, labels, value: one.count });
    }
    return { name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** `registry.resetMetrics()`: the cells are the app's counters too, so they are not reset from here. */
  reset(): void {}
}

/**
 * Registers one prom-client metric per spec of `cells` in `registry`, each reading the cells
 * when scraped.
 * @example
 * ```ts
 * const registry = new Registry();
 * exposeToPrometheus(cells, registry, logger);
 * const text = await registry.metrics(); // Prometheus text format
 * ```
 */
export function exposeToPrometheus(cells: MetricCells, registry: Registry, logger: Logger): void {
  for (const spec of cells.specs) {
    const labelNames = [...spec.promLabels];
    const base = { name: spec.promName, help: spec.description, labelNames, registers: [registry] };
    if (spec.kind === 'counter') {
      const counter: Counter<string> = new Counter({
        ...base,
        collect() {
          counter.reset();
          for (const series of cells.values(spec.key)) counter.inc(promLabels(spec, series.labels), series.value);
        },
      });
    } else if (spec.kind === 'updown') {
      const gauge: Gauge<string> = new Gauge({
        ...base,
        collect() {
          gauge.reset();
          for (const series of cells.values(spec.key)) gauge.set(promLabels(spec, series.labels), series.value);
        },
      });
    } else if (spec.kind === 'gauge') {
      let failing = false;
      const gauge: Gauge<string> = new Gauge({
        ...base,
        collect() {
          gauge.reset();
          let failed = false;
          cells.collectGauge(
            spec.key,
            (value, labels) => gauge.set(promLabels(spec, labels), value),
            (error) => {
              // Logged once per failing streak: a scrape every 15 s must not flood the log.
              if (!failing) logger.warn({ err: error, metric: spec.promName }, 'a gauge callback failed; its values are left out');
              failed = true;
            },
          );
          failing = failed;
        },
      });
    } else {
      // The registry's parameter type lists prom-client's own classes only; it calls get() and reset().
      registry.registerMetric(new CellHistogram(spec, cells) as unknown as Histogram<string>);
    }
  }
}

let processRegistry: Registry | undefined;

/**
 * How often the event-loop delay monitor samples (ms). prom-client's default is 10 ms: a libuv
 * timer that wakes an otherwise idle loop 100 times a second, ≈ 5 ms of CPU per second on the
 * bench machine, which showed as ≈ 1 % per round trip of a lightly loaded echo. At 20 ms the
 * wake-ups halve; the lag histogram (min, max, mean, percentiles) still sees every stall of
 * 20 ms or more and a share of the shorter ones, which is what a real-time server's alert needs.
 */
export const EVENT_LOOP_RESOLUTION_MS = 20;

/**
 * Node's process metrics (CPU, memory, heap spaces, event-loop lag, GC, handles, file
 * descriptors), collected once per process: their collectors (a GC observer, an event-loop delay
 * monitor) are process-wide and never removed, so several apps in one process share them.
 */
export function processMetricsRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS });
  }
  return processRegistry;
}

/** Prometheus text of several registries, in order (their metric names must not clash). */
export async function prometheusText(registries: readonly Registry[]): Promise<string> {
  const parts = await Promise.all(registries.map((registry) => registry.metrics()));
  return parts.join('\n');
}

export { Registry };
