/**
 * The demo page: `GET /` shows the live feed of /hubs/events through the official browser client
 * (served from node_modules/@microsoft/signalr), the connection state and links to the docs.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { AppContext, AppModule } from '../../app-context.js';
import { DEMO_CSS, DEMO_JS, renderIndexHtml } from './page.js';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The repository's docs/ (same depth from src/ and dist/), if present. */
const DOCS_DIR = fileURLToPath(new URL('../../../../../docs/', import.meta.url));
const DOC_NAME = /^[a-z0-9][a-z0-9-]*\.(md|ts|http)$/;

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...headers,
  });
  res.end(body);
}

function notFound(res: ServerResponse): void {
  send(res, 404, 'text/plain; charset=utf-8', 'Not Found');
}

/** Paths of the browser bundle of the official client and its source map. */
export function signalrBrowserBundle(): { script: string; map: string } {
  const script = createRequire(import.meta.url).resolve('@microsoft/signalr/dist/browser/signalr.min.js');
  return { script, map: `${script}.map` };
}

/** The demo page module: `GET /`, `/assets/*` and `/docs/:name`. */
export const demoPageModule: AppModule = {
  name: 'demo-page',
  register(app: AppContext) {
    const bundle = signalrBrowserBundle();
    const script = readFileSync(bundle.script);
    let map: Buffer | undefined;
    try {
      map = readFileSync(bundle.map);
    } catch {
      map = undefined;
    }
    let html: string | undefined;
    const assets = new Map<string, [type: string, body: string | Buffer]>([
      ['signalr.min.js', ['text/javascript; charset=utf-8', script]],
      ['demo.js', ['text/javascript; charset=utf-8', DEMO_JS]],
      ['demo.css', ['text/css; charset=utf-8', DEMO_CSS]],
    ]);
    if (map !== undefined) assets.set('signalr.min.js.map', ['application/json; charset=utf-8', map]);

    app.routes.addRaw('GET', '/', (_req, res) => {
      // Rendered on first request, when every module has mapped its hub.
      html ??= renderIndexHtml(app.hubPaths);
      send(res, 200, 'text/html; charset=utf-8', html, { 'Content-Security-Policy': CSP, 'Cache-Control': 'no-cache' });
    });

    app.routes.addRaw('GET', '/assets/:name', (_req, res, params) => {
      const asset = assets.get(params['name'] ?? '');
      if (asset === undefined) return notFound(res);
      send(res, 200, asset[0], asset[1], { 'Cache-Control': 'no-cache' });
    });

    app.routes.addRaw('GET', '/docs/:name', (_req, res, params) => {
      const name = params['name'] ?? '';
      let body: Buffer;
      try {
        if (!DOC_NAME.test(name) || !readdirSync(DOCS_DIR).includes(name)) return notFound(res);
        body = readFileSync(`${DOCS_DIR}${name}`);
      } catch {
        return notFound(res);
      }
      // Shown as text: the docs are Markdown and TypeScript, not HTML.
      send(res, 200, 'text/plain; charset=utf-8', body, { 'Content-Security-Policy': "default-src 'none'", 'Cache-Control': 'no-cache' });
    });
  },
};
