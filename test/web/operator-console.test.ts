/**
 * The operator console in Chromium against the real server: a second browser context (john.doe
 * on the event stream) shows up in the figures per hub and transport and in his followed
 * connections; the console sends that connection a test message, which his page shows, and
 * disconnects it after a confirmation (his page stays disconnected, the console sees him
 * offline); the rates are charted from the sampler (sampling fast here). A member is refused
 * both admin views, and the operator API refuses her token. No console errors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { modules } from '../../apps/server/src/modules/index.js';
import { createOperatorModule, operatorModule } from '../../apps/server/src/modules/operator/index.js';
import { webSuite, type WebPage } from './support.js';

const EVENTS_STATUS = '[data-testid="connection-status"][data-hub="/hubs/events"]';

describe('the operator console in Chromium', () => {
  // The event stream quiet (only the console's message shows there), the sampler fast.
  const fast = modules.map((module) => (module === operatorModule ? createOperatorModule({ sampleIntervalMs: 250 }) : module));
  const suite = webSuite({ modules: fast, env: { EVENTS_ENABLED: 'false' } });

  async function open(path: string, user: 'admin' | 'jane.smith' | 'john.doe'): Promise<WebPage> {
    const web = await suite.open();
    await web.goto(path);
    await web.page.waitForURL(new RegExp(`/login\\?next=${encodeURIComponent(path)}$`));
    await web.login(user);
    await web.page.waitForURL(new RegExp(`${path}$`));
    return web;
  }

  test('the console shows another browser\'s connection, sends it a test message, and disconnects it', async () => {
    const john = await open('/events', 'john.doe');
    await john.page.locator(`${EVENTS_STATUS}[data-state="connected"]`).waitFor();
    const console_ = await open('/operator', 'admin');

    // Per hub, by transport: john's connection to the events hub, over WebSockets.
    await console_.page.waitForFunction(() => Number(document.querySelector('[data-testid="operator-hub"][data-hub="events"]')?.getAttribute('data-connections')) >= 1);
    assert.ok(Number(await console_.page.getByTestId('total-web_sockets').textContent()) >= 1);
    assert.match((await console_.page.getByTestId('total-protocols').textContent()) ?? '', /json \d+/);
    assert.equal(await console_.page.getByTestId('nodes-alive').textContent(), '1');
    assert.equal(await console_.page.locator('[data-testid="operator-node"][data-alive="true"]').count(), 1);
    assert.equal(await console_.page.getByTestId('slow-consumer-counts').getAttribute('data-total'), '0');

    // Rates over time, from the sampler.
    await console_.page.waitForFunction(() => Number(document.querySelector('[data-testid="rates-connections"]')?.getAttribute('data-points')) >= 2, undefined, { timeout: 15_000 });
    assert.equal(await console_.page.locator('[data-testid="rates-traffic"] canvas').count(), 1);

    // Follow john: his connection, wherever it is.
    await console_.page.getByTestId('follow-input').fill('john.doe');
    await console_.page.getByTestId('follow-submit').click();
    const row = console_.page.locator('[data-testid="followed-connection"][data-hub="events"]');
    await row.waitFor();
    assert.equal(await row.count(), 1);
    assert.equal(await row.getAttribute('data-transport'), 'web_sockets');
    const connectionId = (await row.getAttribute('data-connection')) ?? '';
    assert.notEqual(connectionId, '');

    // A test message to that connection: an event his page formats and shows.
    await row.getByTestId('followed-message').click();
    assert.equal(await console_.page.getByTestId('send-target').inputValue(), connectionId);
    assert.equal(await console_.page.getByTestId('send-hub').inputValue(), 'events');
    await console_.page.getByTestId('send-method').fill('ReceiveEvent');
    const event = { type: 'Notification', title: 'Notification', payload: { notificationId: 4242, severity: 'warning', message: 'Hello from the operator console' }, timestamp: new Date().toISOString() };
    await console_.page.getByTestId('send-args').fill(JSON.stringify([event]));
    await console_.page.getByTestId('send-submit').click();
    await console_.page.locator('[data-testid="send-receipt"][data-recipients="1"]').waitFor();
    await john.page.locator('[data-testid="event"][data-type="Notification"]', { hasText: 'Hello from the operator console' }).waitFor();

    // The form's own check: arguments that are not a JSON array are not sent.
    await console_.page.getByTestId('send-args').fill('{"not": "an array"}');
    await console_.page.getByTestId('send-submit').click();
    await console_.page.getByTestId('send-error-args').waitFor();
    assert.equal(await console_.page.getByTestId('send-receipt').count(), 0);

    // Disconnect, confirmed first: Cancel leaves it, Disconnect closes it for good.
    await row.getByTestId('disconnect').click();
    await row.getByTestId('disconnect-no').click();
    assert.equal(await john.page.locator(`${EVENTS_STATUS}[data-state="connected"]`).count(), 1);
    await row.getByTestId('disconnect').click();
    await row.getByTestId('disconnect-reason').fill('operator console test');
    await row.getByTestId('disconnect-yes').click();
    await john.page.locator(`${EVENTS_STATUS}[data-state="disconnected"]`).waitFor();
    await console_.page.locator('[data-testid="followed"][data-online="false"]').waitFor();
    // It does not come back: the console keeps seeing him offline, his page disconnected.
    await console_.page.waitForFunction(() => document.querySelector('[data-testid="operator-hub"][data-hub="events"]')?.getAttribute('data-connections') === '0');
    assert.equal(await john.page.locator(EVENTS_STATUS).getAttribute('data-state'), 'disconnected');

    john.assertNoConsoleErrors();
    console_.assertNoConsoleErrors();
  });

  test('a member is refused the admin views, and the operator API refuses her token', async () => {
    const jane = await open('/operator', 'jane.smith');
    await jane.page.getByTestId('forbidden').waitFor();
    assert.equal(await jane.page.getByTestId('page-operator').count(), 0);
    await jane.goto('/admin');
    await jane.page.getByTestId('forbidden').waitFor();
    assert.equal(await jane.page.getByTestId('page-admin').count(), 0);
    assert.equal(await jane.page.locator('[data-testid="connection-status"][data-hub="/hubs/admin"]').count(), 0, 'no admin hub connection is tried');
    const status = await jane.page.evaluate(async () => (await fetch('/api/operator/overview', { headers: { Authorization: `Bearer ${sessionStorage.getItem('hubwire.token') ?? ''}` } })).status);
    assert.equal(status, 403);
    jane.assertNoConsoleErrors([/status of 403 \(Forbidden\) \(http:\/\/127\.0\.0\.1:\d+\/api\/operator\/overview\)$/]);
  });
});
