/**
 * The web app's browser-test harness (shared by every test/web/*.test.ts): the server app with
 * its real modules and the built web app on 127.0.0.1 (port 0, or the same port again after a
 * restart), headless Chromium (Debian's /usr/bin/chromium through playwright-core), pages that
 * collect console errors so a test fails on them, and a login as a demo user.
 *
 * The web app must be built (apps/web/dist): `npm run build` does it, and CI builds before it
 * tests; when dist/ is missing the harness runs `vite build` once (bounded, one process at a
 * time). After changing apps/web, rebuild (`npm run build -w @hubwire/web`) before these tests.
 * @module
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { pino } from 'pino';
import type { AppModule } from '../../apps/server/src/app-context.js';
import { startApp, type App } from '../../apps/server/src/app.js';
import { loadConfig } from '../../apps/server/src/config.js';
import { APP_TEST_ENV } from '../support/app-env.js';
import { within } from '../support/wait.js';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const WEB_DIR = fileURLToPath(new URL('../../apps/web/', import.meta.url));
export const WEB_DIST_INDEX = `${WEB_DIR}dist/index.html`;
const BUILD_LOCK = `${WEB_DIR}.vite-build.lock`;
const BUILD_TIMEOUT_MS = 180_000;

/** The demo users (password `demo`). */
export type DemoUserName = 'admin' | 'jane.smith' | 'john.doe';

/**
 * Console errors a server restart makes by design — the browser's own lines for the refused
 * connections while the server is away, and for the 503 a stopping server answers negotiates
 * with — which a restart test allows, and nothing else.
 */
