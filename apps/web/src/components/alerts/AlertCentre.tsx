/**
 * The alert centre: a count per severity of the alerts not yet acknowledged (each a filter),
 * the alerts newest first with their severity, source and time, and acknowledging one or all.
 * The state is {@link AlertCentreState}; the owner dispatches what arrives.
 * @module
 */
import { useState, type Dispatch } from 'react';
import type { AlertSeverity } from '../../hubs/contracts';
import { openCounts, openTotal, SEVERITIES, visibleAlerts, type AlertAction, type AlertCentreState, type AlertEntry } from './alert-centre';
import './alerts.css';

const SEVERITY_LABELS: Readonly<Record<AlertSeverity, string>> = { error: 'Error', warning: 'Warning', info: 'Info', success: 'Success' };

function AlertItem({ entry, dispatch }: { readonly entry: AlertEntry; readonly dispatch: Dispatch<AlertAction> }) {
  const unit = entry.metric?.unit === null || entry.metric === undefined ? '' : ` ${entry.metric.unit}`;
  return (
    <li className="alert-item" data-testid="alert" data-severity={entry.severity} data-kind={entry.kind} data-acknowledged={entry.acknowledged} data-alert-id={entry.id}>
      <div className="alert-head">
        <span className={`badge severity-${entry.severity}`}>{SEVERITY_LABELS[entry.severity]}</span>
        {entry.kind === 'performance' ? <span className="badge">performance</span> : null}
        <strong className="alert-title">{entry.title}</strong>
        <time className="muted" dateTime={entry.timestamp}>
          {new Date(entry.timestamp).toLocaleTimeString()}
        </time>
      </div>
      <p className="alert-message">{entry.message}</p>
      {entry.metric === undefined ? null : (
        <p className="muted alert-metric">
          {entry.metric.name}: {entry.metric.value}
          {unit} (threshold {entry.metric.threshold}
          {unit})
        </p>
      )}
      <div className="alert-foot">
        {entry.source === null ? <span /> : <span className="muted">from {entry.source}</span>}
        {entry.acknowledged ? (
          <span className="muted" data-testid="alert-acknowledged">
            acknowledged
          </span>
        ) : (
          <button type="button" className="button-quiet" data-testid="alert-acknowledge" onClick={() => dispatch({ kind: 'acknowledge', id: entry.id })} aria-label={`Acknowledge ${entry.title}`}>
            Acknowledge
          </button>
        )}
      </div>
    </li>
  );
}

/** The alert centre of `state`. */
export function AlertCentre({ state, dispatch, title = 'Alert centre' }: { readonly state: AlertCentreState; readonly dispatch: Dispatch<AlertAction>; readonly title?: string }) {
  const [severity, setSeverity] = useState<AlertSeverity | undefined>(undefined);
  const [openOnly, setOpenOnly] = useState(false);
  const counts = openCounts(state);
  const open = openTotal(state);
  const shown = visibleAlerts(state, severity, openOnly);
  return (
    <section className="alert-centre" aria-labelledby="alert-centre-title" data-testid="alert-centre">
      <header className="alert-centre-header">
        <h2 id="alert-centre-title">
          {title} <span className="count" data-testid="alert-open-total">{open}</span>
        </h2>
        <button type="button" className="button-quiet" data-testid="alert-acknowledge-all" disabled={open === 0} onClick={() => dispatch({ kind: 'acknowledge-all' })}>
          Acknowledge all
        </button>
      </header>
      <div className="alert-counts" role="group" aria-label="Open alerts by severity (filter)">
        <button type="button" className="button-quiet" aria-pressed={severity === undefined} onClick={() => setSeverity(undefined)} data-testid="alert-filter-all">
          All
        </button>
        {SEVERITIES.map((name) => (
          <button key={name} type="button" className={`button-quiet severity-count severity-${name}`} aria-pressed={severity === name} onClick={() => setSeverity(severity === name ? undefined : name)} data-testid={`alert-count-${name}`} data-count={counts[name]} title={`${state.received[name]} received`}>
            {SEVERITY_LABELS[name]} <span className="count">{counts[name]}</span>
          </button>
        ))}
        <label className="alert-open-only">
          <input type="checkbox" checked={openOnly} onChange={(event) => setOpenOnly(event.target.checked)} /> only open
        </label>
      </div>
      {shown.length === 0 ? (
        <p className="muted" data-testid="alerts-empty">
          {state.entries.length === 0 ? 'No alert yet.' : 'No alert matches.'}
        </p>
      ) : (
        <ol className="alert-list" aria-live="polite">
          {shown.map((entry) => (
            <AlertItem key={entry.id} entry={entry} dispatch={dispatch} />
          ))}
        </ol>
      )}
    </section>
  );
}
