/**
 * Admin dashboard (/hubs/admin, role admin). A placeholder of the web app's skeleton: the page's author replaces its
 * body (and may add files in this folder; the route is `/admin` and everything below it).
 * @module
 */
import { Page } from '../../components/Page';

/** The admin dashboard view. */
export function AdminPage() {
  return (
    <Page title="Admin dashboard" testId="page-admin">
      <p className="muted">This view is not built yet.</p>
    </Page>
  );
}
