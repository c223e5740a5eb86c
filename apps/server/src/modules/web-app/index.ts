/**
 * The web app module: serves the built React app (apps/web/dist) at `/` — hashed assets cached
 * for good, index.html revalidated every time, every path of the app answered with index.html
 * (the client-side router takes it from there) — under a strict CSP, and the repository's docs
 * as rendered pages at `/docs/`. Without a build, `/` says how to make one.
 * @module
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AppContext, AppModule } from '../../app-context.js';
import { DocsPages, escapeHtml } from './docs-pages.js';
import { sendBody, sendNotFound } from './http-answers.js';
import { missingBuildPage } from './missing-build.js';
import { SPA_AREAS, SPA_PAGES } from './spa-paths.js';
import { StaticFiles } from './static-files.js';

/** The app's CSP: its own scripts, styles and images; hubs and REST on the same origin. */
export const WEB_APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Hashed file names (Vite's `assets/name-<hash>.js`) never change content. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current hashes: revalidated (ETag) on every load. */
const REVALIDATE = 'no-cache';
/** Files of public/ (favicon): unhashed, so kept a short while. */
const SHORT = 'public, max-age=3600';

/** The repository's apps/web/dist and docs/ (same depth from src/ and dist/ of the server). */
export const DEFAULT_WEB_DIST = fileURLToPath(new URL('../../../../web/dist/', import.meta.url));
export const DEFAULT_DOCS_DIR = fileURLToPath(new URL('../../../../../docs/', import.meta.url));

/** Where the module reads from (tests pass their own folders). */
export interface WebAppModuleOptions {
  /** The built web app. Default: apps/web/dist. */
  readonly distDir?: string;
  /** The docs folder, ending in a separator. Default: the repository's docs/. */
  readonly docsDir?: string;
}

/** Builds the module (the server uses {@link webAppModule}). */
export function createWebAppModule(options: WebAppModuleOptions = {}): AppModule {
  return {
    name: 'web-app',
    register(app: AppContext) {
      const files = new StaticFiles(options.distDir ?? DEFAULT_WEB_DIST);
      const docs = new DocsPages(options.docsDir ?? DEFAULT_DOCS_DIR);
      const tags = ['web app'];

      const serveIndex = async (req: IncomingMessage, res: ServerResponse) => {
        const served = await files.serve(req, res, 'index.html', { cacheControl: REVALIDATE, headers: { 'Content-Security-Policy': WEB_APP_CSP } });
        if (!served) {
          sendBody(req, res, 503, 'text/html; charset=utf-8', missingBuildPage(app.hubPaths, escapeHtml), { 'Cache-Control': 'no-store', 'Content-Security-Policy': "default-src 'none'" });
        }
      };
      for (const path of SPA_PAGES) app.routes.addRaw('GET', path, serveIndex, { summary: 'The web app (index.html).', tags });
      for (const area of SPA_AREAS) {
        app.routes.addRaw('GET', area, serveIndex, { summary: 'The web app (index.html).', tags });
        app.routes.addRaw('GET', `${area}/*`, serveIndex, { summary: 'The web app (index.html): every path below the area.', tags });
      }

      app.routes.addRaw(
        'GET',
        '/assets/*',
        async (req, res, params) => {
          if (!(await files.serve(req, res, `assets/${params['*'] ?? ''}`, { cacheControl: IMMUTABLE }))) sendNotFound(req, res);
        },
        { summary: 'The web app\'s hashed scripts, styles and images.', tags },
      );
      // public/ files (the favicon, and whatever else the build put at the top of dist/).
      for (const name of publicFiles(files.root)) {
        app.routes.addRaw(
          'GET',
          `/${name}`,
          async (req, res) => {
            if (!(await files.serve(req, res, name, { cacheControl: SHORT }))) sendNotFound(req, res);
          },
          { summary: `The web app's ${name}.`, tags },
        );
      }

      app.routes.addRaw('GET', '/docs', (req, res) => docs.index(req, res), { summary: 'The documentation, listed.', tags: ['docs'] });
      app.routes.addRaw('GET', '/docs/:name', (req, res, params) => docs.page(req, res, params['name'] ?? ''), {
        summary: 'A doc rendered as HTML (`?raw`: the file itself).',
        tags: ['docs'],
      });
      app.routes.addRaw('GET', '/docs/screenshots/:name', (req, res, params) => docs.screenshot(req, res, params['name'] ?? ''), {
        summary: 'A screenshot the docs show (PNG).',
        tags: ['docs'],
      });
    },
  };
}

/** The favicon always (so a build after the start serves it too), and the other top-level files of dist/. */
function publicFiles(root: string): string[] {
  const names = new Set(['favicon.svg']);
  if (existsSync(root)) {
    for (const name of readdirSync(root)) {
      if (name !== 'index.html' && /^[\w.-]+$/.test(name) && statSync(`${root}/${name}`).isFile()) names.add(name);
    }
  }
  return [...names].sort();
}

/** The module the server registers. */
export const webAppModule: AppModule = createWebAppModule();
