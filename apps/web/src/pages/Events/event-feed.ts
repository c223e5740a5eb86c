/**
 * The event stream's state: events from the hub's recent history and live ones merged into one
 * list, newest first, each once (a reconnect asks for the recent history again and fills what
 * was missed), at most {@link MAX_ENTRIES}; counts per type; the filter by type.
 * @module
 */
import type { ShopEvent, ShopEventType } from '../../hubs/contracts';

/** The event types in the order the filter shows them. */
export const SHOP_EVENT_TYPES: readonly ShopEventType[] = ['NewOrder', 'StockUpdate', 'UserActivity', 'SystemLog', 'Notification'];

/** Entries the page keeps (older ones drop off). */
export const MAX_ENTRIES = 200;

/** One event in the list. */
export interface FeedEntry {
  readonly key: string;
  readonly event: ShopEvent;
  /** `recent`: from `getRecentEvents` (happened before it was asked); `live`: pushed by the hub. */
  readonly source: 'recent' | 'live';
}

/** The list and the counts. */
export interface Feed {
  /** Newest first. */
  readonly entries: readonly FeedEntry[];
  /** Distinct events received per type since the page opened. */
  readonly counts: Readonly<Record<ShopEventType, number>>;
  readonly total: number;
}

/** A change to the feed. */
export type FeedAction = { readonly kind: 'add'; readonly events: readonly ShopEvent[]; readonly source: FeedEntry['source'] } | { readonly kind: 'clear' };

/**
 * What makes an event itself: events carry no id, but the type, the moment and the title
 * (which holds the order or notification number) do not repeat in the stream.
 */
export function eventKey(event: ShopEvent): string {
  return `${event.type}|${event.timestamp}|${event.title}`;
}

/** A feed with nothing in it. */
export function emptyFeed(): Feed {
  return { entries: [], counts: { NewOrder: 0, StockUpdate: 0, UserActivity: 0, SystemLog: 0, Notification: 0 }, total: 0 };
}

const time = (entry: FeedEntry) => Date.parse(entry.event.timestamp) || 0;

/** `feed` with `events` added (those already in it skipped), newest first, capped. */
export function addEvents(feed: Feed, events: readonly ShopEvent[], source: FeedEntry['source']): Feed {
  const known = new Set(feed.entries.map((entry) => entry.key));
  const added: FeedEntry[] = [];
  for (const event of events) {
    if (!SHOP_EVENT_TYPES.includes(event.type)) continue;
    const key = eventKey(event);
    if (known.has(key)) continue;
    known.add(key);
    added.push({ key, event, source });
  }
  if (added.length === 0) return feed;
  const counts = { ...feed.counts };
  for (const entry of added) counts[entry.event.type] += 1;
  // Stable sort: events of the same millisecond keep the order they came in, newest first.
  const entries = [...added.reverse(), ...feed.entries].sort((a, b) => time(b) - time(a)).slice(0, MAX_ENTRIES);
  return { entries, counts, total: feed.total + added.length };
}

/** The reducer of the events page. */
export function feedReducer(feed: Feed, action: FeedAction): Feed {
  return action.kind === 'clear' ? emptyFeed() : addEvents(feed, action.events, action.source);
}

/** The entries of the selected types (none selected: all). */
export function filterEntries(entries: readonly FeedEntry[], selected: ReadonlySet<ShopEventType>): readonly FeedEntry[] {
  return selected.size === 0 ? entries : entries.filter((entry) => selected.has(entry.event.type));
}

/** `selected` with `type` switched on or off. */
export function toggleType(selected: ReadonlySet<ShopEventType>, type: ShopEventType): ReadonlySet<ShopEventType> {
  const next = new Set(selected);
  if (!next.delete(type)) next.add(type);
  return next;
}
