/**
 * Operator console (Hubwire's own figures, role admin). A placeholder of the web app's skeleton: the page's author replaces its
 * body (and may add files in this folder; the route is `/operator` and everything below it).
 * @module
 */
import { Page } from '../../components/Page';

/** The operator console view. */
export function OperatorPage() {
  return (
    <Page title="Operator console" testId="page-operator">
      <p className="muted">This view is not built yet.</p>
    </Page>
  );
}
