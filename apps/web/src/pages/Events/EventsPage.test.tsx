import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { AuthProvider } from '../../auth/auth-context';
import type { ShopEvent } from '../../hubs/contracts';
import { HubConnector } from '../../hubs/hub-connector';
import { HubStatusProvider } from '../../hubs/hub-status-context';
import { fakeConnector } from '../../test/fake-hub';
import { fakeSession } from '../../test/tokens';
import { EventsPage } from './EventsPage';

const at = (second: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, second)).toISOString();
const log = (second: number): ShopEvent => ({ type: 'SystemLog', title: `log ${second}`, timestamp: at(second), payload: { level: 'warning', message: `Slow query ${second}`, source: 'order-service' } });
const login = (second: number): ShopEvent => ({ type: 'UserActivity', title: `login ${second}`, timestamp: at(second), payload: { userId: 'u-1', userName: 'Ava Kim', action: 'login', ip: '10.0.0.1' } });

function renderPage() {
  const connector = fakeConnector();
  render(
    <AuthProvider initial={fakeSession({ sub: 'jane.smith', role: ['member'] })}>
      <HubStatusProvider>
        <HubConnector.Provider value={connector.connect}>
          <EventsPage />
        </HubConnector.Provider>
      </HubStatusProvider>
    </AuthProvider>,
  );
  return connector.hubs[0]!;
}

describe('the events page', () => {
  it('shows the recent history once connected, then live events on top, each once', async () => {
    const hub = renderPage();
    hub.results.set('getRecentEvents', () => [log(1), login(2)]);
    expect(screen.getByTestId('events-empty')).toBeTruthy();

    await act(async () => hub.move('connected'));
    const items = await screen.findAllByTestId('event');
    expect(items.map((item) => [item.dataset['type'], item.dataset['source']])).toEqual([
      ['UserActivity', 'recent'],
      ['SystemLog', 'recent'],
    ]);
    expect(within(items[1]!).getByText('WARNING Slow query 1')).toBeTruthy();

    act(() => hub.emit('ReceiveEvent', log(3)));
    act(() => hub.emit('ReceiveEvent', log(3)));
    expect(screen.getAllByTestId('event').map((item) => item.dataset['source'])).toEqual(['live', 'recent', 'recent']);
    expect(screen.getByTestId('event-count').textContent).toBe('3 events');

    // After a reconnect the history is asked for again and fills the gap.
    hub.results.set('getRecentEvents', () => [log(1), login(2), log(3), login(4)]);
    act(() => hub.move('reconnecting'));
    await act(async () => hub.move('connected'));
    expect(hub.invocations.filter((call) => call.method === 'getRecentEvents')).toHaveLength(2);
    expect(screen.getAllByTestId('event').map((item) => item.textContent)).toHaveLength(4);
  });

  it('filters by type with the counts on the buttons', async () => {
    const hub = renderPage();
    hub.results.set('getRecentEvents', () => [log(1), login(2), log(3)]);
    await act(async () => hub.move('connected'));
    await screen.findAllByTestId('event');

    const logs = screen.getByTestId('filter-SystemLog');
    expect(logs.textContent).toBe('Log 2');
    expect(logs.getAttribute('aria-pressed')).toBe('false');
    fireEvent.click(logs);
    expect(logs.getAttribute('aria-pressed')).toBe('true');
    expect(screen.getAllByTestId('event').map((item) => item.dataset['type'])).toEqual(['SystemLog', 'SystemLog']);
    expect(screen.getByTestId('event-count').textContent).toBe('2 of 3 events');

    fireEvent.click(screen.getByTestId('filter-all'));
    expect(screen.getAllByTestId('event')).toHaveLength(3);
    expect(screen.getByTestId('filter-all').getAttribute('aria-pressed')).toBe('true');
  });

  it('says so when the recent history cannot be read', async () => {
    const hub = renderPage();
    hub.results.set('getRecentEvents', () => {
      throw new Error('An unexpected error occurred invoking \'GetRecentEvents\' on the server.');
    });
    await act(async () => hub.move('connected'));
    expect((await screen.findByRole('alert')).textContent).toContain('could not be read');
  });
});
