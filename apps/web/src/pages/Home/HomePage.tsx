/**
 * Home: who is logged in and the areas they may open, each with what it shows.
 * @module
 */
import { Link } from 'wouter';
import { visibleAreas } from '../../app/Layout';
import { AREAS } from '../../app/paths';
import { useAuth } from '../../auth/auth-context';
import { Page } from '../../components/Page';

/** The home view. */
export function HomePage() {
  const { user } = useAuth();
  if (user === undefined) return null;
  const open = visibleAreas(user.roles);
  const closed = AREAS.filter((area) => !open.includes(area));
  return (
    <Page title={`Hello, ${user.name}`} testId="page-home">
      <p className="muted">
        Logged in as <code>{user.id}</code>
        {user.roles.length > 0 ? <> with the roles {user.roles.join(', ')}</> : null}
        {user.organizations.length > 0 ? <>, member of {user.organizations.join(', ')}</> : null}. Every view below talks to the hubs live.
      </p>
      <ul className="cards">
        {open.map((area) => (
          <li key={area.path} className="card">
            <h2>
              <Link href={area.path}>{area.title}</Link>
            </h2>
            <p>{area.description}</p>
          </li>
        ))}
      </ul>
      {closed.length > 0 ? (
        <p className="muted" data-testid="closed-areas">
          Not for your roles: {closed.map((area) => `${area.title} (role ${area.role ?? ''})`).join(', ')}.
        </p>
      ) : null}
    </Page>
  );
}
