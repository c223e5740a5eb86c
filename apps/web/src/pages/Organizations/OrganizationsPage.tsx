/**
 * Organizations (/hubs/synaxis). A placeholder of the web app's skeleton: the page's author replaces its
 * body (and may add files in this folder; the route is `/organizations` and everything below it).
 * @module
 */
import { Page } from '../../components/Page';

/** The organizations view. */
export function OrganizationsPage() {
  return (
    <Page title="Organizations" testId="page-organizations">
      <p className="muted">This view is not built yet.</p>
    </Page>
  );
}
