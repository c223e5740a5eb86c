/**
 * The demo page in headless Chromium: the official browser client connects to /hubs/events,
 * events appear in the feed, and the state indicator follows a server restart on the same port
 * (connected → reconnecting → connected). Needs /usr/bin/chromium (`.ci/run` installs it).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pino } from 'pino';
import { startApp, type App } from '../../apps/server/src/app.js';
import { loadConfig, type ServerConfig } from '../../apps/server/src/config.js';
import { demoPageModule } from '../../apps/server/src/modules/demo-page/index.js';
import { createEventsModule } from '../../apps/server/src/modules/events/index.js';
import { within } from '../support/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function config(port: number): ServerConfig {
  return loadConfig({
    env: {
      PORT: String(port),
      LOG_LEVEL: 'silent',
      SHUTDOWN_TIMEOUT_MS: '1000',
      EVENTS_ENABLED: 'true',
      EVENTS_MIN_DELAY_MS: '50',
      EVENTS_MAX_DELAY_MS: '150',
      SYNAXIS_ENABLED: 'false',
      ADMIN_STATS_INTERVAL_MS: '0',
    },
  });
}

function start(port: number): Promise<App> {
  return startApp(config(port), { modules: [createEventsModule(), demoPageModule], logger: pino({ level: 'silent' }) });
}

describe('demo page in headless Chromium', () => {
  let app: App | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    // A missing browser fails the suite rather than skipping it: CI installs Debian's chromium.
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is not installed (apt-get install -y chromium)`);
    app = await start(0);
    browser = await within(chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 }), 35_000, 'Chromium to launch');
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  after(async () => {
    try {
      await within(browser?.close() ?? Promise.resolve(), 10_000, 'Chromium to close');
    } finally {
      await app?.stop();
    }
  });

  const state = () => page.locator('#connection-state').getAttribute('data-state');
  const waitForState = (expected: string) => page.waitForSelector(`#connection-state[data-state="${expected}"]`, { timeout: 15_000 });
  const eventCount = () => page.locator('#feed li.event').count();

  test('shows live events and follows a server restart on the same port', async () => {
    const { port } = app!.address;
    const response = await page.goto(`${app!.url}/`, { timeout: 15_000 });
    assert.equal(response?.status(), 200);
    assert.equal(await page.title(), 'Hubwire live demo');

    await waitForState('connected');
    assert.equal(await page.locator('#connection-state').textContent(), 'connected');
    await page.waitForSelector('#feed li.system[data-type="Connected"]');
    await page.waitForFunction(() => document.querySelectorAll('#feed li.event').length >= 3, undefined, { timeout: 15_000 });
    const first = page.locator('#feed li.event').first();
    assert.match((await first.getAttribute('data-type')) ?? '', /^(NewOrder|StockUpdate|UserActivity|SystemLog|Notification)$/);
    assert.notEqual(await first.locator('strong').textContent(), '');
    // Read together: events keep arriving.
    const counts = await page.evaluate(() => [Number(document.getElementById('event-count')!.textContent), document.querySelectorAll('#feed li.event').length]);
    assert.equal(counts[0], counts[1], 'the counter matches the feed');
    assert.ok((await page.locator('a[href="/docs/hubs.md"]').count()) === 1, 'links to the docs');

    // The server stops: clients get a Close with allowReconnect and start reconnecting.
    await app!.stop();
    app = undefined;
    await waitForState('reconnecting');
    const before = await eventCount();

    // A new server on the same port: the page reconnects and events flow again.
    app = await start(port);
    await waitForState('connected');
    await page.waitForFunction((count) => document.querySelectorAll('#feed li.event').length > count, before, { timeout: 15_000 });
    assert.equal(await state(), 'connected');

    // Closing the connection for good shows "disconnected".
    await page.evaluate(() => (window as unknown as { hubwireDemo: { connection: { stop(): Promise<void> } } }).hubwireDemo.connection.stop());
    await waitForState('disconnected');
    assert.deepEqual(pageErrors, []);
  });
});
