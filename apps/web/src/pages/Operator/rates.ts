/**
 * The operator's series (`GET /api/operator/series`) as chart windows: the cluster's totals, or
 * one hub's, per second over time. The server keeps 10 minutes; the console bounds what it
 * draws the same way as the dashboard does.
 * @module
 */
import { windowOf, type SeriesWindow, type WindowLimits } from '../../components/charts/series-window';
import type { HubRates, Series } from './operator-api';

/** At most 10 minutes of 5 s points, and never more than 240 points. */
export const RATE_LIMITS: WindowLimits = { maxPoints: 240, maxAgeMs: 10 * 60_000 };

/** The keys of each chart. */
export const TRAFFIC_KEYS = ['messagesIn', 'messagesOut', 'invocations'] as const satisfies readonly (keyof HubRates)[];
export const TROUBLE_KEYS = ['invocationErrors', 'slowConsumerActions'] as const satisfies readonly (keyof HubRates)[];
export const CONNECTION_KEYS = ['connections'] as const satisfies readonly (keyof HubRates)[];

/** The window of `keys` for the totals (`path` undefined) or the hub at `path`. */
export function ratesWindow(series: Series | undefined, keys: readonly (keyof HubRates)[], path?: string): SeriesWindow {
  const points = (series?.points ?? []).flatMap((point) => {
    const rates = path === undefined ? point.totals : point.hubs[path];
    if (rates === undefined) return [];
    return [{ at: Date.parse(point.timestamp), values: Object.fromEntries(keys.map((key) => [key, rates[key]])) }];
  });
  return windowOf(points, RATE_LIMITS, keys);
}
