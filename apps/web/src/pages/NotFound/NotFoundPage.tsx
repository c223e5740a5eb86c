/**
 * A path the app does not know.
 * @module
 */
import { Link } from 'wouter';
import { Page } from '../../components/Page';

/** The not-found view. */
export function NotFoundPage() {
  return (
    <Page title="Not found" testId="page-not-found">
      <p>
        There is no view at this address. <Link href="/">Go home</Link>.
      </p>
    </Page>
  );
}
