/**
 * The campaigns view in Chromium against the real server (steps of 250 ms): a run created from
 * the page followed to completion; a reload mid-run that recovers from the last sequence with no
 * gap and no repeat (the sequence numbers the log shows); another tab that has no stored view
 * starting from a snapshot; a cancel. No console errors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { webSuite, type WebPage } from './support.js';

const STEP_MS = 250;
const CAMPAIGN_URL = /\/campaigns\/([0-9a-f-]{36})$/;

/** The sequence numbers of the event lines of the log, in order. */
async function eventSequences(page: Page): Promise<number[]> {
  return page
    .locator('[data-testid="campaign-log-entry"][data-kind="event"], [data-testid="campaign-log-entry"][data-kind="artifact"]')
    .evaluateAll((entries) => entries.map((entry) => Number(entry.getAttribute('data-sequence'))));
}

async function lastSequence(page: Page): Promise<number> {
  return Number(((await page.getByTestId('campaign-last-sequence').textContent()) ?? '#0').slice(1));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe('campaign runs in Chromium', () => {
  const suite = webSuite({ env: { CAMPAIGN_STEP_MS: String(STEP_MS) } });

  async function open(user: 'jane.smith' | 'john.doe', path = '/campaigns', viewport?: { width: number; height: number }): Promise<WebPage> {
    const web = await suite.open(viewport === undefined ? {} : { viewport });
    await web.goto(path);
    await web.page.waitForURL(/\/login\?next=/);
    await web.login(user);
    await web.page.getByTestId(path === '/campaigns' ? 'page-campaigns' : 'page-campaign-run').waitFor();
    return web;
  }

  /** Creates a run from the form and waits for its page; returns its id. */
  async function create(web: WebPage, name: string, artifacts: number): Promise<string> {
    await web.page.getByTestId('campaign-name').fill(name);
    await web.page.getByTestId('campaign-artifacts').fill(String(artifacts));
    await web.page.getByTestId('campaign-create').click();
    await web.page.waitForURL(CAMPAIGN_URL);
    await web.page.getByTestId('page-campaign-run').waitFor();
    return CAMPAIGN_URL.exec(web.page.url())![1]!;
  }

  test('a run created on the page goes to completion: states, artifacts and every numbered event', async () => {
    const web = await open('jane.smith');
    const id = await create(web, 'Spring sale', 2);
    assert.equal(await web.page.getByTestId('campaign-id').textContent(), id);
    await web.page.locator('[data-testid="campaign-state"][data-state="completed"]').waitFor({ timeout: 20_000 });
    assert.equal(await web.page.getByTestId('campaign-audit').textContent(), 'passed');
    assert.deepEqual(await web.page.locator('[data-testid="campaign-artifact"]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-status'))), ['completed', 'completed']);
    // A run of n artifacts sends 3n + 7 events; the create's answer was the snapshot at #1.
    assert.deepEqual(await eventSequences(web.page), range(2, 13));
    assert.equal(await lastSequence(web.page), 13);
    assert.equal(await web.page.locator('[data-testid="campaign-sync"]').getAttribute('data-mode'), 'recovered');
    assert.equal(await web.page.getByTestId('campaign-cancel').count(), 0, 'a finished run cannot be cancelled');

    // The list links it.
    await web.page.getByRole('link', { name: 'All campaigns' }).click();
    await web.page.locator('[data-testid="campaign-list"] a', { hasText: 'Spring sale' }).waitFor();
    web.assertNoConsoleErrors();
  });

  test('a reload mid-run recovers from the last sequence: no gap, no repeat; another tab starts from a snapshot', async () => {
    const web = await open('jane.smith');
    const id = await create(web, 'Reload me', 6); // 25 events, about 6 s
    await web.page.waitForFunction(() => Number(document.querySelector('[data-testid="campaign-last-sequence"]')?.textContent?.slice(1)) >= 6);
    await web.page.reload();
    await web.page.getByTestId('page-campaign-run').waitFor();
    const sync = web.page.locator('[data-testid="campaign-sync"][data-mode="recovered"]');
    await sync.waitFor();
    const from = Number(/joined from event #(\d+)/.exec((await sync.textContent()) ?? '')?.[1]);
    assert.ok(from >= 6, `recovered from #${from}, after the reload`);

    // Someone with only the link (another tab: nothing stored) starts from the server's snapshot.
    const john = await open('john.doe', `/campaigns/${id}`);
    const snapshot = john.page.locator('[data-testid="campaign-sync"][data-mode="snapshot"]');
    await snapshot.waitFor();
    const at = Number(/at event #(\d+)/.exec((await snapshot.textContent()) ?? '')?.[1]);
    assert.equal(await john.page.getByTestId('campaign-cancel').count(), 0, 'only its creator (or an admin) may cancel');

    await web.page.locator('[data-testid="campaign-state"][data-state="completed"]').waitFor({ timeout: 20_000 });
    assert.deepEqual(await eventSequences(web.page), range(2, 25), 'every number once, in order, across the reload');
    await john.page.locator('[data-testid="campaign-state"][data-state="completed"]').waitFor({ timeout: 10_000 });
    assert.deepEqual(await eventSequences(john.page), range(at + 1, 25), `after the snapshot at #${at}: every number once`);
    web.assertNoConsoleErrors();
    john.assertNoConsoleErrors();
  });

  test('cancel a run: the pending artifacts are cancelled and the acknowledgement shown', async () => {
    const web = await open('jane.smith');
    await create(web, 'Budget cut', 8);
    await web.page.locator('[data-testid="campaign-state"][data-state="generating"]').waitFor({ timeout: 10_000 });
    await web.page.getByTestId('campaign-cancel-reason').fill('Budget cut');
    await web.page.getByTestId('campaign-cancel').click();
    await web.page.locator('[data-testid="campaign-state"][data-state="cancelled"]').waitFor();
    assert.match((await web.page.getByTestId('campaign-cancelled').textContent()) ?? '', /Cancelled by jane\.smith: Budget cut \(event #\d+\)/);
    const statuses = await web.page.locator('[data-testid="campaign-artifact"]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-status')));
    assert.ok(statuses.includes('cancelled') && !statuses.some((status) => status === 'planned' || status === 'generating'), statuses.join(', '));
    const sequences = await eventSequences(web.page);
    assert.deepEqual(sequences, range(2, sequences.at(-1)!));
    web.assertNoConsoleErrors();
  });

  test('a phone width (390 px): the run, the chat and the organizations views scroll only downwards', async () => {
    const web = await open('jane.smith', '/campaigns', { width: 390, height: 844 });
    await create(web, 'A campaign with a rather long name for a phone', 12);
    await web.page.locator('[data-testid="campaign-artifact"]').first().waitFor();
    const overflow = () => web.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.equal(await overflow(), 0, 'the run view');
    for (const path of ['/chat', '/organizations']) {
      await web.page.getByTestId(`nav-${path.slice(1)}`).click();
      await web.page.getByTestId(`page-${path.slice(1)}`).waitFor();
      assert.equal(await overflow(), 0, path);
    }
    web.assertNoConsoleErrors();
  });
});
