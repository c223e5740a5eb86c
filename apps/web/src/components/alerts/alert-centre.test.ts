import { describe, expect, it } from 'vitest';
import type { Alert, PerformanceAlert } from '../../hubs/contracts';
import { alertCentreReducer, emptyAlertCentre, MAX_ALERTS, openCounts, openTotal, visibleAlerts, type AlertAction, type AlertCentreState } from './alert-centre';

const alert = (id: string, severity: Alert['severity']): Alert => ({ alertId: id, severity, title: `title ${id}`, message: `message ${id}`, source: null, timestamp: '2026-01-01T00:00:00.000Z' });
const slow = (id: string): PerformanceAlert => ({ alertId: id, metric: 'p99', value: 900, threshold: 500, unit: 'ms', severity: 'error', message: 'p99 is 900 ms (threshold 500 ms).', timestamp: '2026-01-01T00:00:00.000Z' });
const run = (actions: readonly AlertAction[], state: AlertCentreState = emptyAlertCentre()) => actions.reduce(alertCentreReducer, state);

describe('the alert centre', () => {
  it('shows alerts newest first and counts them per severity', () => {
    const state = run([{ kind: 'alert', alert: alert('a', 'info') }, { kind: 'alert', alert: alert('b', 'warning') }, { kind: 'alert', alert: alert('c', 'warning') }, { kind: 'alert', alert: alert('d', 'success') }]);
    expect(state.entries.map((entry) => entry.id)).toEqual(['d', 'c', 'b', 'a']);
    expect(state.received).toEqual({ info: 1, warning: 2, error: 0, success: 1 });
    expect(openCounts(state)).toEqual({ info: 1, warning: 2, error: 0, success: 1 });
    expect(openTotal(state)).toBe(4);
  });

  it('takes performance alerts with their metric, under their severity', () => {
    const state = run([{ kind: 'performance', alert: slow('p') }]);
    expect(state.entries[0]).toMatchObject({ kind: 'performance', severity: 'error', title: 'Performance: p99', metric: { name: 'p99', value: 900, threshold: 500, unit: 'ms' } });
    expect(openCounts(state).error).toBe(1);
  });

  it('acknowledges one: it stays listed and received, leaves the open counts', () => {
    const state = run([{ kind: 'alert', alert: alert('a', 'error') }, { kind: 'alert', alert: alert('b', 'error') }, { kind: 'acknowledge', id: 'a' }]);
    expect(state.entries.find((entry) => entry.id === 'a')?.acknowledged).toBe(true);
    expect(state.entries.find((entry) => entry.id === 'b')?.acknowledged).toBe(false);
    expect(openCounts(state).error).toBe(1);
    expect(state.received.error).toBe(2);
    expect(visibleAlerts(state, undefined, true).map((entry) => entry.id)).toEqual(['b']);
  });

  it('acknowledges all, and an acknowledgement of nothing new keeps the same state', () => {
    const state = run([{ kind: 'alert', alert: alert('a', 'info') }, { kind: 'alert', alert: alert('b', 'warning') }, { kind: 'acknowledge-all' }]);
    expect(openTotal(state)).toBe(0);
    expect(alertCentreReducer(state, { kind: 'acknowledge-all' })).toBe(state);
    expect(alertCentreReducer(state, { kind: 'acknowledge', id: 'a' })).toBe(state);
    expect(alertCentreReducer(state, { kind: 'acknowledge', id: 'unknown' })).toBe(state);
  });

  it('shows and counts the same alert once', () => {
    const state = run([{ kind: 'alert', alert: alert('a', 'info') }, { kind: 'alert', alert: alert('a', 'info') }]);
    expect(state.entries).toHaveLength(1);
    expect(state.received.info).toBe(1);
  });

  it(`keeps the newest ${MAX_ALERTS}, and the received counts go on`, () => {
    let state = emptyAlertCentre();
    for (let index = 0; index < MAX_ALERTS + 5; index++) state = alertCentreReducer(state, { kind: 'alert', alert: alert(`a${index}`, 'warning') });
    expect(state.entries).toHaveLength(MAX_ALERTS);
    expect(state.entries[0]?.id).toBe(`a${MAX_ALERTS + 4}`);
    expect(state.received.warning).toBe(MAX_ALERTS + 5);
  });

  it('filters by severity', () => {
    const state = run([{ kind: 'alert', alert: alert('a', 'info') }, { kind: 'alert', alert: alert('b', 'error') }]);
    expect(visibleAlerts(state, 'error', false).map((entry) => entry.id)).toEqual(['b']);
  });
});
