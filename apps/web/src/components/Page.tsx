/**
 * A page's frame: its heading and the document title, so every view names itself the same way.
 * @module
 */
import { useEffect, type ReactNode } from 'react';

/** Renders `title` as the page's `<h1>` (and the tab's title) above `children`. */
export function Page({ title, actions, children, testId }: { readonly title: string; readonly actions?: ReactNode; readonly children?: ReactNode; readonly testId?: string }) {
  useEffect(() => {
    document.title = `${title} · Hubwire`;
  }, [title]);
  return (
    <section className="page" data-testid={testId}>
      <header className="page-header">
        <h1>{title}</h1>
        {actions === undefined ? null : <div className="page-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}
