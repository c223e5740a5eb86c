/**
 * @hubwire/client following a campaign on the server app's /hubs/campaigns (one node, memory
 * history): a typed `SubscribeToCampaign` subscription whose position is the campaign's sequence
 * number (read from the answers by the default positionOf) — after a reconnect every numbered message once, in order, while steps race the
 * re-join; beyond a small window the snapshot first and `onMissed`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HubClient } from '@hubwire/client';
import type { CampaignDetails } from '../../apps/server/src/modules/campaigns/model.js';
import { createCampaignsModule, type CampaignsModule } from '../../apps/server/src/modules/campaigns/index.js';
import { Deferred } from '../support/deferred.js';
import { UpgradedSockets } from '../support/e2e.js';
import { until, within } from '../support/wait.js';
import { followCampaign } from './campaign-follower.js';
import { demoTokens, startHarness, type Harness } from '../server-modules/harness.js';

function campaignsApp(history?: { maxCount: number }) {
  const state: { harness?: Harness; module?: CampaignsModule; jane?: string; sockets?: UpgradedSockets } = {};
  const hubs: HubClient<any, any>[] = [];
  before(async () => {
    state.module = createCampaignsModule({ autoRun: false, ...(history === undefined ? {} : { history }) });
    state.harness = await startHarness([state.module]);
    state.sockets = new UpgradedSockets(state.harness.app.http);
    state.jane = (await demoTokens(state.harness.config)).jane;
  });
  after(async () => {
    await Promise.all(hubs.map((hub) => within(hub.stop(), 5000, 'hub stop').catch(() => undefined)));
    await state.harness?.close();
  });
  return {
    async create(): Promise<string> {
      const response = await state.harness!.request('POST', '/api/campaigns', { body: { name: 'Client', artifactCount: 3 }, token: state.jane });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return (response.body as CampaignDetails).campaignId;
    },
    async step(campaignId: string, times: number): Promise<void> {
      for (let i = 0; i < times; i++) await state.module!.orchestrator!.step(campaignId);
    },
    /** Runs the campaign to its end; resolves with its last sequence number. */
    async finish(campaignId: string): Promise<number> {
      while (await state.module!.orchestrator!.step(campaignId));
      return (await state.module!.orchestrator!.snapshot(campaignId))!.lastEventSequence;
    },
    /** A follower of `campaignId` whose reconnects wait for `reopen()` after `cut()`. */
    async follow(campaignId: string) {
      let gate = Promise.resolve('');
      let open = (): void => undefined;
      const follower = followCampaign(state.harness!.url('/hubs/campaigns'), campaignId, { accessTokenFactory: () => gate, retryEvery: 20 });
      const { hub, log, sequences, joins, missed, subscription } = follower;
      hubs.push(hub);
      await within(subscription.joined, 5000, 'subscribe');
      return {
        hub,
        log,
        sequences,
        joins,
        missed,
        subscription,
        async cut(): Promise<void> {
          const next = new Deferred<string>();
          gate = next.promise;
          open = () => next.resolve('');
          state.sockets!.destroyAll();
          await until(() => hub.state === 'reconnecting', 5000, 'reconnecting');
        },
        reopen: () => open(),
      };
    },
  };
}

describe('@hubwire/client on /hubs/campaigns', () => {
  const app = campaignsApp();

  it('after a reconnect every numbered message once, in order, while steps race the re-join', async () => {
    const id = await app.create();
    const follower = await app.follow(id);
    assert.deepEqual(follower.subscription.position, { offset: 1 }, 'the snapshot stands at CampaignCreated');
    await app.step(id, 3);
    await until(() => follower.sequences.length >= 3, 5000, 'three steps');
    await follower.cut();
    await app.step(id, 4);
    const racing = app.step(id, 4);
    follower.reopen();
    await racing;
    await until(() => follower.joins.length === 2, 5000, 'the re-join');
    const final = await app.finish(id);
    await until(() => follower.sequences.at(-1) === final, 5000, `the last message, ${final}`);
    assert.deepEqual(
      follower.sequences,
      Array.from({ length: final - 1 }, (_, i) => i + 2),
      'every number after CampaignCreated once, in order',
    );
    assert.equal(follower.joins[1]!.reason, 'reconnect');
    assert.equal(follower.joins[1]!.recovered, true);
    assert.ok(follower.joins[1]!.replayed >= 4, `replayed ${follower.joins[1]!.replayed}`);
    assert.deepEqual(follower.missed, []);
    assert.equal(follower.subscription.stats.duplicates, 0);
  });
});

describe('@hubwire/client on /hubs/campaigns beyond a small window (3 entries)', () => {
  const app = campaignsApp({ maxCount: 3 });

  it('the snapshot first, onMissed, then live from the snapshot on', async () => {
    const id = await app.create();
    const follower = await app.follow(id);
    await app.step(id, 1);
    await until(() => follower.sequences.length === 1, 5000, 'a step');
    await follower.cut();
    await app.step(id, 6);
    follower.reopen();
    await until(() => follower.missed.length === 1, 5000, 'onMissed');
    const at = follower.subscription.position!.offset;
    await app.step(id, 2);
    await until(() => follower.sequences.length === 3, 5000, 'two live steps');
    assert.deepEqual(follower.log.slice(1, 3), [`snapshot ${at}`, 'onMissed'], 'the snapshot, then onMissed, before any live message');
    assert.deepEqual(
      follower.log.slice(3).map((entry) => Number(entry.split(' ')[1])),
      [at + 1, at + 2],
    );
    assert.deepEqual(follower.sequences, [2, at + 1, at + 2]);
    assert.equal(follower.missed[0]!.since?.offset, 2);
  });
});
