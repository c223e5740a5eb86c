/**
 * Chat (/hubs/chat). A placeholder of the web app's skeleton: the page's author replaces its
 * body (and may add files in this folder; the route is `/chat` and everything below it).
 * @module
 */
import { Page } from '../../components/Page';

/** The chat view. */
export function ChatPage() {
  return (
    <Page title="Chat" testId="page-chat">
      <p className="muted">This view is not built yet.</p>
    </Page>
  );
}
