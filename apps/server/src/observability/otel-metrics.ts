/**
 * The OpenTelemetry side of {@link MetricCells}: instruments on a `MeterProvider` (the SDK's, or
 * any implementation of the `@opentelemetry/api` one). Counters, up-down counters and gauges are
 * observable instruments that read the cells at export time, so the hot path stays the cells'
 * addition; histograms get every observation as it is made (the API has no way to hand over
 * pre-aggregated buckets), with the table's bucket bounds as advice.
 *
 * Names: ASP.NET Core's two on meter `Microsoft.AspNetCore.Http.Connections`
 * (`signalr.server.active_connections`, `signalr.server.connection.duration`), Hubwire's own on
 * meter `hubwire` as `hubwire.<snake key>`, the app's on `hubwire.server`. Attribute names are
 * the label names (`hub`, `signalr.transport`, …).
 * @module
 */
import type { Attributes, MeterProvider, ObservableResult } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { MetricCells } from './cells.js';

/**
 * Creates the instruments of every spec of `cells` on `provider`; returns the function that
 * detaches the histogram listeners (the provider's shutdown ends the rest).
 * @example
 * ```ts
 * const provider = new MeterProvider({ readers: [reader] });
 * const detach = exposeToOpenTelemetry(cells, provider, logger);
 * ```
 */
export function exposeToOpenTelemetry(cells: MetricCells, provider: MeterProvider, logger: Logger): () => void {
  const detach: (() => void)[] = [];
  for (const spec of cells.specs) {
    const meter = provider.getMeter(spec.meter);
    const options = { description: spec.description, unit: spec.unit };
    if (spec.kind === 'counter' || spec.kind === 'updown') {
      const instrument = spec.kind === 'counter' ? meter.createObservableCounter(spec.otelName, options) : meter.createObservableUpDownCounter(spec.otelName, options);
      instrument.addCallback((result: ObservableResult) => {
        for (const series of cells.values(spec.key)) result.observe(series.value, series.labels as Attributes);
      });
    } else if (spec.kind === 'gauge') {
      meter.createObservableGauge(spec.otelName, options).addCallback((result: ObservableResult) => {
        cells.collectGauge(
          spec.key,
          (value, labels) => result.observe(value, labels as Attributes | undefined),
          (error) => logger.warn({ err: error, metric: spec.otelName }, 'a gauge callback failed; its values are left out'),
        );
      });
    } else {
      const histogram = meter.createHistogram(spec.otelName, { ...options, advice: spec.buckets === undefined ? undefined : { explicitBucketBoundaries: [...spec.buckets] } });
      detach.push(cells.listen(spec.key, (value, labels) => histogram.record(value, labels as Attributes)));
    }
  }
  return () => {
    for (const one of detach) one();
  };
}
