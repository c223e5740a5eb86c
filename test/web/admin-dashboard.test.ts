/**
 * The admin dashboard in Chromium against the real server: an admin sees the platform stats
 * arrive and change live (the hub's push to `analytics`, fast here); alerts posted to the admin
 * REST API by the test appear in the alert centre with their counts per severity and are
 * acknowledged one and all; a broadcast sent from the page's form comes back through the hub,
 * and one the server refuses shows its validation error. No console errors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { demoToken, webSuite, type WebPage } from './support.js';

const ADMIN_STATUS = '[data-testid="connection-status"][data-hub="/hubs/admin"]';

describe('the admin dashboard in Chromium', () => {
  const suite = webSuite({ env: { EVENTS_ENABLED: 'false', ADMIN_STATS_INTERVAL_MS: '300' } });
  const baseUrl = suite.baseUrl;

  async function adminPage(): Promise<WebPage> {
    const web = await suite.open();
    await web.goto('/admin');
    await web.page.waitForURL(/\/login\?next=%2Fadmin$/);
    await web.login('admin');
    await web.page.waitForURL(/\/admin$/);
    await web.page.locator(`${ADMIN_STATUS}[data-state="connected"]`).waitFor();
    return web;
  }

  async function post(path: string, body: unknown): Promise<Response> {
    return fetch(`${baseUrl()}/api/admin/realtime/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await demoToken(baseUrl(), 'admin')}` }, body: JSON.stringify(body) });
  }

  const count = async (web: WebPage, severity: string) => Number(await web.page.getByTestId(`alert-count-${severity}`).getAttribute('data-count'));

  test('the platform stats arrive at once and then live, charted over time', async () => {
    const web = await adminPage();
    await web.page.getByTestId('stat-connections').waitFor();
    // This page's own connection to /hubs/admin is among them.
    assert.ok(Number(await web.page.getByTestId('stat-connections').textContent()) >= 1);
    assert.equal(await web.page.locator('[data-testid="hub-stats"] tr[data-hub="/hubs/admin"]').count(), 1);
    const first = await web.page.getByTestId('platform-stats').getAttribute('data-timestamp');
    // Pushed again without asking: the timestamp moves, the chart gets points (a canvas).
    await web.page.waitForFunction((stamp) => document.querySelector('[data-testid="platform-stats"]')?.getAttribute('data-timestamp') !== stamp, first);
    await web.page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-platform"]')?.getAttribute('data-points')) >= 3);
    assert.equal(await web.page.locator('[data-testid="chart-platform"] canvas').count(), 1);
    assert.match((await web.page.getByTestId('chart-platform-connections').textContent()) ?? '', /^\d+$/);
    web.assertNoConsoleErrors();
  });

  test('alerts sent by REST appear in the alert centre with counts, and are acknowledged', async () => {
    const web = await adminPage();
    await web.page.getByTestId('alerts-empty').waitFor();
    assert.equal(await count(web, 'warning'), 0);

    const warning = await post('alert/warning', { title: 'Disk almost full', message: 'The volume /data is 91 % full.', source: 'storage' });
    assert.equal(warning.status, 200);
    const warningId = ((await warning.json()) as { payload: { alertId: string } }).payload.alertId;
    assert.equal((await post('alert/error', { title: 'Payments failing', message: 'The payment provider answers 502.' })).status, 200);
    assert.equal((await post('alert/performance', { metric: 'p99 latency', value: 900, threshold: 500, unit: 'ms' })).status, 200);

    await web.page.locator(`[data-testid="alert"][data-alert-id="${warningId}"]`).waitFor();
    await web.page.locator('[data-testid="alert"][data-kind="performance"]').waitFor();
    await web.page.waitForFunction(() => document.querySelectorAll('[data-testid="alert"]').length === 3);
    assert.match((await web.page.locator(`[data-testid="alert"][data-alert-id="${warningId}"]`).textContent()) ?? '', /Disk almost full.*91 % full.*from storage/s);
    assert.equal(await count(web, 'warning'), 1);
    assert.equal(await count(web, 'error'), 2, 'the error alert and the performance alert (900 ≥ 1.5 × 500)');
    assert.equal(await count(web, 'info'), 0);
    assert.equal(await web.page.getByTestId('alert-open-total').textContent(), '3');

    await web.page.locator(`[data-testid="alert"][data-alert-id="${warningId}"]`).getByTestId('alert-acknowledge').click();
    await web.page.locator(`[data-testid="alert"][data-alert-id="${warningId}"][data-acknowledged="true"]`).waitFor();
    assert.equal(await count(web, 'warning'), 0);
    assert.equal(await web.page.getByTestId('alert-open-total').textContent(), '2');

    // The counts filter: only errors.
    await web.page.getByTestId('alert-count-error').click();
    assert.deepEqual(await web.page.locator('[data-testid="alert"]').evaluateAll((items) => items.map((item) => item.getAttribute('data-severity'))), ['error', 'error']);
    await web.page.getByTestId('alert-filter-all').click();

    await web.page.getByTestId('alert-acknowledge-all').click();
    await web.page.waitForFunction(() => document.querySelector('[data-testid="alert-open-total"]')?.textContent === '0');
    assert.equal(await web.page.locator('[data-testid="alert"][data-acknowledged="false"]').count(), 0);
    assert.equal(await web.page.locator('[data-testid="alert"]').count(), 3, 'acknowledged alerts stay listed');
    assert.equal(await web.page.getByTestId('alert-acknowledge-all').isDisabled(), true);
    web.assertNoConsoleErrors();
  });

  test('a form broadcast comes back through the hub; a refused one shows the server\'s error', async () => {
    const web = await adminPage();
    await web.page.getByTestId('broadcast-kind').selectOption('notify/system-event');
    await web.page.getByTestId('broadcast-field-message').fill('Version 9.9 is rolling out.');
    await web.page.getByTestId('broadcast-send').click();
    await web.page.getByTestId('broadcast-answer').waitFor();
    assert.match((await web.page.getByTestId('broadcast-answer').textContent()) ?? '', /"method": "ReceiveSystemEvent"[\s\S]*"group": "admins"/);
    await web.page.locator('[data-testid="activity"][data-kind="system-event"]', { hasText: 'deploy: Version 9.9 is rolling out.' }).waitFor();

    await web.page.getByTestId('broadcast-kind').selectOption('broadcast/analytics');
    await web.page.getByTestId('broadcast-field-metrics').fill('{"pageViews": 1520, "sessions": 310}');
    await web.page.getByTestId('broadcast-send').click();
    await web.page.getByTestId('broadcast-answer').waitFor();
    await web.page.waitForFunction(() => document.querySelector('[data-testid="chart-analytics-pageViews"]')?.textContent === '1,520');
    assert.equal(await web.page.locator('[data-testid="chart-analytics"] canvas').count(), 1);

    // The browser's check: a required field left empty never reaches the server.
    await web.page.getByTestId('broadcast-kind').selectOption('broadcast/user-count');
    await web.page.getByTestId('broadcast-field-total').fill('');
    await web.page.getByTestId('broadcast-send').click();
    assert.equal(await web.page.getByTestId('broadcast-error-total').textContent(), 'Total is required.');
    assert.equal(await web.page.getByTestId('broadcast-answer').count(), 0);
    // The server's check: more active users than users.
    await web.page.getByTestId('broadcast-field-total').fill('10');
    await web.page.getByTestId('broadcast-field-active').fill('50');
    await web.page.getByTestId('broadcast-send').click();
    await web.page.getByTestId('broadcast-refusal').waitFor();
    assert.equal(await web.page.getByTestId('broadcast-refusal').getAttribute('data-status'), '400');
    assert.equal(await web.page.getByTestId('broadcast-refusal').getAttribute('data-field'), 'active');
    assert.match((await web.page.getByTestId('broadcast-error-active').textContent()) ?? '', /must not exceed 'total' \(10\)/);
    assert.equal(await web.page.getByTestId('broadcast-field-active').getAttribute('aria-invalid'), 'true');
    // Chromium logs every 4xx answer of a fetch itself: that line for the refused call, and nothing else.
    web.assertNoConsoleErrors([/status of 400 \(Bad Request\) \(http:\/\/127\.0\.0\.1:\d+\/api\/admin\/realtime\/broadcast\/user-count\)$/]);
  });
});
