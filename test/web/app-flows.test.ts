/**
 * The web app in headless Chromium against the real server (every module, the built app):
 * logging in and the event stream arriving live (the first events at once from the recent
 * history), filtering it, logging out, a member kept out of the admin views, the docs as
 * rendered pages, a phone-width layout without sideways scrolling, and the connection indicator
 * following a server restart on the same port. Every page fails its test on a console error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventsModule } from '../../apps/server/src/modules/events/index.js';
import { until } from '../support/wait.js';
import { RESTART_NOISE, webSuite, type WebPage } from './support.js';

const EVENTS_STATUS = '[data-testid="connection-status"][data-hub="/hubs/events"]';

describe('the web app in Chromium', () => {
  const suite = webSuite();

  async function open(viewport?: { width: number; height: number }): Promise<WebPage> {
    const page = await suite.open(viewport === undefined ? {} : { viewport });
    return page;
  }

  test('log in as a demo user: the event stream shows the recent history at once, then live events', async () => {
    // Let the server's stream run a little, so there is a history to show.
    await until(() => (eventsModule.simulator?.recent.length ?? 0) >= 5, 10_000, 'five events on the server');
    const web = await open();
    await web.goto('/events');
    // Not logged in: sent to the login page, which comes back here afterwards.
    await web.page.waitForURL(/\/login\?next=%2Fevents$/);
    await web.login('jane.smith');
    await web.page.waitForURL(/\/events$/);
    assert.equal(await web.page.getByTestId('user-name').textContent(), 'Jane Smith');
    await web.page.waitForFunction(() => document.title === 'Event stream · Hubwire');

    await web.page.locator(`${EVENTS_STATUS}[data-state="connected"]`).waitFor();
    assert.match((await web.page.locator(EVENTS_STATUS).textContent()) ?? '', /connected · WebSockets · json/);
    await web.page.locator('[data-testid="event"][data-source="recent"]').first().waitFor({ timeout: 5000 });
    assert.ok((await web.page.locator('[data-testid="event"][data-source="recent"]').count()) >= 3, 'the recent history is shown');
    const before = await web.page.getByTestId('event').count();
    await web.page.waitForFunction((count) => document.querySelectorAll('[data-testid="event"][data-source="live"]').length >= 2 && document.querySelectorAll('[data-testid="event"]').length > count, before);

    // Every event reads as its type does, not as raw JSON.
    const summaries = await web.page.locator('[data-testid="event"] .event-summary').allTextContents();
    assert.ok(summaries.every((text) => text !== '' && !text.includes('{')), summaries.join(' | '));

    // The filter keeps one type and says how many of all it shows.
    await web.page.getByTestId('filter-SystemLog').click();
    await web.page.waitForFunction(() => [...document.querySelectorAll('[data-testid="event"]')].every((item) => item.getAttribute('data-type') === 'SystemLog'));
    assert.equal(await web.page.getByTestId('filter-SystemLog').getAttribute('aria-pressed'), 'true');
    assert.match((await web.page.getByTestId('event-count').textContent()) ?? '', /^\d+ of \d+ events$/);
    await web.page.getByTestId('filter-all').click();
    web.assertNoConsoleErrors();
  });

  test('log out: the session ends, the hub connection closes, the views need a login again', async () => {
    const web = await open();
    await web.login('john.doe');
    await web.page.getByTestId('nav-events').click();
    await web.page.locator(`${EVENTS_STATUS}[data-state="connected"]`).waitFor();
    await web.page.getByTestId('logout').click();
    await web.page.waitForURL(/\/login$/);
    assert.equal(await web.page.getByTestId('user-name').count(), 0);
    assert.equal(await web.page.locator(EVENTS_STATUS).count(), 0, 'no hub indicator once logged out');
    assert.equal(await web.page.evaluate(() => sessionStorage.length), 0);
    await web.goto('/events');
    await web.page.waitForURL(/\/login\?next=%2Fevents$/);
    web.assertNoConsoleErrors();
  });

  test('a member sees no admin or operator links and is refused a direct visit; an admin sees both', async () => {
    const member = await open();
    await member.login('jane.smith');
    await member.page.getByTestId('nav-events').waitFor();
    assert.equal(await member.page.getByTestId('nav-admin').count(), 0);
    assert.equal(await member.page.getByTestId('nav-operator').count(), 0);
    for (const path of ['/admin', '/operator']) {
      await member.goto(path);
      await member.page.getByTestId('forbidden').waitFor();
      assert.match((await member.page.getByTestId('forbidden').textContent()) ?? '', /needs the role admin/);
    }
    member.assertNoConsoleErrors();

    const admin = await open();
    await admin.login('admin');
    await admin.page.getByTestId('nav-admin').waitFor();
    assert.equal(await admin.page.getByTestId('nav-operator').count(), 1);
    await admin.page.getByTestId('nav-admin').click();
    assert.equal(await admin.page.getByTestId('forbidden').count(), 0);
    admin.assertNoConsoleErrors();
  });

  test('keyboard only: log in with the form, reach a view through the navigation, log out', async () => {
    const web = await open();
    await web.goto('/login');
    const focused = () => web.page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.textContent?.trim() ?? '');
    /** Presses Tab until the element `matches` (bounded: a page has far fewer stops than this). */
    const tabTo = async (matches: (current: string) => boolean, what: string): Promise<void> => {
      for (let stops = 0; stops < 40; stops++) {
        await web.page.keyboard.press('Tab');
        if (matches(await focused())) return;
      }
      assert.fail(`no keyboard stop reached ${what}`);
    };
    await tabTo((current) => current === 'login-username', 'the user name field');
    await web.page.keyboard.type('jane.smith');
    await web.page.keyboard.press('Tab');
    assert.equal(await focused(), 'login-password');
    await web.page.keyboard.type('demo');
    await web.page.keyboard.press('Enter');
    await web.page.getByTestId('user-name').waitFor();
    await tabTo((current) => current === 'Chat', 'the Chat link');
    // Focus is drawn where it is (no outline removed without a replacement).
    const outline = await web.page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused link shows its focus');
    await web.page.keyboard.press('Enter');
    await web.page.waitForURL(/\/chat$/);
    await tabTo((current) => current === 'logout', 'the Log out button');
    await web.page.keyboard.press('Enter');
    await web.page.waitForURL(/\/login/);
    web.assertNoConsoleErrors();
  });

  test('a docs link opens a rendered page', async () => {
    const web = await open();
    await web.login('john.doe');
    await Promise.all([web.page.waitForURL(/\/docs\/hubs\.md$/), web.page.getByRole('link', { name: 'The hubs: methods, events, payloads' }).click()]);
    assert.match((await web.page.locator('h1').first().textContent()) ?? '', /hub/i);
    assert.ok((await web.page.locator('main h2').count()) > 3, 'headings, not raw text');
    assert.ok((await web.page.locator('main table').count()) > 0, 'tables rendered');
    // A link to another doc works, and its target is rendered too.
    const link = web.page.locator('main a[href$=".md"]').first();
    await Promise.all([web.page.waitForURL(/\/docs\/[a-z0-9-]+\.md/), link.click()]);
    assert.ok((await web.page.locator('main h1, main h2').count()) > 0);
    web.assertNoConsoleErrors();
  });

  test('at 390 px the events page does not scroll sideways', async () => {
    const web = await open({ width: 390, height: 844 });
    await web.login('jane.smith');
    await web.page.getByTestId('nav-events').click();
    await web.page.getByTestId('event').nth(2).waitFor();
    const widths = await web.page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(widths.scroll <= widths.client, `scrollWidth ${widths.scroll} > clientWidth ${widths.client}`);
    web.assertNoConsoleErrors();
  });

  // Last: it restarts the server the other tests use.
  test('the connection indicator follows a server restart on the same port', async () => {
    const web = await open();
    await web.login('jane.smith');
    await web.page.getByTestId('nav-events').click();
    await web.page.locator(`${EVENTS_STATUS}[data-state="connected"]`).waitFor();
    let before = 0;
    await suite.restart(async () => {
      await web.page.locator(`${EVENTS_STATUS}[data-state="reconnecting"]`).waitFor();
      before = await web.page.locator('[data-testid="event"][data-source="live"]').count();
    });
    await web.page.locator(`${EVENTS_STATUS}[data-state="connected"]`).waitFor({ timeout: 20_000 });
    await web.page.waitForFunction((count) => document.querySelectorAll('[data-testid="event"][data-source="live"]').length > count, before, { timeout: 15_000 });
    assert.equal(await web.page.getByTestId('user-name').textContent(), 'Jane Smith', 'still logged in: the demo secret is the same');
    web.assertNoConsoleErrors(RESTART_NOISE);
  });
});
