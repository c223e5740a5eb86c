/**
 * One description per metric the app exports, whatever the exporter: Hubwire's counters and
 * instruments (from the library's `MetricNames`, `Counters` and `Instruments` tables) and the
 * app's own ({@link AppInstruments}). The Prometheus and OpenTelemetry adapters create their
 * instruments from this list, so a metric added to either table is exported without code here.
 * @module
 */
import { Counters, HUBWIRE_METER, Instruments, MetricNames, prometheusLabel, prometheusName, type InstrumentInfo } from 'hubwire';
import { AppInstruments } from './app-instruments.js';

/** What kind of series a metric holds. */
export type SpecKind = 'counter' | 'updown' | 'histogram' | 'gauge';

/** One exported metric. */
export interface MetricSpec {
  /** The key the code reports it with (`increment('messagesSent')`, `record('connectionDuration')`). */
  readonly key: string;
  readonly kind: SpecKind;
  readonly description: string;
  /** UCUM unit (`s`, `By`, `{connection}`), empty for a plain count. */
  readonly unit: string;
  /** Label names as the code passes them (`signalr.transport`). */
  readonly labels: readonly string[];
  /** Histogram upper bounds, in `unit`. */
  readonly buckets?: readonly number[];
  /** `signalr_server_active_connections`, `hubwire_messages_sent_total`. */
  readonly promName: string;
  /** `labels` as Prometheus allows them (dots as underscores). */
  readonly promLabels: readonly string[];
  /** `signalr.server.active_connections`, `hubwire.messages_sent`. */
  readonly otelName: string;
  readonly meter: string;
  /** Whether the library reports it (else the app does). */
  readonly library: boolean;
}

/** The meter of the app's own instruments in OpenTelemetry. */
export const APP_METER = 'hubwire.server';

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Prometheus' unit suffix, as the library's {@link prometheusName} adds it. */
function unitSuffix(unit: string): string {
  if (unit === 's') return '_seconds';
  if (unit === 'By') return '_bytes';
  return '';
}

/** The same naming rule as the library's `prometheusName`, for names it does not know. */
export function appPrometheusName(key: string, kind: SpecKind, unit: string): string {
  const base = `hubwire_${snake(key)}`;
  const suffix = unitSuffix(unit);
  const withUnit = suffix === '' || base.endsWith(suffix) ? base : base + suffix;
  return kind === 'counter' ? `${withUnit}_total` : withUnit;
}

function hubwireSpecs(): MetricSpec[] {
  const specs: MetricSpec[] = [];
  for (const key of Object.keys(MetricNames) as (keyof typeof MetricNames)[]) {
    const info = Counters[key];
    const unit: string = 'unit' in info ? info.unit : '';
    specs.push({
      key,
      kind: 'counter',
      description: MetricNames[key],
      unit,
      labels: info.labels,
      promName: prometheusName(key),
      promLabels: info.labels.map(prometheusLabel),
      otelName: `hubwire.${snake(key)}`,
      meter: HUBWIRE_METER,
      library: true,
    });
  }
  for (const key of Object.keys(Instruments) as (keyof typeof Instruments)[]) {
    const info: InstrumentInfo = Instruments[key];
    specs.push({
      key,
      kind: info.kind,
      description: info.description,
      unit: info.unit,
      labels: info.labels,
      buckets: info.buckets,
      promName: prometheusName(key),
      promLabels: info.labels.map(prometheusLabel),
      otelName: info.otelName ?? `hubwire.${snake(key)}`,
      meter: info.meter ?? HUBWIRE_METER,
      library: true,
    });
  }
  return specs;
}

function appSpecs(): MetricSpec[] {
  return Object.entries(AppInstruments).map(([key, info]) => ({
    key,
    kind: info.kind,
    description: info.description,
    unit: info.unit,
    labels: info.labels,
    buckets: 'buckets' in info ? info.buckets : undefined,
    promName: appPrometheusName(key, info.kind, info.unit),
    promLabels: info.labels.map(prometheusLabel),
    otelName: `hubwire.server.${snake(key)}`,
    meter: APP_METER,
    library: false,
  }));
}

let cached: readonly MetricSpec[] | undefined;

/**
 * Every metric the app exports: the library's, then the app's. Throws if two share a key or a
 * Prometheus name (a table edit that would make one hide the other).
 * @example
 * ```ts
 * allSpecs().find((spec) => spec.key === 'connectionDuration')?.promName; // 'signalr_server_connection_duration_seconds'
 * ```
 */
export function allSpecs(): readonly MetricSpec[] {
  if (cached !== undefined) return cached;
  const specs = [...hubwireSpecs(), ...appSpecs()];
  const keys = new Set<string>();
  const names = new Set<string>();
  for (const spec of specs) {
    if (keys.has(spec.key)) throw new Error(`Two metrics have the key '${spec.key}'.`);
    if (names.has(spec.promName)) throw new Error(`Two metrics have the Prometheus name '${spec.promName}'.`);
    keys.add(spec.key);
    names.add(spec.promName);
  }
  return (cached = Object.freeze(specs));
}
