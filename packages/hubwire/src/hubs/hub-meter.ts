/**
 * What a mapped hub's connections report, with their label objects built once: traffic by
 * protocol (messages and bytes in and out) and connection counters by transport and protocol.
 * The traffic is the hot path — every
 * recipient of every send passes here — so a write only adds to plain numbers of its protocol,
 * and the sums go to {@link Metrics.increment} once per microtask: a broadcast to 10,000
 * connections costs one increment per protocol, not 10,000.
 * @module
 */
import { TransportAttribute } from '../core/instruments.js';
import type { MetricLabels, Metrics } from '../core/metrics.js';
import type { TransportKind } from '../transports/transport.js';

/** The traffic of one protocol of one hub since the last flush. */
export class ProtocolTraffic {
  /** `{ hub, protocol }`. */
  readonly labels: MetricLabels;
  sentMessages = 0;
  sentBytes = 0;
  receivedBytes = 0;
  readonly #meter: HubMeter;
  /**
   * The send whose size was recorded last: a send's recipients of one protocol are written one
   * after the other, so its size is recorded once, not per recipient. Undefined without histograms.
   */
  #lastSend: object | undefined;

  constructor(meter: HubMeter, labels: MetricLabels) {
    this.#meter = meter;
    this.labels = labels;
  }

  /** A send's message (`send`: the shared serialized message) queued for one recipient, `size` bytes in this protocol. */
  message(send: object, size: number): void {
    this.sentMessages++;
    if (this.#lastSend !== send && this.#meter.sizes) {
      this.#lastSend = send;
      this.#meter.metrics.record!('sentMessageSize', size, this.labels);
    }
    this.#meter.dirty();
  }

  /** Bytes handed to a transport. */
  sent(bytes: number): void {
    this.sentBytes += bytes;
    this.#meter.dirty();
  }

  /** Bytes of hub messages arrived from a client. */
  received(bytes: number): void {
    this.receivedBytes += bytes;
    this.#meter.dirty();
  }
}

/** One mapped hub's reporting helper. */
export class HubMeter {
  readonly metrics: Metrics;
  /** `{ hub }`. */
  readonly labels: MetricLabels;
  readonly #traffic = new Map<string, ProtocolTraffic>();
  readonly #connectionLabels = new Map<string, MetricLabels>();
  /** Whether the metrics take histograms (then a send's size is recorded once per protocol). */
  readonly sizes: boolean;
  #scheduled = false;
  readonly #flush = () => this.flush();

  constructor(metrics: Metrics, labels: MetricLabels) {
    this.metrics = metrics;
    this.labels = labels;
    this.sizes = metrics.record !== undefined;
  }

  /** The traffic tally of a protocol (one per protocol name, shared by its connections). */
  traffic(protocol: string): ProtocolTraffic {
    let traffic = this.#traffic.get(protocol);
    if (traffic === undefined) this.#traffic.set(protocol, (traffic = new ProtocolTraffic(this, Object.freeze({ ...this.labels, protocol }))));
    return traffic;
  }

  /** `{ hub, transport, protocol }` for connectionsOpened / connectionsClosed. */
  connectionLabels(kind: TransportKind | undefined, protocol: string): MetricLabels {
    const transport = kind === undefined ? 'unknown' : TransportAttribute[kind];
    const key = `${transport}/${protocol}`;
    let labels = this.#connectionLabels.get(key);
    if (labels === undefined) this.#connectionLabels.set(key, (labels = Object.freeze({ ...this.labels, transport, protocol })));
    return labels;
  }

  /** Something was tallied: flush once the current job is done. */
  dirty(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#flush);
  }

  /** Hands the tallies to the counters (also callable directly, e.g. before reading them). */
  flush(): void {
    this.#scheduled = false;
    const { metrics } = this;
    for (const traffic of this.#traffic.values()) {
      if (traffic.sentMessages > 0) metrics.increment('messagesSent', traffic.labels, traffic.sentMessages);
      if (traffic.sentBytes > 0) metrics.increment('sentBytes', traffic.labels, traffic.sentBytes);
      if (traffic.receivedBytes > 0) metrics.increment('receivedBytes', traffic.labels, traffic.receivedBytes);
      traffic.sentMessages = 0;
      traffic.sentBytes = 0;
      traffic.receivedBytes = 0;
    }
  }
}
