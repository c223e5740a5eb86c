/**
 * Starts the OpenTelemetry SDK when an OTLP endpoint is configured (the standard
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, or the per-signal `…_TRACES_ENDPOINT` / `…_METRICS_ENDPOINT`):
 * a tracer provider registered as the global one (with the W3C propagator and an
 * AsyncLocalStorage context manager), so the spans of Hubwire and of the app's REST layer are
 * exported, and a meter provider the app's metrics are exposed on. Both export OTLP over HTTP as
 * JSON. Without an endpoint nothing is started and the `@opentelemetry/api` calls stay no-ops.
 *
 * The SDK's own errors (a collector that cannot be reached) are logged at warn through the
 * app's logger while it runs.
 * @module
 */
import { context, diag, DiagLogLevel, metrics, propagation, trace, ProxyTracerProvider, type MeterProvider as ApiMeterProvider } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';

/** What {@link startTelemetry} started. */
export interface Telemetry {
  /** True when this app's tracer provider is the global one (spans are recorded and exported). */
  readonly tracing: boolean;
  /** The meter provider to expose metrics on; undefined when metrics are not exported. */
  readonly meterProvider: ApiMeterProvider | undefined;
  /** Exports what is pending (bounded by `ms`), shuts the providers down and unregisters the globals. */
  shutdown(ms: number): Promise<void>;
}

const OFF: Telemetry = { tracing: false, meterProvider: undefined, shutdown: async () => undefined };

/** `http://collector:4318` → `http://collector:4318/v1/traces` (the spec's rule for the generic endpoint). */
function signalUrl(base: string, signal: 'traces' | 'metrics'): string {
  return `${base.replace(/\/+$/, '')}/v1/${signal}`;
}

/** An endpoint for the log: no credentials, no query. */
function shown(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

function resourceOf(otel: ServerConfig['otel'], instanceId: string | undefined): Resource {
  // Later merges win: our default name, then OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME from
  // the process environment, then the configured name (the file's, or the same variable).
  let resource = defaultResource().merge(resourceFromAttributes({ 'service.name': 'hubwire' }));
  resource = resource.merge(detectResources({ detectors: [envDetector] }));
  const ours: Record<string, string> = {};
  if (otel.serviceName !== undefined) ours['service.name'] = otel.serviceName;
  if (instanceId !== undefined) ours['service.instance.id'] = instanceId;
  return resource.merge(resourceFromAttributes(ours));
}

/** True while some tracer provider (ours or the user's own SDK) is registered globally. */
function globalTracerRegistered(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer('hubwire.probe') !== undefined;
}

/**
 * Starts what `config.otel` asks for.
 * @example
 * ```ts
 * const telemetry = startTelemetry(config.otel, logger, cluster?.nodeId);
 * // …
 * await telemetry.shutdown(2000);
 * ```
 */
export function startTelemetry(otel: ServerConfig['otel'], logger: Logger, instanceId?: string): Telemetry {
  const tracesUrl = otel.tracesEndpoint ?? (otel.endpoint === undefined ? undefined : signalUrl(otel.endpoint, 'traces'));
  const metricsUrl = otel.metricsEndpoint ?? (otel.endpoint === undefined ? undefined : signalUrl(otel.endpoint, 'metrics'));
  if (otel.sdkDisabled || (tracesUrl === undefined && metricsUrl === undefined)) return OFF;

  const resource = resourceOf(otel, instanceId);
  const ownDiag = diag.setLogger(
    {
      error: (message, ...args) => logger.warn({ otel: args.map(String) }, `OpenTelemetry: ${message}`),
      warn: (message, ...args) => logger.warn({ otel: args.map(String) }, `OpenTelemetry: ${message}`),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );

  let tracerProvider: NodeTracerProvider | undefined;
  if (tracesUrl !== undefined) {
    if (globalTracerRegistered()) {
      logger.warn('a tracer provider is already registered in this process; the app exports no traces of its own');
    } else {
      tracerProvider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl }))] });
      tracerProvider.register();
    }
  }

  let meterProvider: MeterProvider | undefined;
  let globalMeter = false;
  if (metricsUrl !== undefined) {
    const interval = otel.metricExportIntervalMs;
    const reader = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: metricsUrl }), exportIntervalMillis: interval, exportTimeoutMillis: Math.min(30_000, interval) });
    meterProvider = new MeterProvider({ resource, readers: [reader] });
    // Also the global one (for code of the user's that meters through the API), unless one is set.
    globalMeter = metrics.setGlobalMeterProvider(meterProvider);
  }

  logger.info(
    { traces: tracerProvider === undefined ? null : shown(tracesUrl!), metrics: metricsUrl === undefined ? null : shown(metricsUrl), metricExportIntervalMs: otel.metricExportIntervalMs },
    'OpenTelemetry export on',
  );

  let stopping: Promise<void> | undefined;
  const stop = async (ms: number): Promise<void> => {
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
    const flushes = [tracerProvider?.shutdown(), meterProvider?.shutdown()].map((done) => done?.catch((error: unknown) => logger.warn({ err: error }, 'OpenTelemetry shutdown failed')));
    await Promise.race([Promise.all(flushes), deadline]);
    if (tracerProvider !== undefined) {
      trace.disable();
      context.disable();
      propagation.disable();
    }
    if (globalMeter) metrics.disable();
    if (ownDiag) diag.disable();
  };
  return {
    tracing: tracerProvider !== undefined,
    meterProvider,
    shutdown: (ms) => (stopping ??= stop(ms)),
  };
}
