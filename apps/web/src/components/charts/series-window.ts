/**
 * A bounded window of time-series points for the charts: each point is a time and a value per
 * series; the window keeps at most `maxPoints` points and none older than `maxAgeMs` behind the
 * newest, so a dashboard left open for hours draws the same amount as after a minute. Plain
 * data and pure functions (no React, no uPlot), so the bounding is tested alone.
 * @module
 */

/** One point: its time (ms since the epoch) and a value per series (a missing one is a gap). */
export interface SeriesPoint {
  readonly at: number;
  readonly values: Readonly<Record<string, number | null | undefined>>;
}

/** The window's limits. */
export interface WindowLimits {
  /** At most this many points (the oldest go first). */
  readonly maxPoints: number;
  /** No point older than this behind the newest one (ms); undefined: no age limit. */
  readonly maxAgeMs?: number;
}

/** A window of points in time order, with the series names in the order they first appeared. */
export interface SeriesWindow {
  readonly keys: readonly string[];
  readonly points: readonly SeriesPoint[];
}

/** A window without points. */
export function emptyWindow(keys: readonly string[] = []): SeriesWindow {
  return { keys, points: [] };
}

/** The window with `point` added (in time order; a point at the time of one already there replaces it), then bounded. */
export function addPoint(window: SeriesWindow, point: SeriesPoint, limits: WindowLimits): SeriesWindow {
  if (!Number.isFinite(point.at)) return window;
  const keys = [...window.keys];
  for (const key of Object.keys(point.values)) if (!keys.includes(key)) keys.push(key);
  const points = [...window.points];
  // Points almost always come in order: look from the end.
  let index = points.length;
  while (index > 0 && points[index - 1]!.at > point.at) index--;
  if (index > 0 && points[index - 1]!.at === point.at) points[index - 1] = point;
  else points.splice(index, 0, point);
  return bound({ keys, points }, limits);
}

/** A window of `points` (any order), bounded. */
export function windowOf(points: readonly SeriesPoint[], limits: WindowLimits, keys: readonly string[] = []): SeriesWindow {
  return points.reduce((window, point) => addPoint(window, point, limits), emptyWindow(keys));
}

/** `window` within `limits`: the newest `maxPoints`, none older than `maxAgeMs` behind the newest. */
export function bound(window: SeriesWindow, limits: WindowLimits): SeriesWindow {
  const { points } = window;
  const newest = points.at(-1)?.at;
  let start = Math.max(0, points.length - Math.max(0, Math.floor(limits.maxPoints)));
  if (newest !== undefined && limits.maxAgeMs !== undefined) {
    const oldest = newest - limits.maxAgeMs;
    while (start < points.length && points[start]!.at < oldest) start++;
  }
  return start === 0 ? window : { keys: window.keys, points: points.slice(start) };
}

/**
 * uPlot's data: the times in seconds, then one column per key (null where a point has no value,
 * which uPlot draws as a gap).
 */
export function toColumns(window: SeriesWindow, keys: readonly string[] = window.keys): [number[], ...(number | null)[][]] {
  const times = window.points.map((point) => point.at / 1000);
  const columns = keys.map((key) => window.points.map((point) => {
    const value = point.values[key];
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  }));
  return [times, ...columns];
}

/** The newest value of `key`, if any point has one. */
export function latestValue(window: SeriesWindow, key: string): number | undefined {
  for (let index = window.points.length - 1; index >= 0; index--) {
    const value = window.points[index]!.values[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}
