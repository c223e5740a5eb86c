/**
 * The frame of every view: the header (the app's name, the areas the user may open, who is
 * logged in, log out), the connection states of the page's hubs, and the docs in the footer.
 * @module
 */
import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { useAuth } from '../auth/auth-context';
import { ConnectionBar } from '../components/ConnectionStatus';
import { AREAS, DOC_LINKS } from './paths';

/** The areas `roles` may open (an area without a role: everyone logged in). */
export function visibleAreas(roles: readonly string[]) {
  return AREAS.filter((area) => area.role === undefined || roles.includes(area.role));
}

function Navigation() {
  const { user } = useAuth();
  const [location] = useLocation();
  if (user === undefined) return null;
  return (
    <nav className="app-nav" aria-label="Views">
      <ul>
        {visibleAreas(user.roles).map((area) => {
          const current = location === area.path || location.startsWith(`${area.path}/`);
          return (
            <li key={area.path}>
              <Link href={area.path} aria-current={current ? 'page' : undefined} data-testid={`nav-${area.path.slice(1)}`}>
                {area.title}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

function UserMenu() {
  const { user, logout } = useAuth();
  const [, navigate] = useLocation();
  if (user === undefined) return null;
  return (
    <div className="user-menu">
      <span className="user-name" data-testid="user-name" title={`user id ${user.id}`}>
        {user.name}
      </span>
      {user.roles.length > 0 ? <span className="user-roles" data-testid="user-roles">{user.roles.join(', ')}</span> : null}
      <button
        type="button"
        className="button-quiet"
        data-testid="logout"
        onClick={() => {
          logout();
          navigate('/login', { replace: true });
        }}
      >
        Log out
      </button>
    </div>
  );
}

/** Header, main content and footer around `children`. */
export function Layout({ children }: { readonly children: ReactNode }) {
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <div className="app-header-row">
          <Link href="/" className="brand">
            <img src="/favicon.svg" alt="" width="24" height="24" />
            <span>Hubwire</span>
          </Link>
          <UserMenu />
        </div>
        <Navigation />
        <ConnectionBar />
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        {children}
      </main>
      <footer className="app-footer">
        <nav aria-label="Documentation">
          <ul>
            {DOC_LINKS.map((doc) => (
              <li key={doc.href}>
                <a href={doc.href}>{doc.label}</a>
              </li>
            ))}
          </ul>
        </nav>
      </footer>
    </div>
  );
}