export const RESTART_NOISE: readonly RegExp[] = [
  /net::ERR_CONNECTION_REFUSED/,
  /net::ERR_CONNECTION_RESET/,
  /net::ERR_EMPTY_RESPONSE/,
  /WebSocket connection to .* failed/,
  /status of 503 \(Service Unavailable\) \(http:\/\/127\.0\.0\.1:\d+\/hubs\/[a-z]+\/negotiate/,
];

/** Settings of the app for browser tests: the event stream fast, other simulators off. */
export const WEB_TEST_ENV: Readonly<Record<string, string>> = {
  ...APP_TEST_ENV,
  LOG_LEVEL: 'silent',
  EVENTS_ENABLED: 'true',
  EVENTS_MIN_DELAY_MS: '50',
  EVENTS_MAX_DELAY_MS: '150',
};

/** Builds apps/web/dist if it is missing (one build at a time across test processes). */
export async function ensureWebBuild(): Promise<void> {
  if (existsSync(WEB_DIST_INDEX)) return;
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch {
      // Another test process builds: wait for its result (or take over a lock left by a crash).
      if (existsSync(WEB_DIST_INDEX)) return;
      if (Date.now() - statSync(BUILD_LOCK, { throwIfNoEntry: false })!.mtimeMs > BUILD_TIMEOUT_MS) rmSync(BUILD_LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for another process to build ${WEB_DIST_INDEX}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if (existsSync(WEB_DIST_INDEX)) return;
    const vite = fileURLToPath(new URL('../../node_modules/vite/bin/vite.js', import.meta.url));
    const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: WEB_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
    const code = await within(
      new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', resolve);
      }),
      BUILD_TIMEOUT_MS,
      'vite build of apps/web',
    ).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    assert.equal(code, 0, 'vite build of apps/web failed');
    assert.ok(existsSync(WEB_DIST_INDEX), `vite build wrote no ${WEB_DIST_INDEX}`);
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

/** Options of {@link startWebApp}. */
export interface WebAppOptions {
  /** Port to listen on (0: a free one; a restart passes the old one). */
  readonly port?: number;
  /** Extra environment of the server config (over {@link WEB_TEST_ENV}). */
  readonly env?: Readonly<Record<string, string>>;
  /** The modules (default: every module of the server, the web app's included). */
  readonly modules?: readonly AppModule[];
}

/** Starts the server app in this process. */
export function startWebApp(options: WebAppOptions = {}): Promise<App> {
  const config = loadConfig({ env: { ...WEB_TEST_ENV, ...options.env, PORT: String(options.port ?? 0) } });
  return startApp(config, { modules: options.modules, logger: pino({ level: 'silent' }) });
}

/** Launches headless Chromium (fails, not skips, when it is not installed: CI installs it). */
export async function launchBrowser(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is not installed (apt-get install -y chromium)`);
  return within(chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 }), 35_000, 'Chromium to launch');
}

/** A page of the app, with the console errors it logged. */
export interface WebPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console errors and uncaught exceptions, in order. */
  readonly errors: string[];
  /** Opens `path` of the app and checks the answer is 200. */
  goto(path: string): Promise<void>;
  /** Logs in on the login page as a demo user and waits for the name in the header. */
  login(user: DemoUserName): Promise<void>;
  /** Fails with the console errors not matched by `allowed`. */
  assertNoConsoleErrors(allowed?: readonly RegExp[]): void;
  close(): Promise<void>;
}

/** Options of {@link openPage}. */
export interface PageOptions {
  /** Default 1280 × 800. */
  readonly viewport?: { readonly width: number; readonly height: number };
}

/** A new browser context and page on the app at `baseUrl` (a function, so it follows a restart). */
export async function openPage(browser: Browser, baseUrl: () => string, options: PageOptions = {}): Promise<WebPage> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  const web: WebPage = {
    page,
    context,
    errors,
    async goto(path) {
      const response = await page.goto(`${baseUrl()}${path}`, { timeout: 15_000 });
      assert.equal(response?.status(), 200, `GET ${path}`);
    },
    async login(user) {
      if (!page.url().includes('/login')) await web.goto('/login');
      await page.getByTestId(`login-as-${user}`).click();
      await page.getByTestId('user-name').waitFor();
    },
    assertNoConsoleErrors(allowed = []) {
      assert.deepEqual(
        errors.filter((error) => !allowed.some((pattern) => pattern.test(error))),
        [],
        'console errors',
      );
    },
    close: () => context.close(),
  };
  return web;
}

/** Closes the browser (bounded). */
export async function closeBrowser(browser: Browser | undefined): Promise<void> {
  await within(browser?.close() ?? Promise.resolve(), 10_000, 'Chromium to close');
}

/** One browser suite's server, browser and pages, set up before its tests and closed after them. */
export interface WebSuite {
  /** The running app (fails when it is not running). */
  readonly app: App;
  /** The app's `http://host:port` (a function, so pages follow a restart). */
  readonly baseUrl: () => string;
  /** A new page on the app, closed with the suite. */
  open(options?: PageOptions): Promise<WebPage>;
  /** Stops the app, runs `whileDown`, and starts it again on the same port with the same options. */
  restart(whileDown: () => Promise<void>): Promise<void>;
}

/**
 * Registers a suite's `before` (the web build, the app with `options`, Chromium) and `after`
 * (its pages, the browser, the app); call it inside `describe`.
 */
export function webSuite(options: WebAppOptions = {}): WebSuite {
  let app: App | undefined;
  let browser: Browser | undefined;
  const pages: WebPage[] = [];
  const baseUrl = (): string => app!.url;
  before(async () => {
    await ensureWebBuild();
    app = await startWebApp(options);
    browser = await launchBrowser();
  });
  after(async () => {
    try {
      for (const page of pages) await page.close();
      await closeBrowser(browser);
    } finally {
      await app?.stop();
    }
  });
  return {
    get app() {
      assert.ok(app !== undefined, 'the app is not running');
      return app;
    },
    baseUrl,
    async open(pageOptions) {
      const page = await openPage(browser!, baseUrl, pageOptions);
      pages.push(page);
      return page;
    },
    async restart(whileDown) {
      const { port } = this.app.address;
      await app!.stop();
      app = undefined;
      await whileDown();
      app = await startWebApp({ ...options, port });
    },
  };
}

/** A demo user's bearer token from the app's token endpoint. */
export async function demoToken(baseUrl: string, user: DemoUserName): Promise<string> {
  const answer = await fetch(`${baseUrl}/api/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user, password: 'demo' }) });
  assert.equal(answer.status, 200, `a token for ${user}`);
  return ((await answer.json()) as { accessToken: string }).accessToken;
}
