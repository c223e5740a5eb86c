/**
 * The campaigns' own figures (issue 10): how long a snapshot takes to build, and the messages
 * sent to the campaigns' recoverable groups, new or dropped by the history as duplicates. Both
 * go to the app's metrics (`AppContext.metrics`); the label objects are built once and frozen,
 * so the app's metric cells find each series by identity.
 * @module
 */
import type { MetricLabels } from 'hubwire';
import type { AppMetrics } from '../../observability/cells.js';
import type { CampaignMessage } from './run.js';

/** What asked for a snapshot. */
export type SnapshotSource = 'subscribe' | 'get' | 'recovery';

const SOURCES: Readonly<Record<SnapshotSource, MetricLabels>> = {
  subscribe: Object.freeze({ source: 'subscribe' }),
  get: Object.freeze({ source: 'get' }),
  recovery: Object.freeze({ source: 'recovery' }),
};

type Kind = 'event' | 'artifact' | 'acknowledgement';
type Outcome = 'published' | 'duplicate';

const PUBLISHED: Readonly<Record<Outcome, Readonly<Record<Kind, MetricLabels>>>> = {
  published: labelsOf('published'),
  duplicate: labelsOf('duplicate'),
};

function labelsOf(outcome: Outcome): Readonly<Record<Kind, MetricLabels>> {
  return {
    event: Object.freeze({ kind: 'event', outcome }),
    artifact: Object.freeze({ kind: 'artifact', outcome }),
    acknowledgement: Object.freeze({ kind: 'acknowledgement', outcome }),
  };
}

/**
 * Reports the campaigns' metrics into the app's.
 *
 * @example
 * ```ts
 * const measures = new CampaignMetrics(app.metrics);
 * const snapshot = await measures.snapshot('get', () => orchestrator.snapshot(id));
 * measures.sent(message, (await groups.publish(group, entry, { offset })).duplicate);
 * ```
 */
export class CampaignMetrics {
  readonly #metrics: AppMetrics;

  constructor(metrics: AppMetrics) {
    this.#metrics = metrics;
  }

  /**
   * Runs `build` and records how long it took, in real time (not the simulators' clock, which
   * tests step by hand), when it built a snapshot: an unknown campaign (undefined) or a failure
   * is not recorded.
   */
  async snapshot<T>(source: SnapshotSource, build: () => Promise<T | undefined>): Promise<T | undefined> {
    const started = performance.now();
    const snapshot = await build();
    if (snapshot !== undefined) this.#metrics.record('campaignSnapshotDuration', (performance.now() - started) / 1000, SOURCES[source]);
    return snapshot;
  }

  /** Counts one message sent to its campaign's group: an event with its acknowledgement counts both. */
  sent(message: CampaignMessage, duplicate: boolean): void {
    const labels = PUBLISHED[duplicate ? 'duplicate' : 'published'];
    if (message.kind === 'artifact') {
      this.#metrics.increment('campaignEventsPublished', labels.artifact);
      return;
    }
    this.#metrics.increment('campaignEventsPublished', labels.event);
    if (message.acknowledgement !== undefined) this.#metrics.increment('campaignEventsPublished', labels.acknowledgement);
  }
}
