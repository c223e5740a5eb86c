import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CampaignDetails, OrchestrationEvent } from '../../apps/server/src/modules/campaigns/model.js';
import type { SynaxisNotification } from '../../apps/server/src/modules/synaxis/model.js';
import { stopAll } from '../support/e2e.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { until, within } from '../support/wait.js';
import { startHarness, testConfig, type Harness } from './harness.js';

describe('the whole server: campaigns, synaxis and the web app with demo logins', () => {
  let harness: Harness;
  const open: signalR.HubConnection[] = [];

  before(async () => {
    harness = await startHarness(undefined, { config: testConfig({ CAMPAIGN_STEP_MS: '20' }) });
  });
  after(async () => {
    await stopAll(open);
    await harness.close();
  });

  async function login(username: string): Promise<string> {
    const response = await harness.request('POST', '/api/auth/token', { body: { username, password: 'demo' } });
    assert.equal(response.status, 200);
    return response.body.accessToken as string;
  }

  async function start(path: string, token?: string): Promise<signalR.HubConnection> {
    const connection = clientFor(harness.url(path), token === undefined ? {} : { accessTokenFactory: () => token }).build();
    await within(connection.start(), 5000, `${path} start`);
    open.push(connection);
    return connection;
  }

  test('the hubs are mapped', () => {
    for (const path of ['/hubs/campaigns', '/hubs/synaxis']) assert.ok(harness.app.hubPaths.includes(path), path);
  });

  test('a demo login of jane.smith joins acme but not globex; the admin login triggers a notification', async () => {
    const jane = await start('/hubs/synaxis', await login('jane.smith'));
    const received: SynaxisNotification[] = [];
    jane.on('AuditEvent', (notification: SynaxisNotification) => received.push(notification));
    await jane.invoke('JoinOrganization', 'acme');
    await assert.rejects(jane.invoke('JoinOrganization', 'globex'), /not a member of organization 'globex'/);
    const admin = await login('admin');
    const response = await harness.request('POST', '/api/synaxis/organizations/acme/notifications', {
      body: { type: 'AuditEvent', payload: { actor: 'admin', action: 'member.invited', resource: 'members', outcome: 'success' } },
      token: admin,
    });
    assert.equal(response.status, 202);
    await until(() => received.length === 1, 5000, 'AuditEvent');
  });

  test('a campaign created with a demo login runs to completion in tens of steps', async () => {
    const token = await login('jane.smith');
    const client = await start('/hubs/campaigns');
    const events: OrchestrationEvent[] = [];
    client.on('ReceiveOrchestrationEvent', (event: OrchestrationEvent) => events.push(event));
    const created = (await harness.request('POST', '/api/campaigns', { body: { name: 'Demo' }, token })).body as CampaignDetails;
    await client.invoke('SubscribeToCampaign', created.campaignId);
    await until(() => events.some((event) => event.eventType === 'CampaignCompleted'), 10_000, 'CampaignCompleted');
    const details = (await harness.request('GET', `/api/campaigns/${created.campaignId}`)).body as CampaignDetails;
    assert.equal(details.completedArtifacts.length, 5);
    assert.equal(details.lastEventSequence, 3 * 5 + 7);
  });

  test('GET / answers the web app (or how to build it) under a CSP; the docs are rendered pages', async () => {
    // What the web app serves is tested with a built fixture in test/web/web-app-serving.test.ts.
    for (const path of ['/', '/events', '/campaigns/c-1']) {
      const page = await fetch(harness.url(path));
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/, path);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/, path);
      assert.match(await page.text(), /<!doctype html>/i, path);
    }

    const docs = await fetch(harness.url('/docs/hubs.md'));
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await docs.text(), /<code>\/hubs\/campaigns<\/code>/);
    const raw = await fetch(harness.url('/docs/hubs.md?raw'));
    assert.match(raw.headers.get('content-type') ?? '', /^text\/markdown/);
    assert.match(await raw.text(), /`\/hubs\/campaigns`/);
    assert.equal((await fetch(harness.url('/docs/client-example.ts'))).status, 200);
    for (const path of ['/docs/nope.md', '/docs/..%2Fpackage.json', '/docs/..%5Cpackage.json', '/docs/README']) {
      assert.equal((await fetch(harness.url(path))).status, 404, path);
    }
    assert.equal((await fetch(harness.url('/docs/hubs.md'), { method: 'HEAD' })).status, 200);
  });
});
