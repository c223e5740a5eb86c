/**
 * The app's areas: path, title, who may open them. Plain data (no React), so the server's SPA
 * fallback can be checked against it (test/web/spa-paths.test.ts): every path here must answer
 * index.html on a reload.
 * @module
 */

/** One area of the app, reached at `path` and below it. */
export interface Area {
  readonly path: string;
  readonly title: string;
  /** One line for the home page. */
  readonly description: string;
  /** The role needed to open it; undefined: any logged-in user. */
  readonly role?: string;
}

/** The areas, in the order the navigation shows them. */
export const AREAS: readonly Area[] = [
  { path: '/events', title: 'Event stream', description: 'The live mock-shop events of /hubs/events, formatted and filtered by type.' },
  { path: '/chat', title: 'Chat', description: 'Rooms on /hubs/chat: join, leave, who is there, messages recovered after a reconnect.' },
  { path: '/campaigns', title: 'Campaigns', description: 'Create a campaign run on /hubs/campaigns and watch its states and artifacts; reload mid-run and it recovers.' },
  { path: '/organizations', title: 'Organizations', description: 'Organization notifications of /hubs/synaxis: switch organizations, see what a non-member is refused.' },
  { path: '/admin', title: 'Admin dashboard', description: 'Platform stats, analytics and revenue charts, activity feed, alert centre and broadcasts of /hubs/admin.', role: 'admin' },
  { path: '/operator', title: 'Operator console', description: 'Hubwire itself: connections per hub, nodes, groups and presence, message rates, actions.', role: 'admin' },
];

/** The login page's path. */
export const LOGIN_PATH = '/login';

/** Every top-level path the app answers (each area also answers every path below it). */
export const APP_PATHS: readonly string[] = ['/', LOGIN_PATH, ...AREAS.map((area) => area.path)];

/** The documentation pages linked from the app (rendered by the server at /docs/<name>). */
export const DOC_LINKS: readonly { readonly href: string; readonly label: string }[] = [
  { href: '/docs/getting-started.md', label: 'Getting started' },
  { href: '/docs/hubs.md', label: 'The hubs: methods, events, payloads' },
  { href: '/docs/web-app.md', label: 'This web app' },
  { href: '/docs/client.md', label: 'The TypeScript client' },
  { href: '/docs/rest-api.md', label: 'The REST API' },
  { href: '/docs/operations.md', label: 'Running it' },
];

/** Whether `next` (from `?next=`) is a path of this app, so a login may go there. */
export function isAppPath(next: string | null | undefined): next is string {
  if (next === null || next === undefined || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return false;
  const path = next.split(/[?#]/)[0]!;
  return APP_PATHS.some((known) => (known === '/' ? path === '/' : path === known || path.startsWith(`${known}/`)));
}
