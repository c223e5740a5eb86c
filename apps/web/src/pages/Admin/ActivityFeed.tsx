/**
 * The user activity feed: user actions, role assignments, system events, platform status changes
 * and test messages, newest first (the dashboard keeps the latest hundred).
 * @module
 */
import type { ActivityItem } from './dashboard-state';

const KIND_LABELS: Readonly<Record<ActivityItem['kind'], string>> = {
  'user-action': 'user',
  'role-assignment': 'role',
  'system-event': 'system',
  'platform-status': 'status',
  'test-message': 'test',
};

/** The feed of `items`. */
export function ActivityFeed({ items }: { readonly items: readonly ActivityItem[] }) {
  return (
    <section className="admin-panel" aria-labelledby="activity-title" data-testid="activity-feed">
      <h2 id="activity-title">
        User activity <span className="tally">{items.length}</span>
      </h2>
      {items.length === 0 ? (
        <p className="muted">Nothing yet: user actions, role assignments and system events show here as they are broadcast.</p>
      ) : (
        <ol className="activity-list" aria-live="polite">
          {items.map((item) => (
            <li key={item.key} className="activity-item" data-testid="activity" data-kind={item.kind} data-tone={item.tone}>
              <span className={`badge tone-${item.tone}`}>{KIND_LABELS[item.kind]}</span> <span className="activity-summary">{item.summary}</span>
              {item.detail === undefined ? null : <span className="muted"> · {item.detail}</span>}{' '}
              <time className="muted" dateTime={item.timestamp}>
                {new Date(item.timestamp).toLocaleTimeString()}
              </time>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
