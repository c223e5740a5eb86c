/**
 * A line chart of a {@link SeriesWindow} over time, drawn by uPlot on a canvas (it keeps up with
 * series redrawn every second where an SVG chart grows a node per point). The chart is made once
 * per set of series and fed new data after; it follows its container's width. Beside the canvas
 * the latest value of each series is written out, for screen readers and tests.
 * @module
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { latestValue, toColumns, type SeriesWindow } from './series-window';
import './charts.css';

/** Line colours, readable on light and dark backgrounds. */
const PALETTE = ['#0969da', '#1a7f37', '#bf8700', '#cf222e', '#8250df', '#1b7c83', '#bc4c00', '#6e7781'];

/** How one series is shown (its colour is its place in the palette, the same in the legend). */
export interface SeriesStyle {
  readonly label?: string;
}

/** Props of {@link TimeChart}. */
export interface TimeChartProps {
  /** The chart's name (its heading and accessible name). */
  readonly title: string;
  readonly window: SeriesWindow;
  /** Labels per key (default: the key). */
  readonly styles?: Readonly<Record<string, SeriesStyle>>;
  /** Formats a latest value (default: up to 2 decimals). */
  readonly format?: (value: number, key: string) => string;
  readonly height?: number;
  readonly testId?: string;
  /** Shown while there is no point yet. */
  readonly empty?: string;
}

const defaultFormat = (value: number) => value.toLocaleString(undefined, { maximumFractionDigits: 2 });

/** A time chart with its legend of latest values. */
export function TimeChart({ title, window, styles = {}, format = defaultFormat, height = 180, testId, empty = 'No data yet.' }: TimeChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | undefined>(undefined);
  const keysSignature = window.keys.join('\u0000');
  const hasPoints = window.points.length > 0;

  // A new set of series is a new chart (uPlot's series are fixed at creation).
  useEffect(() => {
    const element = host.current;
    if (element === null || !hasPoints) return undefined;
    const keys = keysSignature === '' ? [] : keysSignature.split('\u0000');
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      // One point (or all at one time) would make uPlot span years around it: show the minute before it.
      scales: { x: { time: true, range: (_chart, min, max) => (min === max ? [min - 60, max] : [min, max]) } },
      axes: [{ stroke: 'currentColor', grid: { stroke: 'rgba(127,127,127,0.2)' } }, { stroke: 'currentColor', grid: { stroke: 'rgba(127,127,127,0.2)' }, size: 56 }],
      series: [{}, ...keys.map((key, index) => ({ label: styles[key]?.label ?? key, stroke: PALETTE[index % PALETTE.length]!, width: 2, spanGaps: false }))],
    };
    const made = new uPlot(options, toColumns(window, keys) as uPlot.AlignedData, element);
    chart.current = made;
    const resize = new ResizeObserver(() => made.setSize({ width: Math.max(200, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      made.destroy();
      chart.current = undefined;
    };
    // window's data is fed by the effect below; styles are read when the chart is made.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [keysSignature, height, hasPoints]);

  useEffect(() => {
    chart.current?.setData(toColumns(window) as uPlot.AlignedData);
  }, [window]);

  return (
    <figure className="time-chart" data-testid={testId} data-points={window.points.length}>
      <figcaption className="time-chart-title">{title}</figcaption>
      {hasPoints ? <div ref={host} className="time-chart-canvas" role="img" aria-label={`${title}: a line chart of the last ${window.points.length} points`} /> : <p className="muted time-chart-empty">{empty}</p>}
      {hasPoints && window.keys.length > 0 ? (
        <ul className="time-chart-legend">
          {window.keys.map((key, index) => {
            const value = latestValue(window, key);
            return (
              <li key={key} data-key={key}>
                <span className="time-chart-swatch" data-color={index % PALETTE.length} aria-hidden="true" />
                <span>{styles[key]?.label ?? key}</span> <strong data-testid={testId === undefined ? undefined : `${testId}-${key}`}>{value === undefined ? '–' : format(value, key)}</strong>
              </li>
            );
          })}
        </ul>
      ) : null}
    </figure>
  );
}
