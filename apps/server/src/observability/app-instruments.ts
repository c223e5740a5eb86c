/**
 * The server app's own metrics, beside the library's: one row each, in the shape of the
 * library's `Instruments` table plus counters. `specs.ts` names them for Prometheus
 * (`hubwire_<snake key>` + unit suffix + `_total` for counters) and OpenTelemetry
 * (`hubwire.server.<snake key>`, meter `hubwire.server`). Labels stay bounded: a REST route is
 * its pattern (`/api/campaigns/:id`), never the requested path.
 * @module
 */

/** One row of {@link AppInstruments}. */
export interface AppInstrumentInfo {
  readonly kind: 'counter' | 'histogram' | 'updown' | 'gauge';
  readonly description: string;
  /** UCUM unit: `s`, `By`, a `{count}`, or empty for a plain count. */
  readonly unit: string;
  readonly labels: readonly string[];
  /** Histogram upper bounds, in `unit`. */
  readonly buckets?: readonly number[];
}

/** Seconds, for requests that take a millisecond to a few seconds. */
const REQUEST_SECONDS: readonly number[] = Object.freeze([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/**
 * Seconds, for a campaign snapshot: tens of microseconds from memory, a Redis round trip or a
 * few on a cluster.
 */
const SNAPSHOT_SECONDS: readonly number[] = Object.freeze([0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);

/**
 * The app's metrics. Report them through the app's metrics like the library's:
 * @example
 * ```ts
 * metrics.increment('restRequests', { method: 'GET', route: '/api/campaigns/:id', status: '200' });
 * metrics.record('restRequestDuration', 0.004, { method: 'GET', route: '/api/campaigns/:id' });
 * ```
 */
export const AppInstruments = {
  restRequests: {
    kind: 'counter',
    description: 'REST and page requests answered by the app (not the hubs\' negotiate and transport requests), by method, route pattern (`unmatched` for no route) and status (`aborted` when the client left before the answer).',
    unit: '',
    labels: ['method', 'route', 'status'],
  },
  restRequestDuration: {
    kind: 'histogram',
    description: 'How long the app took to answer a REST or page request, from its arrival to the last byte of the answer.',
    unit: 's',
    labels: ['method', 'route'],
    buckets: REQUEST_SECONDS,
  },
  campaignSnapshotDuration: {
    kind: 'histogram',
    description:
      'How long building a campaign snapshot took (reading the campaign from its store and taking its state), by what asked for it (`source`): `subscribe` (SubscribeToCampaign without a position), `get` (GetCampaignSnapshot), `recovery` (the snapshot a recovering subscriber gets first when the history no longer covers its gap). Only snapshots that were built; an unknown campaign or an unreachable store is not one.',
    unit: 's',
    labels: ['source'],
    buckets: SNAPSHOT_SECONDS,
  },
  campaignEventsPublished: {
    kind: 'counter',
    description:
      "Campaign messages this node sent to a campaign's recoverable group, by `kind` (`event`: an orchestration event; `artifact`: an artifact update; `acknowledgement`: a cancellation acknowledgement, sent with its event) and `outcome` (`published`: a new history entry; `duplicate`: the history already held that sequence number and dropped it, e.g. a takeover or a cancel racing the run's owner).",
    unit: '',
    labels: ['kind', 'outcome'],
  },
} as const satisfies Record<string, AppInstrumentInfo>;

/** A key of {@link AppInstruments}. */
export type AppInstrumentName = keyof typeof AppInstruments;
