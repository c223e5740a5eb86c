/**
 * The instrument table: every histogram, up-down counter and gauge Hubwire reports through
 * {@link Metrics.record} and {@link Metrics.observe}, and the label names of every counter of
 * {@link MetricNames}. An adapter (prom-client, the OpenTelemetry metrics API) creates its
 * instruments from these two tables once, so it never needs to know a name in advance.
 *
 * Naming. ASP.NET Core's two instruments keep their OpenTelemetry names and meter
 * (`otelName`, `meter`), so existing SignalR dashboards carry over. Hubwire's own are named by
 * their key. {@link prometheusName} gives the Prometheus form of either: the OpenTelemetry name
 * with dots as underscores, or `hubwire_` + the key in snake case; then the unit suffix
 * (`_seconds` for `s`, `_bytes` for `By`, nothing for a `{…}` count) unless the name already ends
 * with it; then `_total` for counters. Label names with dots (`signalr.transport`) become
 * underscores in Prometheus too.
 *
 * Labels are bounded on purpose: `hub` (the hub path) on everything, and only values from a
 * fixed set besides (protocol, transport, method, error code, reason, status, policy, kind).
 * Never connection ids, group names or user ids.
 * @module
 */
import type { MetricName } from './metrics.js';

/** What kind of instrument an {@link Instruments} entry is. */
export type InstrumentKind = 'histogram' | 'updown' | 'gauge';

/** One row of {@link Instruments}. */
export interface InstrumentInfo {
  readonly kind: InstrumentKind;
  /** What it measures, for docs, `# HELP` lines and OTel descriptions. */
  readonly description: string;
  /** UCUM unit as OpenTelemetry writes it: `s`, `By`, or a count in braces like `{connection}`. */
  readonly unit: string;
  /** Every label it is reported with (some may be absent on a given observation). */
  readonly labels: readonly string[];
  /** Histogram bucket upper bounds, in the instrument's unit. */
  readonly buckets?: readonly number[];
  /** The OpenTelemetry instrument name, for instruments .NET already defines. */
  readonly otelName?: string;
  /** The OpenTelemetry meter of `otelName`; Hubwire's own use {@link HUBWIRE_METER}. */
  readonly meter?: string;
}

/** One row of {@link Counters}: the labels a counter is incremented with, and its unit if not a plain count. */
export interface CounterInfo {
  readonly labels: readonly string[];
  /** `By` for byte counts; absent for counts of things. */
  readonly unit?: string;
}

/** The meter name Hubwire's own instruments belong to in OpenTelemetry. */
export const HUBWIRE_METER = 'hubwire';

/** ASP.NET Core's meter for its two connection instruments. */
export const ASPNET_CONNECTIONS_METER = 'Microsoft.AspNetCore.Http.Connections';

