import { describe, expect, it } from 'vitest';
import type { HubRates, Series } from './operator-api';
import { RATE_LIMITS, ratesWindow, TRAFFIC_KEYS } from './rates';

const rates = (value: number): HubRates => ({ messagesIn: value, messagesOut: value * 2, invocations: 1, invocationErrors: 0, slowConsumerActions: 0, connections: 3 });
const series = (count: number): Series => ({
  intervalSeconds: 5,
  windowSeconds: 600,
  hubs: [{ hub: 'chat', path: '/hubs/chat' }],
  points: Array.from({ length: count }, (_, index) => ({ timestamp: new Date(Date.UTC(2026, 0, 1) + index * 5000).toISOString(), seconds: 5, scope: 'cluster' as const, totals: rates(index), hubs: (index % 2 === 0 ? { '/hubs/chat': rates(index * 10) } : {}) as Record<string, HubRates> })),
});

describe('the operator rates', () => {
  it('charts the totals of each point', () => {
    const window = ratesWindow(series(3), TRAFFIC_KEYS);
    expect(window.keys).toEqual(['messagesIn', 'messagesOut', 'invocations']);
    expect(window.points.map((point) => point.values)).toEqual([
      { messagesIn: 0, messagesOut: 0, invocations: 1 },
      { messagesIn: 1, messagesOut: 2, invocations: 1 },
      { messagesIn: 2, messagesOut: 4, invocations: 1 },
    ]);
  });

  it('charts one hub, leaving out points without it', () => {
    expect(ratesWindow(series(4), ['messagesIn'], '/hubs/chat').points.map((point) => point.values['messagesIn'])).toEqual([0, 20]);
  });

  it('is bounded however many points the server sends', () => {
    const window = ratesWindow(series(400), TRAFFIC_KEYS);
    expect(window.points.length).toBeLessThanOrEqual(RATE_LIMITS.maxPoints);
    expect(window.points.at(-1)?.values['messagesIn']).toBe(399);
  });

  it('is empty before the first answer', () => {
    expect(ratesWindow(undefined, TRAFFIC_KEYS)).toEqual({ keys: TRAFFIC_KEYS, points: [] });
  });
});
