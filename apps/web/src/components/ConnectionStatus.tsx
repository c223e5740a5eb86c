/**
 * The connection indicator: connected / connecting / reconnecting / disconnected, with the
 * transport and protocol while connected and the reason while not. `role="status"` so screen
 * readers hear the changes.
 * @module
 */
import { statusLabel, type HubStatus } from '../hubs/hub-view';
import { useHubStatuses } from '../hubs/hub-status-context';
import './connection-status.css';

/** One hub's state. `data-state` and `data-hub` are what the browser tests read. */
export function ConnectionStatus({ status, compact = false }: { readonly status: HubStatus; readonly compact?: boolean }) {
  const name = status.path.replace(/^\/hubs\//, '');
  return (
    <span className="connection-status" data-testid="connection-status" data-hub={status.path} data-state={status.state} role="status" aria-live="polite" title={status.error}>
      <span className="connection-dot" aria-hidden="true" />
      <span className="connection-hub">{name}</span>
      <span className="connection-label">{statusLabel(status)}</span>
      {!compact && status.error !== undefined && status.state !== 'connected' ? <span className="connection-error">{status.error}</span> : null}
    </span>
  );
}

/** The states of every hub the current page uses (nothing when it uses none). */
export function ConnectionBar() {
  const statuses = useHubStatuses();
  if (statuses.length === 0) return null;
  return (
    <div className="connection-bar" aria-label="Hub connections">
      {statuses.map(({ key, status }) => (
        <ConnectionStatus key={key} status={status} compact />
      ))}
    </div>
  );
}
