import { describe, expect, it } from 'vitest';
import type { ShopEvent } from '../../hubs/contracts';
import { addEvents, emptyFeed, eventKey, feedReducer, filterEntries, MAX_ENTRIES, toggleType } from './event-feed';

const at = (second: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, second)).toISOString();
const log = (second: number, message = `log ${second}`): ShopEvent => ({ type: 'SystemLog', title: message, timestamp: at(second), payload: { level: 'info', message, source: 'scheduler' } });
const notice = (second: number, id = second): ShopEvent => ({ type: 'Notification', title: `Notification #${id}`, timestamp: at(second), payload: { notificationId: id, severity: 'success', message: 'Deployment finished' } });

describe('the event feed', () => {
  it('puts the recent history and live events in one list, newest first, each once', () => {
    let feed = addEvents(emptyFeed(), [log(1), notice(2)], 'live');
    // The recent history overlaps what already arrived live (and holds one older event).
    feed = addEvents(feed, [log(0), log(1), notice(2)], 'recent');
    expect(feed.entries.map((entry) => [entry.event.timestamp, entry.source])).toEqual([
      [at(2), 'live'],
      [at(1), 'live'],
      [at(0), 'recent'],
    ]);
    expect(feed.total).toBe(3);
    expect(feed.counts).toMatchObject({ SystemLog: 2, Notification: 1, NewOrder: 0 });
  });

  it('fills what a reconnect missed from the recent history', () => {
    let feed = addEvents(emptyFeed(), [log(1), log(2)], 'live');
    feed = addEvents(feed, [log(1), log(2), log(3), log(4)], 'recent');
    feed = addEvents(feed, [log(5)], 'live');
    expect(feed.entries.map((entry) => entry.event.title)).toEqual(['log 5', 'log 4', 'log 3', 'log 2', 'log 1']);
  });

  it('keeps events of the same moment in the order they came', () => {
    const feed = addEvents(emptyFeed(), [log(1, 'first'), log(1, 'second')], 'live');
    expect(feed.entries.map((entry) => entry.event.title)).toEqual(['second', 'first']);
  });

  it('returns the same feed when nothing new came, and keeps at most MAX_ENTRIES', () => {
    const feed = addEvents(emptyFeed(), [log(1)], 'live');
    expect(addEvents(feed, [log(1)], 'recent')).toBe(feed);
    const many = Array.from({ length: MAX_ENTRIES + 5 }, (_, index) => notice(index % 60, index));
    const full = addEvents(emptyFeed(), many, 'live');
    expect(full.entries).toHaveLength(MAX_ENTRIES);
    expect(full.total).toBe(MAX_ENTRIES + 5);
  });

  it('skips events of a type it does not know', () => {
    const odd = { type: 'Surprise', title: 'x', timestamp: at(1), payload: {} } as unknown as ShopEvent;
    expect(addEvents(emptyFeed(), [odd], 'live').entries).toEqual([]);
  });

  it('is cleared by the reducer', () => {
    const feed = feedReducer(emptyFeed(), { kind: 'add', events: [log(1)], source: 'live' });
    expect(feed.total).toBe(1);
    expect(feedReducer(feed, { kind: 'clear' })).toEqual(emptyFeed());
  });

  it('keys an event by type, moment and title', () => {
    expect(eventKey(log(1))).toBe(`SystemLog|${at(1)}|log 1`);
  });
});

describe('the filter by type', () => {
  const feed = addEvents(emptyFeed(), [log(1), notice(2), log(3)], 'live');

  it('shows everything when no type is selected, else only the selected types', () => {
    expect(filterEntries(feed.entries, new Set())).toHaveLength(3);
    expect(filterEntries(feed.entries, new Set(['Notification'])).map((entry) => entry.event.type)).toEqual(['Notification']);
    expect(filterEntries(feed.entries, new Set(['Notification', 'SystemLog']))).toHaveLength(3);
    expect(filterEntries(feed.entries, new Set(['NewOrder']))).toEqual([]);
  });

  it('switches a type on and off', () => {
    const on = toggleType(new Set(), 'NewOrder');
    expect([...on]).toEqual(['NewOrder']);
    expect([...toggleType(on, 'NewOrder')]).toEqual([]);
  });
});
