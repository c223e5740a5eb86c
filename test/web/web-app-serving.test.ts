/**
 * The web app module over HTTP, on a built fixture (no browser): index.html on every app path
 * with a strict CSP and revalidation, hashed assets immutable and compressed, the SPA fallback
 * bounded to the app's paths, the page that asks for a build, and the docs rendered as HTML.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { startApp, type App } from '../../apps/server/src/app.js';
import { createWebAppModule } from '../../apps/server/src/modules/web-app/index.js';
import { testConfig } from '../server-modules/harness.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';
/** The 8-byte PNG signature and a little more: what is served must be these bytes. */
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;

function fixture(): { dist: string; docs: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'hubwire-web-'));
  const dist = join(root, 'dist');
  const docs = join(root, 'docs');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  mkdirSync(docs);
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), SCRIPT);
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(root, 'secret.txt'), 'not for the web');
  writeFileSync(join(docs, 'guide.md'), '# The guide\n\nSee [the other doc](other.md#a-section--here) and `code`.\n\n## A section & here\n\n```ts\nconst x = 1 < 2;\n```\n\n## A section & here\n');
  writeFileSync(join(docs, 'other.md'), '# Other\n\n## A section & here\n');
  writeFileSync(join(docs, 'example.ts'), 'export const answer = 1 < 2;\n');
  mkdirSync(join(docs, 'screenshots'));
  writeFileSync(join(docs, 'screenshots', 'view.png'), PNG);
  return { dist, docs: `${docs}/`, root };
}

async function start(dist: string, docs: string): Promise<App> {
  return startApp(testConfig(), { modules: [createWebAppModule({ distDir: dist, docsDir: docs })], logger: pino({ level: 'silent' }) });
}

