/**
 * The metrics seam. Hubwire counts what it does through this interface; the built-in
 * {@link createCounterMetrics} keeps plain in-process counters that `HubServer.metrics()` reports,
 * and an adapter for Prometheus or OpenTelemetry implements the same methods. Counters are
 * named here ({@link MetricNames}); histograms, up-down counters and gauges, and every counter's
 * label names, in `instruments.ts` ({@link Instruments}, {@link Counters}).
 * @module
 */
import type { GaugeName, RecordedName } from './instruments.js';

/** Every counter Hubwire increments, with what it counts. */
export const MetricNames = {
  connectionsOpened: 'Connections that completed the hub handshake.',
  connectionsClosed: 'Connections that ended after a completed handshake.',
  messagesReceived: 'Hub messages parsed from clients (pings included).',
  receivedBytes: 'Bytes of hub messages received from clients, after the handshake (label `protocol`).',
  messagesSent: 'Hub messages queued to clients (one per recipient).',
  sentBytes: 'Bytes of hub messages queued to clients, summed over recipients (label `protocol`).',
  invocations: 'Hub method invocations dispatched.',
  invocationErrors: 'Hub method invocations that ended with an error completion.',
  slowConsumerDisconnects: 'Connections closed because their outbound buffer overflowed, or a recoverable group with the disconnect policy gave up on them (their queue passed maxQueued).',
  sendTimeouts: 'Connections closed because a send stayed unfinished for transportSendTimeout (the client stopped reading).',
  authenticationExpired: 'Connections closed because their access token expired (closeOnAuthenticationExpiration).',
  protocolErrors: 'Connections closed because of malformed or oversized input.',
  clientTimeouts: 'Connections closed because the client went silent.',
  handshakeFailures: 'Connections whose hub handshake failed.',
  transportsLost: 'Stateful-reconnect connections that lost their WebSocket and waited for the client.',
  transportsResumed: 'Stateful-reconnect connections whose client came back on a new WebSocket.',
  transportsExpired: 'Stateful-reconnect connections whose client did not come back within disconnectTimeout; they ended.',
  rateLimited: 'Requests refused by a rate limit or a pending-connection cap (label `limit`: which one).',
  rateLimitedDryRun: 'Requests a rate limit would have refused, let through because rateLimits.dryRun is on (label `limit`).',
  backplanePublished: 'Cross-node messages (sends, group changes, client-result calls) this node published to the backplane.',
  backplaneReceived: 'Cross-node messages this node received from the backplane.',
  backplanePublishFailures: 'Cross-node messages (sends, group changes) the backplane could not publish, e.g. while Redis is unreachable; local recipients still got theirs.',
  presenceWriteFailures: 'Presence writes (a connect, disconnect or group change of this node) Redis did not take, e.g. during an outage; the node writes its whole state again once Redis is back.',
  recoveryRecovered: 'Recovering joins of a recoverable group whose history covered the gap (every missed message replayed).',
  recoveryMissed: 'Recovering joins the history could not cover (older than its window, another epoch, ahead of it): the snapshot hook ran instead.',
  recoveryReplayed: 'Messages of recoverable groups replayed to recovering connections.',
  recoveryGapsFilled: 'Entries of recoverable groups a node read from the history because it heard a later one first (or missed them while its subscriber was away).',
  recoverySlowDrops: 'Messages of recoverable groups dropped for a slow member (drop-oldest, or keep-latest with no message of the same key waiting).',
  recoverySlowConflated: 'Messages of recoverable groups replaced by a newer one with the same key for a slow member (keep-latest).',
} as const;

/** The name of a Hubwire counter. */
export type MetricName = keyof typeof MetricNames;

/**
 * Labels attached to a measurement (e.g. the hub path). Hubwire builds each label object once
 * (per hub, per hub and protocol, per hub and method, …) and passes the same object every time,
 * and freezes it, so an adapter may cache its labelled child per object identity (a `WeakMap`
 * keyed by frozen label objects) instead of hashing the labels on every call, as
 * {@link createCounterMetrics} does. Rare events may pass a fresh object; fall back to hashing then.
 */
export type MetricLabels = Readonly<Record<string, string>>;

/** Reports one value of a gauge at collection time, with its labels (`hub` at least). */
export type GaugeReport = (value: number, labels?: MetricLabels) => void;

/**
 * Where Hubwire reports what it measures. Only {@link Metrics.increment} is required, so a
 * counting-only implementation keeps working; {@link Metrics.record} and {@link Metrics.observe}
 * are optional, and when `record` is absent Hubwire does not even read the clock for what it
 * would record.
 *
 * @example A sink that logs histogram observations and knows no gauges:
 * ```ts
 * const metrics: Metrics = {
 *   increment(name, labels, by = 1) { counters.add(name, labels, by); },
 *   record(name, value, labels) { if (Instruments[name].kind === 'histogram') console.log(name, value, labels); },
 * };
 * createHubServer({ metrics });
 * ```
 */
