import { act, fireEvent, render, screen } from '@testing-library/react';
import { Router } from 'wouter';
import { memoryLocation } from 'wouter/memory-location';
import { describe, expect, it, vi } from 'vitest';
import { AuthProvider } from '../auth/auth-context';
import type { Session } from '../auth/session';
import { HubConnector } from '../hubs/hub-connector';
import { HubStatusProvider } from '../hubs/hub-status-context';
import { fakeConnector } from '../test/fake-hub';
import { fakeSession, fakeToken } from '../test/tokens';
import { App } from './App';
import { isAppPath } from './paths';

function renderApp(path: string, session?: Session) {
  const location = memoryLocation({ path, record: true });
  render(
    <AuthProvider initial={session}>
      <HubStatusProvider>
        <HubConnector.Provider value={fakeConnector().connect}>
          <Router hook={location.hook} searchHook={location.searchHook}>
            <App />
          </Router>
        </HubConnector.Provider>
      </HubStatusProvider>
    </AuthProvider>,
  );
  return location;
}

const jane = () => fakeSession({ sub: 'jane.smith', name: 'Jane Smith', role: ['member'], orgs: ['acme'] });
const admin = () => fakeSession({ sub: 'admin', name: 'Ada Admin', role: ['admin'] });

describe('the app', () => {
  it('sends a visitor who is not logged in to the login page, and back afterwards', async () => {
    const location = renderApp('/campaigns/c-1');
    expect(location.history.at(-1)).toBe('/login?next=%2Fcampaigns%2Fc-1');
    await screen.findByTestId('page-login');
    expect(screen.queryByTestId('user-name')).toBeNull();
  });

  it('shows a member the areas for everyone, not the admin ones, and refuses a direct visit', async () => {
    renderApp('/admin', jane());
    expect(screen.getByTestId('user-name').textContent).toBe('Jane Smith');
    expect(screen.getByTestId('nav-events')).toBeTruthy();
    expect(screen.queryByTestId('nav-admin')).toBeNull();
    expect(screen.queryByTestId('nav-operator')).toBeNull();
    expect((await screen.findByTestId('forbidden')).textContent).toContain('needs the role admin');
    expect(screen.queryByTestId('page-admin')).toBeNull();
  });

  it('shows an admin every area and opens the admin view', async () => {
    renderApp('/admin', admin());
    expect(screen.getByTestId('nav-admin')).toBeTruthy();
    expect(screen.getByTestId('nav-operator')).toBeTruthy();
    expect(screen.getByTestId('nav-admin').getAttribute('aria-current')).toBe('page');
    await screen.findByTestId('page-admin');
  });

  it('logs in with a demo user button and goes where it was sent from', async () => {
    const token = fakeToken({ sub: 'john.doe', name: 'John Doe', role: ['member'], exp: Math.floor(Date.now() / 1000) + 600 });
    const fetcher = vi.fn(async () => new Response(JSON.stringify({ accessToken: token, tokenType: 'Bearer', expiresIn: 600, expiresAt: '' }), { status: 200 }));
    vi.stubGlobal('fetch', fetcher);
    const location = renderApp('/login?next=%2Fevents');
    await act(async () => fireEvent.click(screen.getByTestId('login-as-john.doe')));
    expect(fetcher).toHaveBeenCalledWith('/api/auth/token', expect.objectContaining({ method: 'POST', body: JSON.stringify({ username: 'john.doe', password: 'demo' }) }));
    expect(screen.getByTestId('user-name').textContent).toBe('John Doe');
    expect(location.history.at(-1)).toBe('/events');
    expect(sessionStorage.getItem('hubwire.token')).toBe(token);
    vi.unstubAllGlobals();
  });

  it('shows the server\'s refusal of a login', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ error: 'Unknown user or wrong password.' }), { status: 401 })));
    renderApp('/login');
    fireEvent.change(screen.getByTestId('login-username'), { target: { value: 'mallory' } });
    fireEvent.change(screen.getByTestId('login-password'), { target: { value: 'guess' } });
    await act(async () => fireEvent.submit(screen.getByTestId('login-form')));
    expect(screen.getByTestId('login-error').textContent).toBe('Unknown user or wrong password.');
    vi.unstubAllGlobals();
  });

  it('logs out: the session is gone and the login page shows', async () => {
    sessionStorage.setItem('hubwire.token', 'x');
    const location = renderApp('/events', jane());
    fireEvent.click(screen.getByTestId('logout'));
    expect(location.history.at(-1)).toBe('/login');
    expect(screen.queryByTestId('user-name')).toBeNull();
    expect(sessionStorage.getItem('hubwire.token')).toBeNull();
    await screen.findByTestId('page-login');
  });
});

describe('isAppPath', () => {
  it('takes paths of the app only', () => {
    for (const path of ['/', '/events', '/campaigns/c-1?x=1', '/admin']) expect(isAppPath(path), path).toBe(true);
    for (const path of [null, '', 'events', '//evil.example', '/\\evil', '/api/auth/me', '/eventsx', 'https://evil.example/']) expect(isAppPath(path), String(path)).toBe(false);
  });
});