/** A GET with a raw path (fetch would normalize `..`) and the body as bytes. */
function rawGet(app: App, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: app.address.port, path, method, headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

describe('the web app module, built', () => {
  let app: App;
  let paths: ReturnType<typeof fixture>;

  before(async () => {
    paths = fixture();
    app = await start(paths.dist, paths.docs);
  });
  after(async () => {
    await app.stop();
    rmSync(paths.root, { recursive: true, force: true });
  });

  test('every path of the app answers index.html, revalidated, under a strict CSP', async () => {
    for (const path of ['/', '/login', '/events', '/campaigns/c-1/artifacts', '/admin', '/operator/', '/organizations/acme']) {
      const response = await rawGet(app, path);
      assert.equal(response.status, 200, path);
      assert.equal(response.body.toString(), INDEX, path);
      assert.match(String(response.headers['content-type']), /^text\/html; charset=utf-8/);
      assert.equal(response.headers['cache-control'], 'no-cache');
      const csp = String(response.headers['content-security-policy']);
      for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(directive), `${path}: ${directive}`);
      assert.ok(!csp.includes('unsafe-inline'), 'no inline scripts or styles');
    }
    const first = await rawGet(app, '/events');
    const again = await rawGet(app, '/events', { 'If-None-Match': String(first.headers['etag']) });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
  });

  test('paths outside the app are not swallowed by it', async () => {
    assert.equal((await rawGet(app, '/nowhere')).status, 404);
    assert.equal((await rawGet(app, '/eventsx')).status, 404);
    const api = await rawGet(app, '/api/nope');
    assert.equal(api.status, 404);
    assert.match(String(api.headers['content-type']), /json/);
    assert.equal((await fetch(`${app.url}/api/nope`, { method: 'POST' })).status, 404, 'no 405 for unknown API paths');
  });

  test('hashed assets are immutable, typed and compressed for who takes it', async () => {
    const plain = await rawGet(app, '/assets/index-abc123.js');
    assert.equal(plain.status, 200);
    assert.equal(plain.body.toString(), SCRIPT);
    assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(plain.headers['x-content-type-options'], 'nosniff');
    assert.equal(plain.headers['content-encoding'], undefined);

    const br = await rawGet(app, '/assets/index-abc123.js', { 'Accept-Encoding': 'gzip, deflate, br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.ok(br.body.length < SCRIPT.length / 10);
    assert.equal(brotliDecompressSync(br.body).toString(), SCRIPT);
    const gz = await rawGet(app, '/assets/index-abc123.js', { 'Accept-Encoding': 'gzip, br;q=0' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.body).toString(), SCRIPT);
    assert.equal(gz.headers['vary'], 'Accept-Encoding');

    const icon = await rawGet(app, '/favicon.svg');
    assert.equal(icon.status, 200);
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    const head = await rawGet(app, '/assets/index-abc123.js', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(SCRIPT.length));
    assert.equal(head.body.length, 0);
  });

  test('nothing outside dist/ is served', async () => {
    for (const path of ['/assets/nope.js', '/assets/..%2f..%2fsecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/assets/..\\..\\secret.txt']) {
      assert.equal((await rawGet(app, path)).status, 404, path);
    }
  });

  test('a doc is a rendered page: headings with anchors, links between docs, code blocks, no scripts', async () => {
    const page = await rawGet(app, '/docs/guide.md');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const html = page.body.toString();
    assert.match(html, /<title>The guide · Hubwire docs<\/title>/);
    assert.match(html, /<h1 id="the-guide">The guide<\/h1>/);
    assert.match(html, /<h2 id="a-section--here">A section &amp; here<\/h2>/);
    assert.match(html, /<h2 id="a-section--here-1">/, 'a repeated heading gets -1, as on GitHub');
    assert.match(html, /<a href="other\.md#a-section--here">the other doc<\/a>/);
    assert.match(html, /<pre><code class="language-ts">const x = 1 &lt; 2;/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.ok(!/script-src/.test(csp));
    // The linked section exists on the other page.
    assert.match((await rawGet(app, '/docs/other.md')).body.toString(), /id="a-section--here"/);

    const raw = await rawGet(app, '/docs/guide.md?raw');
    assert.match(String(raw.headers['content-type']), /^text\/markdown/);
    assert.match(raw.body.toString(), /^# The guide/);

    const code = (await rawGet(app, '/docs/example.ts')).body.toString();
    assert.match(code, /<pre><code class="language-ts">export const answer = 1 &lt; 2;/);
  });

  test('the screenshots a doc shows are served as PNGs; nothing else of their folder', async () => {
    const image = await rawGet(app, '/docs/screenshots/view.png');
    assert.equal(image.status, 200);
    assert.equal(image.headers['content-type'], 'image/png');
    assert.deepEqual(image.body, PNG);
    for (const path of ['/docs/screenshots/nope.png', '/docs/screenshots/..%2Fguide.md', '/docs/screenshots/view.PNG', '/docs/screenshots/guide.md']) assert.equal((await rawGet(app, path)).status, 404, path);
  });

  test('/docs/ lists the docs by title; unknown names and paths are 404', async () => {
    const index = (await rawGet(app, '/docs/')).body.toString();
    assert.match(index, /<a href="\/docs\/guide\.md">The guide<\/a>/);
    assert.match(index, /<a href="\/docs\/other\.md">Other<\/a>/);
    for (const path of ['/docs/nope.md', '/docs/..%2Fsecret.txt', '/docs/Guide.MD', '/docs/secret.txt']) assert.equal((await rawGet(app, path)).status, 404, path);
  });
});

describe('the web app module, not built', () => {
  test('/ says how to build the app; the docs still work', async () => {
    const paths = fixture();
    rmSync(paths.dist, { recursive: true });
    const app = await start(paths.dist, paths.docs);
    try {
      const page = await rawGet(app, '/events');
      assert.equal(page.status, 503);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(page.body.toString(), /npm run build/);
      assert.equal((await rawGet(app, '/assets/index-abc123.js')).status, 404);
      assert.equal((await rawGet(app, '/docs/guide.md')).status, 200);
    } finally {
      await app.stop();
      rmSync(paths.root, { recursive: true, force: true });
    }
  });
});
