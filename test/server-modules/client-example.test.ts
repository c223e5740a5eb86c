/**
 * Runs the pieces of docs/client-example.ts against the server: a campaign followed across a
 * dropped connection stays consistent, and organization memberships come back after a server
 * restart on the same port. (Importing the example also makes `tsc -p tsconfig.json` check it.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CampaignFollower, DemoLogin, hubConnection, OrganizationMember, output, startWithRetry, summarize, type CampaignView, type SynaxisNotification } from '../../docs/client-example.js';
import type { CampaignDetails } from '../../apps/server/src/modules/campaigns/model.js';
import { signalR } from '../support/signalr-client.js';
import { stopAll, UpgradedSockets } from '../support/e2e.js';
import { until, within } from '../support/wait.js';
import { startHarness, testConfig, type Harness } from './harness.js';

output.log = () => undefined;

describe('docs/client-example.ts', () => {
  let harness: Harness;
  const open: signalR.HubConnection[] = [];

  before(async () => {
    harness = await startHarness(undefined, { config: testConfig({ CAMPAIGN_STEP_MS: '40' }) });
  });
  after(async () => {
    await stopAll(open);
    await harness?.close();
  });

  test('a campaign followed across a dropped connection ends in the server state', async () => {
    const sockets = new UpgradedSockets(harness.app.http);
    const jane = new DemoLogin(harness.app.url, 'jane.smith');
    const created = (await harness.request('POST', '/api/campaigns', { body: { name: 'Followed', artifactCount: 8 }, token: await jane.token() })).body as CampaignDetails;
    const connection = hubConnection(harness.app.url, '/hubs/campaigns', undefined, signalR.LogLevel.None);
    open.push(connection);
    await within(startWithRetry(connection), 5000, 'start');
    const causes: string[] = [];
    let view: CampaignView | undefined;
    const follower = new CampaignFollower(connection, created.campaignId, (current, cause) => {
      view = current;
      causes.push(cause);
    });
    await follower.resync();
    await until(() => (view?.lastEventSequence ?? 0) >= 5, 5000, 'a few events');
    assert.ok(sockets.destroyAll() >= 1, 'the WebSocket was cut');
    await until(() => causes.includes('snapshot (reconnected)'), 10_000, 'the re-subscription after the reconnect');
    await until(() => view?.state === 'completed', 10_000, 'the run to complete');
    const server = (await harness.request('GET', `/api/campaigns/${created.campaignId}`)).body as CampaignDetails;
    assert.equal(view!.lastEventSequence, server.lastEventSequence);
    assert.equal(view!.auditStatus, server.auditStatus);
    assert.deepEqual(summarize(view!), { completed: server.completedArtifacts.length, pending: server.pendingArtifacts.length });
    assert.deepEqual([...view!.artifacts.values()].filter((artifact) => artifact.status === 'completed'), server.completedArtifacts);
    await connection.stop();
  });

  test('organization memberships are joined again after a server restart on the same port', async () => {
    const baseUrl = harness.app.url;
    const jane = new DemoLogin(baseUrl, 'jane.smith');
    const connection = hubConnection(baseUrl, '/hubs/synaxis', jane, signalR.LogLevel.None);
    open.push(connection);
    const received: SynaxisNotification[] = [];
    const member = new OrganizationMember(connection, (notification) => received.push(notification));
    await within(startWithRetry(connection), 5000, 'start');
    await member.join('acme');
    await assert.rejects(member.join('globex'), /not a member of organization 'globex'/);

    let reconnected = false;
    connection.onreconnected(() => (reconnected = true));
    const port = harness.port;
    await harness.close();
    harness = await startHarness(undefined, { config: testConfig({ PORT: String(port), CAMPAIGN_STEP_MS: '40' }) });
    await until(() => reconnected, 15_000, 'the reconnect');
    const admin = await new DemoLogin(baseUrl, 'admin').token();
    // The re-join runs in onreconnected: post until the answer counts a member (bounded), then it arrives.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const response = await harness.request('POST', '/api/synaxis/organizations/acme/notifications', {
        body: { type: 'SecurityAlert', payload: { severity: 'low', category: 'test', message: 'after restart' } },
        token: admin,
      });
      assert.equal(response.status, 202);
      if (response.body.members === 1) break;
      assert.ok(Date.now() < deadline, 'timed out waiting for the re-join');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await until(() => received.length > 0, 5000, 'the notification after the restart');
    assert.equal(received[0]!.organizationId, 'acme');
    assert.equal(received[0]!.type, 'SecurityAlert');
  });
});