/** `signalr.server.connection.duration`'s advisory bucket boundaries (seconds), as ASP.NET Core sets them. */
export const CONNECTION_DURATION_BUCKETS: readonly number[] = Object.freeze([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);

/** Bucket boundaries (seconds) for things that take micro- to milliseconds, with a tail to seconds. */
const FAST_SECONDS: readonly number[] = Object.freeze([0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** Every non-counter instrument. Keys are what {@link Metrics.record} and {@link Metrics.observe} are called with. */
export const Instruments = {
  activeConnections: {
    kind: 'updown',
    description: 'Connections currently open on the server (from the transport attaching to the connection ending).',
    unit: '{connection}',
    labels: ['hub', 'signalr.transport'],
    otelName: 'signalr.server.active_connections',
    meter: ASPNET_CONNECTIONS_METER,
  },
  connectionDuration: {
    kind: 'histogram',
    description: 'The duration of connections on the server, from negotiate (or the WebSocket request without one) to the end.',
    unit: 's',
    labels: ['hub', 'signalr.transport', 'signalr.connection.status'],
    buckets: CONNECTION_DURATION_BUCKETS,
    otelName: 'signalr.server.connection.duration',
    meter: ASPNET_CONNECTIONS_METER,
  },
  invocationDuration: {
    kind: 'histogram',
    description: 'How long hub method invocations took, from dispatch to their completion (for a streaming method: to the end of its stream).',
    unit: 's',
    labels: ['hub', 'method'],
    buckets: FAST_SECONDS,
  },
  fanOut: {
    kind: 'histogram',
    description: 'Connections of this node a send reached (one observation per send and node: all, a group, a user, a list of connections; a recoverable group: its local members).',
    unit: '{connection}',
    labels: ['hub'],
    buckets: Object.freeze([0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000]),
  },
  deliveryLatency: {
    kind: 'histogram',
    description:
      "Time from a send reaching this node's fan-out (the send call, or its arrival from the backplane or a recoverable group's history) to the last local recipient's transport write, serialization included (one observation per send, not per recipient). Cross-node lag is not in it: backplane messages carry no send time.",
    unit: 's',
    labels: ['hub'],
    buckets: FAST_SECONDS,
  },
  sentMessageSize: {
    kind: 'histogram',
    description: 'Size of a sent hub message (a send, not a completion) as serialized for one protocol: one observation per send and protocol, whatever the number of recipients.',
    unit: 'By',
    labels: ['hub', 'protocol'],
    buckets: Object.freeze([64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 1048576]),
  },
  outboundBufferBytes: {
    kind: 'gauge',
    description: "Bytes written to this node's connections and not yet taken by their clients, summed over the hub's connections at collection time.",
    unit: 'By',
    labels: ['hub'],
  },
  outboundBufferMaxBytes: {
    kind: 'gauge',
    description: 'The largest outbound backlog (bytes) of one connection of the hub at collection time: the slowest consumer.',
    unit: 'By',
    labels: ['hub'],
  },
  groups: {
    kind: 'gauge',
    description: 'Groups with at least one member connected to this node.',
    unit: '{group}',
    labels: ['hub'],
  },
  users: {
    kind: 'gauge',
    description: 'Distinct users with at least one connection to this node.',
    unit: '{user}',
    labels: ['hub'],
  },
  redisConnected: {
    kind: 'gauge',
    description: "1 while a Redis connection of the backplane is ready, 0 while it is down (label `kind`: publisher, subscriber, …).",
    unit: '{connection}',
    labels: ['hub', 'kind'],
  },
} as const satisfies Record<string, InstrumentInfo>;

/** The name of any instrument of {@link Instruments}. */
export type InstrumentName = keyof typeof Instruments;

type NamesOfKind<K extends InstrumentKind> = { [N in InstrumentName]: (typeof Instruments)[N]['kind'] extends K ? N : never }[InstrumentName];

/** Instruments {@link Metrics.record} takes: histograms (an observation) and up-down counters (a change). */
export type RecordedName = NamesOfKind<'histogram' | 'updown'>;

/** Instruments {@link Metrics.observe} takes: gauges read at collection time. */
export type GaugeName = NamesOfKind<'gauge'>;

/** The label names of every counter of {@link MetricNames} (their descriptions live there). */
export const Counters = {
  connectionsOpened: { labels: ['hub', 'transport', 'protocol'] },
  connectionsClosed: { labels: ['hub', 'transport', 'protocol'] },
  messagesReceived: { labels: ['hub', 'protocol'] },
  receivedBytes: { labels: ['hub', 'protocol'], unit: 'By' },
  messagesSent: { labels: ['hub', 'protocol'] },
  sentBytes: { labels: ['hub', 'protocol'], unit: 'By' },
  invocations: { labels: ['hub', 'method'] },
  invocationErrors: { labels: ['hub', 'method', 'code'] },
  slowConsumerDisconnects: { labels: ['hub', 'reason'] },
  sendTimeouts: { labels: ['hub'] },
  authenticationExpired: { labels: ['hub'] },
  protocolErrors: { labels: ['hub', 'reason'] },
  clientTimeouts: { labels: ['hub'] },
  handshakeFailures: { labels: ['hub', 'reason'] },
  transportsLost: { labels: ['hub'] },
  transportsResumed: { labels: ['hub'] },
  transportsExpired: { labels: ['hub'] },
  rateLimited: { labels: ['hub', 'limit'] },
  rateLimitedDryRun: { labels: ['hub', 'limit'] },
  backplanePublished: { labels: ['hub'] },
  backplaneReceived: { labels: ['hub'] },
  backplanePublishFailures: { labels: ['hub'] },
  presenceWriteFailures: { labels: ['hub'] },
  recoveryRecovered: { labels: ['hub'] },
  recoveryMissed: { labels: ['hub'] },
  recoveryReplayed: { labels: ['hub'] },
  recoveryGapsFilled: { labels: ['hub'] },
  recoverySlowDrops: { labels: ['hub', 'policy'] },
  recoverySlowConflated: { labels: ['hub'] },
} as const satisfies Record<MetricName, CounterInfo>;

/** `signalr.connection.status` values: how a connection ended, as ASP.NET Core reports it. */
export type ConnectionStatus = 'normal_closure' | 'timeout' | 'app_shutdown';

/** `signalr.transport` values, by Hubwire's transport kind. */
export const TransportAttribute = {
  WebSockets: 'web_sockets',
  ServerSentEvents: 'server_sent_events',
  LongPolling: 'long_polling',
} as const;

/** The `method` label for an invocation of a method the hub does not have (so the label stays bounded). */
export const UNKNOWN_METHOD = 'unknown';

/**
 * The `method` label (and span method) of every call a hub's `fallbackMethod` serves: the names
 * clients send are theirs to choose, so they never become label values or span names.
 */
export const FALLBACK_METHOD = '(fallback)';

/** The `code` label of an invocation error: the code of a HubwireError the method threw, or one of these. */
export const InvocationErrorCode = {
  /** The method threw a HubError (its message reached the client). */
  hubError: 'hub_error',
  /** The method threw anything else. */
  exception: 'exception',
  /** No method of that name (the `method` label is then `unknown`). */
  unknownMethod: 'unknown_method',
  /** The call did not fit the method: argument or stream count, stream or not, an invocation id in use, a stream method returning no stream. */
  invalidInvocation: 'invalid_invocation',
  /** The method's authorization requirement refused the caller. */
  unauthorized: 'unauthorized',
} as const;

function unitSuffix(unit: string | undefined): string {
  if (unit === 's') return '_seconds';
  if (unit === 'By') return '_bytes';
  return '';
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The Prometheus name of a counter or an instrument (see the module comment for the rule).
 * @example
 * ```ts
 * prometheusName('connectionDuration'); // 'signalr_server_connection_duration_seconds'
 * prometheusName('invocationDuration'); // 'hubwire_invocation_duration_seconds'
 * prometheusName('sentBytes');          // 'hubwire_sent_bytes_total'
 * prometheusName('messagesSent');       // 'hubwire_messages_sent_total'
 * ```
 */
export function prometheusName(name: InstrumentName | MetricName): string {
  const instrument: InstrumentInfo | undefined = name in Instruments ? Instruments[name as InstrumentName] : undefined;
  const counter: CounterInfo | undefined = instrument === undefined ? Counters[name as MetricName] : undefined;
  const base = instrument?.otelName?.replaceAll('.', '_') ?? `hubwire_${snake(name)}`;
  const suffix = unitSuffix(instrument?.unit ?? counter?.unit);
  const withUnit = suffix === '' || base.endsWith(suffix) ? base : base + suffix;
  return counter === undefined ? withUnit : `${withUnit}_total`;
}

/** A label name as Prometheus allows it (`signalr.transport` → `signalr_transport`). */
export function prometheusLabel(label: string): string {
  return label.replaceAll('.', '_');
}
