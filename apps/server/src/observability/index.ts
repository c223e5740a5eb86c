/**
 * The app's observability, composed: the metric cells Hubwire and the app report into, their
 * Prometheus registry with Node's process metrics behind `GET /metrics`, the OpenTelemetry SDK
 * (traces and metrics over OTLP) when an endpoint is configured, and the REST request metrics.
 * app.ts creates it first (so the tracer provider is registered before any connection), passes
 * `metrics` to `createHubServer`, and shuts it down last.
 * @module
 */
import type { Logger } from 'pino';
import type { RestRoutes } from '../app-context.js';
import type { ServerConfig } from '../config.js';
import { MetricCells } from './cells.js';
import { metricsHandler } from './metrics-route.js';
import { exposeToOpenTelemetry } from './otel-metrics.js';
import { startTelemetry } from './otel-sdk.js';
import { exposeToPrometheus, processMetricsRegistry, prometheusText, Registry } from './prometheus.js';
import { RequestMetrics } from './requests.js';
import { allSpecs } from './specs.js';

export { MetricCells, type AppMetrics } from './cells.js';
export { RequestMetrics, UNMATCHED_ROUTE } from './requests.js';
export { allSpecs, type MetricSpec } from './specs.js';
export { AppInstruments } from './app-instruments.js';

/** What {@link startObservability} returns. */
export interface Observability {
  /** The `Metrics` to give Hubwire; also the app's counters (`totals`, `byLabel`). */
  readonly metrics: MetricCells;
  /** REST request metrics and spans. */
  readonly requests: RequestMetrics;
  /** True while this app's OpenTelemetry tracer provider is the global one. */
  readonly tracing: boolean;
  /** The Prometheus text of every metric (process metrics included), as `/metrics` answers it. */
  prometheusText(): Promise<string>;
  /** Adds `GET /metrics` when `metrics.enabled`. */
  registerRoutes(routes: RestRoutes): void;
  /** Flushes and stops the OpenTelemetry SDK, if it runs (bounded by `ms`). */
  shutdown(ms: number): Promise<void>;
}

/**
 * Creates the app's metrics and starts the exporters `config` asks for.
 * @example
 * ```ts
 * const observability = startObservability(config, logger, cluster?.nodeId);
 * const hubwire = createHubServer({ metrics: observability.metrics });
 * observability.registerRoutes(router);
 * ```
 */
export function startObservability(config: ServerConfig, logger: Logger, instanceId?: string): Observability {
  const metrics = new MetricCells(allSpecs());
  const registry = new Registry();
  exposeToPrometheus(metrics, registry, logger);
  const telemetry = startTelemetry(config.otel, logger, instanceId);
  const detach = telemetry.meterProvider === undefined ? () => undefined : exposeToOpenTelemetry(metrics, telemetry.meterProvider, logger);
  // Started with the app when /metrics is served, so the first scrape has event-loop figures.
  if (config.metrics.enabled) processMetricsRegistry();
  const text = () => prometheusText([registry, processMetricsRegistry()]);
  return {
    metrics,
    requests: new RequestMetrics(metrics, telemetry.tracing),
    tracing: telemetry.tracing,
    prometheusText: text,
    registerRoutes(routes) {
      if (config.metrics.enabled) routes.addRaw('GET', '/metrics', metricsHandler({ token: config.metrics.token, text }), { summary: 'Prometheus text format of every metric (bearer METRICS_TOKEN when set).', tags: ['observability'] });
    },
    async shutdown(ms) {
      await telemetry.shutdown(ms);
      detach();
    },
  };
}
