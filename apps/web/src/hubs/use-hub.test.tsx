import { act, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { AuthProvider, useAuth } from '../auth/auth-context';
import type { Session } from '../auth/session';
import { ConnectionBar } from '../components/ConnectionStatus';
import { fakeConnector } from '../test/fake-hub';
import { fakeSession } from '../test/tokens';
import type { EventsClient, EventsServer } from './contracts';
import { HubStatusProvider } from './hub-status-context';
import { useHub, type UseHubOptions } from './use-hub';

function Probe({ options, onMessage }: { readonly options: UseHubOptions; readonly onMessage?: (text: string) => void }) {
  const view = useHub<EventsServer, EventsClient>('/hubs/events', (hub) => hub.on.Connected((info) => onMessage?.(info.message)), options);
  const { logout } = useAuth();
  return (
    <div>
      <span data-testid="probe-state">{view.state}</span>
      <span data-testid="probe-transport">{view.transport ?? '-'}</span>
      <button type="button" onClick={logout}>
        out
      </button>
    </div>
  );
}

function Harness({ session, options, show = true, onMessage }: { readonly session?: Session; readonly options: UseHubOptions; readonly show?: boolean; readonly onMessage?: (text: string) => void }) {
  return (
    <AuthProvider initial={session}>
      <HubStatusProvider>
        <ConnectionBar />
        {show ? <Probe options={options} onMessage={onMessage} /> : null}
      </HubStatusProvider>
    </AuthProvider>
  );
}

const jane = () => fakeSession({ sub: 'jane.smith', name: 'Jane Smith', role: ['member'] });

describe('useHub', () => {
  it('connects with the token, handlers registered before the start, and shows the state', async () => {
    const { hubs, connect } = fakeConnector();
    const session = jane();
    const messages: string[] = [];
    render(<Harness session={session} options={{ connect }} onMessage={(text) => messages.push(text)} />);
    expect(hubs).toHaveLength(1);
    const hub = hubs[0]!;
    expect(hub.url).toBe('/hubs/events');
    expect(hub.options.autoStart).toBe(false);
    expect(await hub.options.accessTokenFactory?.()).toBe(session.token);
    expect(hub.registeredBeforeStart).toEqual(['Connected']);
    expect(screen.getByTestId('probe-state').textContent).toBe('connecting');

    act(() => hub.move('connected', { transport: 'ServerSentEvents' }));
    expect(screen.getByTestId('probe-transport').textContent).toBe('ServerSentEvents');
    const indicator = screen.getByTestId('connection-status');
    expect(indicator.dataset['state']).toBe('connected');
    expect(indicator.dataset['hub']).toBe('/hubs/events');
    expect(indicator.textContent).toContain('connected · ServerSentEvents · json');

    act(() => hub.emit('Connected', { message: 'hello', timestamp: '' }));
    expect(messages).toEqual(['hello']);

    act(() => hub.move('reconnecting', { error: new Error('WebSocket closed with status code: 1006 ().') }));
    expect(screen.getByTestId('connection-status').dataset['state']).toBe('reconnecting');
    expect(screen.getByTestId('connection-status').title).toBe('WebSocket closed with status code: 1006 ().');
  });

  it('stops the client and removes its handlers and indicator on unmount', () => {
    const { hubs, connect } = fakeConnector();
    const { rerender } = render(<Harness session={jane()} options={{ connect }} />);
    const hub = hubs[0]!;
    expect(hub.handlerCount('Connected')).toBe(1);
    rerender(<Harness session={jane()} options={{ connect }} show={false} />);
    expect(hub.stopped).toBe(1);
    expect(hub.handlerCount('Connected')).toBe(0);
    expect(screen.queryByTestId('connection-status')).toBeNull();
  });

  it('does not connect while logged out, and stops at logout', () => {
    const { hubs, connect } = fakeConnector();
    const { unmount } = render(<Harness options={{ connect }} />);
    expect(hubs).toHaveLength(0);
    expect(screen.getByTestId('probe-state').textContent).toBe('idle');
    unmount();

    render(<Harness session={jane()} options={{ connect }} />);
    const hub = hubs[0]!;
    act(() => hub.move('connected'));
    act(() => screen.getByRole('button', { name: 'out' }).click());
    expect(hub.stopped).toBe(1);
    expect(screen.getByTestId('probe-state').textContent).toBe('idle');
    expect(hubs).toHaveLength(1);
  });

  it('connects without a login when the hub is anonymous and the page says so', () => {
    const { hubs, connect } = fakeConnector();
    render(<Harness options={{ connect, anonymous: true }} />);
    expect(hubs).toHaveLength(1);
  });

  it('does not reconnect when the page re-renders', () => {
    const { hubs, connect } = fakeConnector();
    function Rerendering() {
      const [count, setCount] = useState(0);
      return (
        <>
          <button type="button" onClick={() => setCount(count + 1)}>
            again {count}
          </button>
          <Probe options={{ connect }} />
        </>
      );
    }
    render(
      <AuthProvider initial={jane()}>
        <Rerendering />
      </AuthProvider>,
    );
    act(() => screen.getByRole('button', { name: /again/ }).click());
    act(() => screen.getByRole('button', { name: /again/ }).click());
    expect(hubs).toHaveLength(1);
    expect(hubs[0]!.started).toBe(1);
  });
});
