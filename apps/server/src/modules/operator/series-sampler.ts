/**
 * The operator console's history: every few seconds (on the app's clock) the sampler reads the
 * node figures of the operator registry — every live node's on a cluster, this node's alone
 * without one — and keeps, per hub, how fast messages, invocations, invocation errors and
 * slow-consumer actions went since the last sample and how many connections there were, in a
 * ring buffer (10 minutes by default). A sample is one registry read, so the sampler costs a few
 * microseconds in one process and one Redis round trip on a cluster per interval.
 *
 * Rates are per node first: each node's counters are running totals, so the sampler subtracts a
 * node's previous totals from its current ones and adds the differences up. A node that joins
 * between two samples counts from 0 if it started after the previous sample (else from its first
 * sample), one that leaves simply stops counting: neither makes the cluster's rate jump.
 * @module
 */
import type { Clock, TimerHandle } from 'hubwire';
import type { Logger } from 'pino';
import { total } from './cluster-figures.js';
import type { HubFigures } from './node-figures.js';
import { RingBuffer } from './ring-buffer.js';

/** How fast things went on one hub over one sample's interval. */
export interface HubRates {
  /** Hub messages from clients per second. */
  readonly messagesIn: number;
  /** Hub messages to clients per second (one per recipient). */
  readonly messagesOut: number;
  readonly invocations: number;
  readonly invocationErrors: number;
  /** Slow-consumer disconnects, send timeouts, drops and conflations per second. */
  readonly slowConsumerActions: number;
  /** Live connections when the sample was taken (not a rate). */
  readonly connections: number;
}

/** One sample. */
export interface SeriesPoint {
  /** When it was taken (epoch ms, the app's clock). */
  readonly at: number;
  /** The interval its rates are over. */
  readonly seconds: number;
  /** `cluster`: every live node's figures; `node`: the others could not be read, this node's only. */
  readonly scope: 'cluster' | 'node';
  readonly hubs: ReadonlyMap<string, HubRates>;
}

/** One node's figures as a registry read gives them. */
export interface SampledNode {
  readonly nodeId: string;
  /** ISO time the node started. */
  readonly startedAt: string;
  readonly hubs: readonly HubFigures[];
}

/** What the sampler reads each interval. */
export type SampleSource = () => Promise<{ readonly nodes: readonly SampledNode[]; readonly partial: boolean }>;

/** What a sampler is built from. */
export interface SeriesSamplerOptions {
  readonly read: SampleSource;
  readonly clock: Clock;
  /** How often it samples (ms). */
  readonly intervalMs: number;
  /** How much history it keeps (ms); the buffer holds `windowMs / intervalMs` samples. */
  readonly windowMs: number;
  readonly logger?: Logger;
}

/** Running totals of one hub on one node. */
interface Totals {
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly invocations: number;
  readonly invocationErrors: number;
  readonly slowConsumerActions: number;
  readonly connections: number;
}

interface Sample {
  readonly at: number;
  readonly nodes: ReadonlyMap<string, ReadonlyMap<string, Totals>>;
}

const COUNTED = ['messagesIn', 'messagesOut', 'invocations', 'invocationErrors', 'slowConsumerActions'] as const;

/**
 * @example
 * ```ts
 * const sampler = new SeriesSampler({ read: () => registry.read(), clock, intervalMs: 5000, windowMs: 600_000 });
 * sampler.start();
 * sampler.points(60_000); // the last minute, oldest first
 * await sampler.stop();
 * ```
 */
export class SeriesSampler {
  readonly #options: SeriesSamplerOptions;
  readonly #points: RingBuffer<SeriesPoint>;
  #previous: Sample | undefined;
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #failing = false;

  constructor(options: SeriesSamplerOptions) {
    if (!(options.intervalMs > 0) || !(options.windowMs >= options.intervalMs)) throw new RangeError(`The sampler needs 0 < intervalMs <= windowMs; got ${options.intervalMs} and ${options.windowMs}.`);
    this.#options = options;
    this.#points = new RingBuffer(Math.ceil(options.windowMs / options.intervalMs));
  }

  get intervalMs(): number {
    return this.#options.intervalMs;
  }

  get windowMs(): number {
    return this.#options.windowMs;
  }

  /** Takes the first sample (the baseline of the first rates) and then one every interval. */
  start(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = this.#options.clock.setInterval(() => void this.sample(), this.#options.intervalMs);
    void this.sample();
  }

  /** Stops sampling (a sample in flight finishes first). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#running;
  }

  /** The samples of the last `ms` (default: all kept), oldest first. */
  points(ms = this.#options.windowMs): SeriesPoint[] {
    const since = this.#options.clock.now() - ms;
    return this.#points.toArray().filter((point) => point.at > since);
  }

  /**
   * Takes a sample now; one still in flight (a slow Redis) makes this one a no-op rather than
   * queueing reads. Resolves when it is in (tests step a fake clock and wait for it).
   */
  sample(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return (this.#running ??= this.#take().finally(() => (this.#running = undefined)));
  }

  async #take(): Promise<void> {
    const at = this.#options.clock.now();
    try {
      const read = await this.#options.read();
      const nodes = new Map(read.nodes.map((node) => [node.nodeId, totalsOf(node.hubs)]));
      const previous = this.#previous;
      if (previous !== undefined && at > previous.at) this.#points.push(this.#point(previous, { at, nodes }, read.nodes, read.partial));
      this.#previous = { at, nodes };
      this.#failing = false;
    } catch (error) {
      // The registry read answers this node alone when Redis is down; only a bug lands here.
      if (!this.#failing) this.#options.logger?.error({ err: error }, 'operator series sample failed (logged once until one succeeds)');
      this.#failing = true;
    }
  }

  #point(previous: Sample, current: Sample, nodes: readonly SampledNode[], partial: boolean): SeriesPoint {
    const seconds = (current.at - previous.at) / 1000;
    const sums = new Map<string, Record<keyof Totals, number>>();
    for (const node of nodes) {
      const before = previous.nodes.get(node.nodeId);
      // A node first seen now counts from 0 if it started since the previous sample; else its
      // totals are only the baseline of its next sample.
      const counts = before !== undefined || Date.parse(node.startedAt) >= previous.at;
      for (const [path, now] of current.nodes.get(node.nodeId) ?? []) {
        const then = before?.get(path);
        const sum = sums.get(path) ?? { messagesIn: 0, messagesOut: 0, invocations: 0, invocationErrors: 0, slowConsumerActions: 0, connections: 0 };
        sum.connections += now.connections;
        if (counts) for (const key of COUNTED) sum[key] += Math.max(0, now[key] - (then?.[key] ?? 0));
        sums.set(path, sum);
      }
    }
    const hubs = new Map<string, HubRates>();
    for (const [path, sum] of sums) {
      hubs.set(path, {
        messagesIn: sum.messagesIn / seconds,
        messagesOut: sum.messagesOut / seconds,
        invocations: sum.invocations / seconds,
        invocationErrors: sum.invocationErrors / seconds,
        slowConsumerActions: sum.slowConsumerActions / seconds,
        connections: sum.connections,
      });
    }
    return { at: current.at, seconds, scope: partial ? 'node' : 'cluster', hubs };
  }
}

function totalsOf(hubs: readonly HubFigures[]): Map<string, Totals> {
  return new Map(
    hubs.map((hub) => [
      hub.path,
      {
        messagesIn: hub.messagesReceived,
        messagesOut: hub.messagesSent,
        invocations: hub.invocations,
        invocationErrors: hub.errors.invocations,
        slowConsumerActions: total(hub.slowConsumer),
        connections: hub.connections,
      },
    ]),
  );
}
