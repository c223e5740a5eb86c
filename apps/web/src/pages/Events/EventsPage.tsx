/**
 * The event stream (/hubs/events): the recent history at once, then each event as it comes,
 * formatted by type, with a filter by type and counts; a reconnect fills what was missed.
 * @module
 */
import { useEffect, useReducer, useState } from 'react';
import { Page } from '../../components/Page';
import type { EventsClient, EventsServer, ShopEventType } from '../../hubs/contracts';
import { useHub } from '../../hubs/use-hub';
import { emptyFeed, feedReducer, filterEntries, SHOP_EVENT_TYPES, toggleType, type FeedEntry } from './event-feed';
import { formatEvent, formatTime, TYPE_LABELS } from './format';
import './events.css';

export const EVENTS_HUB = '/hubs/events';

function EventItem({ entry }: { readonly entry: FeedEntry }) {
  const { event } = entry;
  const shown = formatEvent(event);
  return (
    <li className="event" data-testid="event" data-type={event.type} data-source={entry.source}>
      <div className="event-head">
        <span className={`badge tone-${shown.tone}`}>{shown.label}</span>
        <strong className="event-summary">{shown.summary}</strong>
        <time dateTime={event.timestamp} className="muted">
          {formatTime(event.timestamp)}
        </time>
      </div>
      {shown.details.length > 0 ? (
        <ul className="event-details">
          {shown.details.map((line, index) => (
            <li key={index}>{line}</li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

/** The event stream view. */
export function EventsPage() {
  const [feed, dispatch] = useReducer(feedReducer, undefined, emptyFeed);
  const [selected, setSelected] = useState<ReadonlySet<ShopEventType>>(() => new Set());
  const [welcome, setWelcome] = useState<string | undefined>(undefined);
  const [historyError, setHistoryError] = useState<string | undefined>(undefined);
  const events = useHub<EventsServer, EventsClient>(EVENTS_HUB, (hub) => [
    hub.on.ReceiveEvent((event) => dispatch({ kind: 'add', events: [event], source: 'live' })),
    hub.on.Connected((info) => setWelcome(info.message)),
  ]);
  const { hub, state } = events;

  // On every (re)connect: the recent history, so the first events show at once and a gap is filled.
  useEffect(() => {
    if (hub === undefined || state !== 'connected') return undefined;
    let current = true;
    hub.invoke.getRecentEvents().then(
      (recent) => {
        if (!current) return;
        setHistoryError(undefined);
        dispatch({ kind: 'add', events: recent, source: 'recent' });
      },
      (error: unknown) => current && setHistoryError(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      current = false;
    };
  }, [hub, state]);

  const shown = filterEntries(feed.entries, selected);
  return (
    <Page title="Event stream" testId="page-events">
      <p className="muted">
        Mock shop events from <code>{EVENTS_HUB}</code>: the latest at once from the hub&apos;s recent history (<code>GetRecentEvents</code>), then live.
        {welcome === undefined ? null : <> {welcome}</>}
      </p>
      {historyError === undefined ? null : (
        <p className="notice notice-error" role="alert">
          The recent events could not be read: {historyError}
        </p>
      )}
      <div className="event-filter" role="group" aria-label="Filter by event type">
        <button type="button" aria-pressed={selected.size === 0} className="button-quiet" onClick={() => setSelected(new Set())} data-testid="filter-all">
          All <span className="count">{feed.total}</span>
        </button>
        {SHOP_EVENT_TYPES.map((type) => (
          <button key={type} type="button" aria-pressed={selected.has(type)} className="button-quiet" onClick={() => setSelected((current) => toggleType(current, type))} data-testid={`filter-${type}`}>
            {TYPE_LABELS[type]} <span className="count">{feed.counts[type]}</span>
          </button>
        ))}
      </div>
      <p className="muted" aria-live="polite" data-testid="event-count">
        {shown.length === feed.entries.length ? `${feed.entries.length} events` : `${shown.length} of ${feed.entries.length} events`}
      </p>
      {feed.entries.length === 0 ? (
        <p className="muted" data-testid="events-empty">
          Waiting for the first event…
        </p>
      ) : (
        <ol className="event-feed" data-testid="event-feed">
          {shown.map((entry) => (
            <EventItem key={entry.key} entry={entry} />
          ))}
        </ol>
      )}
    </Page>
  );
}
