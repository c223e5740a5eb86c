/**
 * `GET /api/operator/series?window=…&hub=…`: the sampler's points as JSON — per point its time,
 * interval and scope, the rates of each hub and their totals.
 * @module
 */
import { hubNameOf } from '../data-plane/index.js';
import type { HubRates, SeriesSampler } from './series-sampler.js';

/** `window` as the query gives it: seconds, or with a unit (`90`, `90s`, `5m`). */
export const WINDOW_PATTERN = '^[1-9][0-9]{0,5}[sm]?$';

/** Milliseconds of a `window` value matching {@link WINDOW_PATTERN}. */
export function windowMs(window: string): number {
  const minutes = window.endsWith('m');
  const count = Number.parseInt(window, 10);
  return count * (minutes ? 60_000 : 1000);
}

const ZERO: HubRates = { messagesIn: 0, messagesOut: 0, invocations: 0, invocationErrors: 0, slowConsumerActions: 0, connections: 0 };

/**
 * The answer for the last `ms` (at most the sampler's window) of the hubs at `paths`. A hub a
 * point has no figures for (no node served it then) reads 0 in it.
 */
export function seriesAnswer(sampler: SeriesSampler, paths: readonly string[], ms: number | undefined) {
  const span = Math.min(ms ?? sampler.windowMs, sampler.windowMs);
  return {
    intervalSeconds: sampler.intervalMs / 1000,
    windowSeconds: span / 1000,
    hubs: paths.map((path) => ({ hub: hubNameOf(path), path })),
    points: sampler.points(span).map((point) => {
      const hubs = Object.fromEntries(paths.map((path) => [path, point.hubs.get(path) ?? ZERO]));
      const totals = Object.values(hubs).reduce(
        (sum, rates) => ({
          messagesIn: sum.messagesIn + rates.messagesIn,
          messagesOut: sum.messagesOut + rates.messagesOut,
          invocations: sum.invocations + rates.invocations,
          invocationErrors: sum.invocationErrors + rates.invocationErrors,
          slowConsumerActions: sum.slowConsumerActions + rates.slowConsumerActions,
          connections: sum.connections + rates.connections,
        }),
        ZERO,
      );
      return { timestamp: new Date(point.at).toISOString(), seconds: point.seconds, scope: point.scope, totals, hubs };
    }),
  };
}
