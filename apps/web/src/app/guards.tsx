/**
 * Who may see a route: a visitor who is not logged in goes to the login page (and comes back
 * after it); a user without the route's role sees the refusal, not the view.
 * @module
 */
import type { ReactNode } from 'react';
import { Redirect, useLocation, useRouter, useSearch } from 'wouter';
import { useAuth } from '../auth/auth-context';
import { Page } from '../components/Page';
import { LOGIN_PATH } from './paths';

/** The login path that returns to `path` afterwards. */
export function loginPathFor(path: string, search = ''): string {
  const next = search === '' ? path : `${path}?${search}`;
  return next === '/' ? LOGIN_PATH : `${LOGIN_PATH}?next=${encodeURIComponent(next)}`;
}

/** Renders `children` for a logged-in user with `role` (when one is given). */
export function RequireAuth({ role, title, children }: { readonly role?: string | undefined; readonly title: string; readonly children: ReactNode }) {
  const { user, hasRole } = useAuth();
  const { base } = useRouter();
  const [location] = useLocation();
  const search = useSearch();
  // A nested route's location is relative to its area: the whole path is base + location; `~` leaves the nest.
  const path = location === '/' && base !== '' ? base : `${base}${location}`;
  if (user === undefined) return <Redirect to={`~${loginPathFor(path, search)}`} replace />;
  if (role !== undefined && !hasRole(role)) {
    return (
      <Page title={title} testId="forbidden">
        <p className="notice notice-error" role="alert">
          This view needs the role <strong>{role}</strong>. You are logged in as {user.name}
          {user.roles.length > 0 ? ` (${user.roles.join(', ')})` : ''}; log in as a user with that role to open it.
        </p>
      </Page>
    );
  }
  return <>{children}</>;
}
