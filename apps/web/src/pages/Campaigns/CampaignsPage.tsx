/**
 * Campaigns (/hubs/campaigns). A placeholder of the web app's skeleton: the page's author replaces its
 * body (and may add files in this folder; the route is `/campaigns` and everything below it).
 * @module
 */
import { Page } from '../../components/Page';

/** The campaigns view. */
export function CampaignsPage() {
  return (
    <Page title="Campaigns" testId="page-campaigns">
      <p className="muted">This view is not built yet.</p>
    </Page>
  );
}
