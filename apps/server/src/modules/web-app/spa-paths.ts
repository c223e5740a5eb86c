/**
 * The paths the web app's client-side router answers (apps/web/src/app/paths.ts): each, and
 * every path below an area, is answered with index.html, so a reload or a shared link of
 * `/campaigns/…` opens the app there. test/web/spa-paths.test.ts keeps the two lists equal.
 * @module
 */

/** Top-level pages of the app. */
export const SPA_PAGES: readonly string[] = ['/', '/login'];

/** Areas: the path itself and everything below it. */
export const SPA_AREAS: readonly string[] = ['/events', '/chat', '/campaigns', '/organizations', '/admin', '/operator'];
