/**
 * The alert centre's state: the alerts received (general alerts and performance alerts, newest
 * first, at most {@link MAX_ALERTS} kept), counts per severity of those received and of those
 * not yet acknowledged, and acknowledging one or all. A reducer of plain data, tested alone.
 * @module
 */
import type { Alert, AlertSeverity, PerformanceAlert } from '../../hubs/contracts';

/** The severities, in the order the centre shows them. */
export const SEVERITIES: readonly AlertSeverity[] = ['error', 'warning', 'info', 'success'];

/** How many alerts the centre keeps (the oldest go first; the received counts go on counting). */
export const MAX_ALERTS = 200;

/** One alert as the centre shows it. */
export interface AlertEntry {
  readonly id: string;
  /** `alert`: ReceiveAlert; `performance`: ReceivePerformanceAlert. */
  readonly kind: 'alert' | 'performance';
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly message: string;
  readonly source: string | null;
  readonly timestamp: string;
  /** A performance alert's figures. */
  readonly metric?: { readonly name: string; readonly value: number; readonly threshold: number; readonly unit: string | null };
  readonly acknowledged: boolean;
}

export type SeverityCounts = Readonly<Record<AlertSeverity, number>>;

/** The centre's state. */
export interface AlertCentreState {
  /** Newest first. */
  readonly entries: readonly AlertEntry[];
  /** Alerts received since the page opened, per severity (also those no longer kept). */
  readonly received: SeverityCounts;
}

export type AlertAction =
  | { readonly kind: 'alert'; readonly alert: Alert }
  | { readonly kind: 'performance'; readonly alert: PerformanceAlert }
  | { readonly kind: 'acknowledge'; readonly id: string }
  | { readonly kind: 'acknowledge-all' };

const ZERO: SeverityCounts = { info: 0, warning: 0, error: 0, success: 0 };

/** The centre with no alert. */
export function emptyAlertCentre(): AlertCentreState {
  return { entries: [], received: ZERO };
}

/** An entry of a general alert. */
export function alertEntry(alert: Alert): AlertEntry {
  return { id: alert.alertId, kind: 'alert', severity: alert.severity, title: alert.title, message: alert.message, source: alert.source, timestamp: alert.timestamp, acknowledged: false };
}

/** An entry of a performance alert (titled by its metric). */
export function performanceEntry(alert: PerformanceAlert): AlertEntry {
  return {
    id: alert.alertId,
    kind: 'performance',
    severity: alert.severity,
    title: `Performance: ${alert.metric}`,
    message: alert.message,
    source: null,
    timestamp: alert.timestamp,
    metric: { name: alert.metric, value: alert.value, threshold: alert.threshold, unit: alert.unit },
    acknowledged: false,
  };
}

function add(state: AlertCentreState, entry: AlertEntry): AlertCentreState {
  // The same alert twice (a resend) is shown once and counted once.
  if (state.entries.some((existing) => existing.id === entry.id)) return state;
  return { entries: [entry, ...state.entries].slice(0, MAX_ALERTS), received: { ...state.received, [entry.severity]: state.received[entry.severity] + 1 } };
}

/** The next state after `action`. */
export function alertCentreReducer(state: AlertCentreState, action: AlertAction): AlertCentreState {
  switch (action.kind) {
    case 'alert':
      return add(state, alertEntry(action.alert));
    case 'performance':
      return add(state, performanceEntry(action.alert));
    case 'acknowledge':
      if (!state.entries.some((entry) => entry.id === action.id && !entry.acknowledged)) return state;
      return { ...state, entries: state.entries.map((entry) => (entry.id === action.id ? { ...entry, acknowledged: true } : entry)) };
    case 'acknowledge-all':
      if (state.entries.every((entry) => entry.acknowledged)) return state;
      return { ...state, entries: state.entries.map((entry) => (entry.acknowledged ? entry : { ...entry, acknowledged: true })) };
  }
}

/** Alerts not yet acknowledged, per severity (of those kept). */
export function openCounts(state: AlertCentreState): SeverityCounts {
  const counts = { ...ZERO };
  for (const entry of state.entries) if (!entry.acknowledged) counts[entry.severity]++;
  return counts;
}

/** All alerts not yet acknowledged. */
export function openTotal(state: AlertCentreState): number {
  return state.entries.reduce((sum, entry) => sum + (entry.acknowledged ? 0 : 1), 0);
}

/** The entries of `severity` (all when undefined), optionally without the acknowledged ones. */
export function visibleAlerts(state: AlertCentreState, severity: AlertSeverity | undefined, openOnly: boolean): readonly AlertEntry[] {
  return state.entries.filter((entry) => (severity === undefined || entry.severity === severity) && (!openOnly || !entry.acknowledged));
}
