/**
 * The organizations view in Chromium against the real server: a member follows their
 * organization at once and sees its notifications (sent by the admin REST endpoint) live; a
 * non-member's join is refused with the hub's message and the current organization stays; a
 * switch to another organization the user belongs to, and back, shows each one's own
 * notifications only; a user of no organization is told so. The server's membership check gives
 * jane.smith one more organization (`initech`) than her token names, so a switch between two
 * real memberships can be tried with the demo users. No console errors.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { AppModule } from '../../apps/server/src/app-context.js';
import { DEMO_USERS } from '../../apps/server/src/auth/demo-users.js';
import { modules } from '../../apps/server/src/modules/index.js';
import { createSynaxisModule, synaxisModule } from '../../apps/server/src/modules/synaxis/index.js';
import { demoToken, webSuite, type DemoUserName, type WebPage } from './support.js';

const SYNAXIS_STATUS = '[data-testid="connection-status"][data-hub="/hubs/synaxis"]';
const EXTRA_MEMBERSHIPS: Readonly<Record<string, readonly string[]>> = { 'jane.smith': ['initech'] };

const synaxis = createSynaxisModule({
  isMember: (user, organizationId) => {
    const id = user.userIdentifier ?? '';
    const demo = DEMO_USERS.find((candidate) => candidate.username === id);
    return (demo?.organizations ?? []).includes(organizationId) || (EXTRA_MEMBERSHIPS[id] ?? []).includes(organizationId);
  },
});
const testModules: readonly AppModule[] = modules.map((module) => (module === synaxisModule ? synaxis : module));

async function shownMessages(page: Page): Promise<string[]> {
  return page.locator('[data-testid="org-notification"] strong').allTextContents();
}

describe('organization notifications in Chromium', () => {
  const suite = webSuite({ modules: testModules });
  const baseUrl = suite.baseUrl;
  let adminToken = '';

  before(async () => {
    adminToken = await demoToken(baseUrl(), 'admin');
  });

  /** A security alert to `organizationId` by the admin REST endpoint; answers how many connections had joined it. */
  async function alert(organizationId: string, message: string): Promise<number> {
    const answer = await fetch(`${baseUrl()}/api/synaxis/organizations/${organizationId}/notifications`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ type: 'SecurityAlert', payload: { severity: 'high', category: 'authentication', message } }),
    });
    assert.equal(answer.status, 202, await answer.clone().text());
    return ((await answer.json()) as { members: number }).members;
  }

  async function open(user: DemoUserName): Promise<WebPage> {
    const web = await suite.open();
    await web.goto('/organizations');
    await web.page.waitForURL(/\/login\?next=/);
    await web.login(user);
    await web.page.getByTestId('page-organizations').waitFor();
    await web.page.locator(`${SYNAXIS_STATUS}[data-state="connected"]`).waitFor();
    return web;
  }

  const following = (web: WebPage, organizationId: string) => web.page.locator(`[data-testid="org-active"][data-org="${organizationId}"]`).waitFor();

  test('a member follows their organization at once, is refused another, and switches between their own', async () => {
    const jane = await open('jane.smith');
    await following(jane, 'acme');
    assert.equal(await jane.page.getByTestId('org-switch-acme').getAttribute('aria-pressed'), 'true');
    assert.equal(await alert('acme', 'first acme alert'), 1);
    await jane.page.locator('[data-testid="org-notification"][data-org="acme"]', { hasText: 'first acme alert' }).waitFor();

    // Not a member of globex: the hub's refusal, and acme stays followed (and delivered).
    await jane.page.getByTestId('org-other-input').fill('globex');
    await jane.page.getByTestId('org-other-join').click();
    assert.equal(await jane.page.getByTestId('org-refusal').textContent(), "You are not a member of organization 'globex'. You are still following acme.");
    await following(jane, 'acme');
    assert.equal(await alert('acme', 'second acme alert'), 1);
    await jane.page.locator('[data-testid="org-notification"]', { hasText: 'second acme alert' }).waitFor();

    // A member of initech too (the server says so): switching joins it, then leaves acme.
    await jane.page.getByTestId('org-other-input').fill('initech');
    await jane.page.getByTestId('org-other-join').click();
    await following(jane, 'initech');
    assert.equal(await jane.page.getByTestId('org-refusal').count(), 0);
    assert.equal(await alert('acme', 'acme while away'), 0, 'acme was left');
    assert.equal(await alert('initech', 'initech alert'), 1);
    await jane.page.locator('[data-testid="org-notification"][data-org="initech"]', { hasText: 'initech alert' }).waitFor();
    assert.deepEqual(await shownMessages(jane.page), ['authentication: initech alert']);

    // And back with its button: acme's own notifications, none of initech's.
    await jane.page.getByTestId('org-switch-acme').click();
    await following(jane, 'acme');
    assert.equal(await alert('acme', 'third acme alert'), 1);
    await jane.page.locator('[data-testid="org-notification"]', { hasText: 'third acme alert' }).waitFor();
    assert.deepEqual(await shownMessages(jane.page), ['authentication: third acme alert', 'authentication: second acme alert', 'authentication: first acme alert']);
    assert.equal(await jane.page.getByTestId('org-switch-initech').getAttribute('aria-pressed'), 'false');
    jane.assertNoConsoleErrors();
  });

  test('another member sees only their organization and is refused the first one', async () => {
    const john = await open('john.doe');
    await following(john, 'globex');
    await alert('globex', 'globex alert');
    await john.page.locator('[data-testid="org-notification"][data-org="globex"]', { hasText: 'globex alert' }).waitFor();
    await john.page.getByTestId('org-other-input').fill('acme');
    await john.page.getByTestId('org-other-join').click();
    assert.equal(await john.page.getByTestId('org-refusal').textContent(), "You are not a member of organization 'acme'. You are still following globex.");
    john.assertNoConsoleErrors();
  });

  test('a user of no organization is told so, and refused one', async () => {
    const admin = await open('admin');
    await admin.page.getByTestId('org-none').waitFor();
    await admin.page.getByTestId('org-other-input').fill('acme');
    await admin.page.getByTestId('org-other-join').click();
    assert.equal(await admin.page.getByTestId('org-refusal').textContent(), "You are not a member of organization 'acme'.");
    assert.equal(await admin.page.locator('[data-testid="org-active"]').getAttribute('data-org'), '');
    admin.assertNoConsoleErrors();
  });
});