export interface Metrics {
  /** Adds `by` (default 1) to a counter of {@link MetricNames}. */
  increment(name: MetricName, labels?: MetricLabels, by?: number): void;
  /**
   * A histogram observation, or an up-down counter's change (+1 / -1 for active connections);
   * {@link Instruments} says which `name` is. Values are in the instrument's unit (seconds, bytes,
   * a count).
   */
  record?(name: RecordedName, value: number, labels?: MetricLabels): void;
  /**
   * Registers a gauge callback, called at collection time: it calls `report` once per labelled
   * value it has (or not at all). Hubwire registers once per source (each mapped hub, each Redis
   * lifetime manager), so the same `name` can be observed several times with different `hub`
   * labels: report them all. Returns the function that unregisters it (the source closed).
   */
  observe?(name: GaugeName, collect: (report: GaugeReport) => void): () => void;
}

/** In-process counters with a snapshot, the default {@link Metrics}. */
export interface CounterMetrics extends Metrics {
  /** Totals per counter, summed over labels. */
  totals(): Record<MetricName, number>;
  /** Totals for one label value, e.g. `byLabel('hub', '/hubs/chat')`. */
  byLabel(label: string, value: string): Partial<Record<MetricName, number>>;
}

/** The counters in a fixed order: counts live in typed arrays, one slot per name. */
const COUNTER_NAMES = Object.keys(MetricNames) as MetricName[];
const COUNTER_INDEX = new Map<string, number>(COUNTER_NAMES.map((name, index) => [name, index]));

/** The counts of one label value (`hub=/chat`), and which counters were ever incremented there. */
interface LabelSlot {
  readonly counts: Float64Array;
  readonly touched: Uint8Array;
}

/** Creates the default in-process counters. */
export function createCounterMetrics(): CounterMetrics {
  const totals = new Float64Array(COUNTER_NAMES.length);
  const labelled = new Map<string, LabelSlot>();
  // Hubwire passes the same label objects again and again (see MetricLabels): the slots of one
  // are looked up once, and the last one used is compared by identity first, as most calls in a
  // row carry the same labels. Counts are typed-array cells: no keyed property store per call.
  const slotsOf = new WeakMap<MetricLabels, LabelSlot[]>();
  let lastLabels: MetricLabels | undefined;
  let lastSlots: LabelSlot[] = [];
  const resolve = (labels: MetricLabels): LabelSlot[] => {
    const slots: LabelSlot[] = [];
    for (const key in labels) {
      const slot = `${key}=${labels[key]}`;
      let counts = labelled.get(slot);
      if (counts === undefined) labelled.set(slot, (counts = { counts: new Float64Array(COUNTER_NAMES.length), touched: new Uint8Array(COUNTER_NAMES.length) }));
      slots.push(counts);
    }
    // Frozen objects cannot change under the cache; others are resolved every time.
    if (Object.isFrozen(labels)) {
      slotsOf.set(labels, slots);
      lastLabels = labels;
      lastSlots = slots;
    }
    return slots;
  };
  return {
    increment(name, labels, by = 1) {
      const index = COUNTER_INDEX.get(name);
      // A name this build does not know (a custom caller's) is not counted rather than thrown on a hot path.
      if (index === undefined) return;
      totals[index]! += by;
      if (labels === undefined) return;
      let slots = lastSlots;
      if (labels !== lastLabels) {
        const known = slotsOf.get(labels);
        if (known === undefined) slots = resolve(labels);
        else {
          slots = known;
          lastLabels = labels;
          lastSlots = known;
        }
      }
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i]!;
        slot.counts[index]! += by;
        slot.touched[index] = 1;
      }
    },
    totals: () => Object.fromEntries(COUNTER_NAMES.map((name, index) => [name, totals[index]!])) as Record<MetricName, number>,
    byLabel: (label, value) => {
      const slot = labelled.get(`${label}=${value}`);
      const counts: Partial<Record<MetricName, number>> = {};
      if (slot !== undefined) for (let i = 0; i < COUNTER_NAMES.length; i++) if (slot.touched[i] === 1) counts[COUNTER_NAMES[i]!] = slot.counts[i]!;
      return counts;
    },
  };
}

const extended = new WeakMap<MetricLabels, Map<string, MetricLabels>>();

/**
 * `{ ...base, [label]: value }`, built once per base object and pair and then reused, so
 * labelled counts (a reason, a policy, a method) keep the stable label identity adapters may
 * cache by. Values must come from a bounded set.
 * @example
 * ```ts
 * metrics.increment('protocolErrors', labelsWith(hubLabels, 'reason', 'too_large'));
 * ```
 */
export function labelsWith(base: MetricLabels, label: string, value: string): MetricLabels {
  let known = extended.get(base);
  if (known === undefined) extended.set(base, (known = new Map()));
  const key = `${label}\u0000${value}`;
  let labels = known.get(key);
  if (labels === undefined) known.set(key, (labels = Object.freeze({ ...base, [label]: value })));
  return labels;
}
