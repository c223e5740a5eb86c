/**
 * Campaign runs owned by one node of several (orchestrators on one Redis prefix in this
 * process, each with its own connection, as separate processes would have): a node that dies
 * without a word loses its runs to another once their claims expire, and the run goes on from
 * its last stored sequence; a node that stops gracefully hands its runs over at once; a paused
 * owner is fenced out; a cancel from any node ends the run everywhere. What every node sent,
 * taken together, numbers 1…n with no gap and no number used for two messages.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { openCluster, type ClusterContext } from '../../apps/server/src/cluster/cluster-context.js';
import { isFinal } from '../../apps/server/src/modules/campaigns/model.js';
import { CampaignOrchestrator } from '../../apps/server/src/modules/campaigns/orchestrator.js';
import { RedisCampaignStore } from '../../apps/server/src/modules/campaigns/redis-store.js';
import { until, within } from '../support/wait.js';
import { assertGapFree, dropPrefix, NodeRecorder, type Numbered } from './campaigns-support.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const CLAIM_TTL_MS = 600;
const UPKEEP_MS = 100;

interface TestNode {
  readonly name: string;
  readonly cluster: ClusterContext & { close(): Promise<void> };
  readonly store: RedisCampaignStore;
  readonly orchestrator: CampaignOrchestrator;
  readonly recorder: NodeRecorder;
}

const prefixes = new Set<string>();
let nodes: TestNode[] = [];

afterEach(async () => {
  for (const node of nodes) {
    node.orchestrator.abandon();
    await node.cluster.close();
  }
  nodes = [];
});
after(async () => {
  for (const prefix of prefixes) await dropPrefix(REDIS_URL, prefix);
});

/** `count` nodes of one new cluster; `start: false` leaves their claim upkeep off (start it per node). */
async function cluster(count: number, options: { autoRun?: boolean; stepMs?: number; maxActiveRuns?: number; start?: boolean } = {}): Promise<TestNode[]> {
  const prefix = `hubwire-test-${randomUUID()}`;
  prefixes.add(prefix);
  const started: TestNode[] = [];
  for (let i = 0; i < count; i++) {
    const name = String.fromCharCode(65 + i);
    const connection = openCluster({ url: REDIS_URL, prefix, logger: pino({ level: 'silent' }), nodeId: `node-${name}` });
    await within(new Promise<void>((resolve) => (connection.redis.isReady ? resolve() : connection.redis.once('ready', () => resolve()))), 5000, 'Redis ready');
    const store = new RedisCampaignStore({ cluster: connection, claimTtlMs: CLAIM_TTL_MS });
    const recorder = new NodeRecorder();
    const orchestrator = new CampaignOrchestrator({ publisher: recorder, store, stepMs: options.stepMs ?? 40, autoRun: options.autoRun ?? true, claimUpkeepMs: UPKEEP_MS, maxActiveRuns: options.maxActiveRuns });
    const node: TestNode = { name, cluster: connection, store, orchestrator, recorder };
    started.push(node);
    nodes.push(node);
    if (options.start !== false) orchestrator.start();
  }
  return started;
}

/** What every node's subscribers got, together. */
function everything(group: readonly TestNode[]): Numbered[] {
  return group.flatMap((node) => node.recorder.messages);
}

function owner(group: readonly TestNode[], id: string): TestNode | undefined {
  return group.find((node) => node.orchestrator.owns(id));
}

async function waitForEnd(node: TestNode, id: string, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const snapshot = await node.orchestrator.snapshot(id);
    if (snapshot !== undefined && isFinal(snapshot.currentState)) return snapshot.lastEventSequence;
    if (Date.now() > deadline) throw new Error(`campaign ${id} did not end within ${ms} ms (at ${snapshot?.lastEventSequence}, ${snapshot?.currentState})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('campaign runs across nodes', () => {
  test('a run whose node dies (stops renewing, says nothing) is taken over within the claim TTL and goes on from its last sequence', async () => {
    const [a, b, c] = await cluster(3);
    const created = await a!.orchestrator.create({ name: 'Dies midway', artifactCount: 6, createdBy: 'jane.smith' });
    const id = created.campaignId;
    await until(() => a!.recorder.messages.length >= 8, 5000, 'the run to progress on A');
    a!.orchestrator.abandon();
    const died = Date.now();
    const before = (await b!.orchestrator.snapshot(id))!.lastEventSequence;
    await until(() => owner([b!, c!], id) !== undefined, 5000, 'another node to take the run');
    const tookMs = Date.now() - died;
    assert.ok(tookMs <= CLAIM_TTL_MS + 2 * UPKEEP_MS + 400, `taken over after ${tookMs} ms`);
    const heir = owner([b!, c!], id)!;
    const last = await waitForEnd(heir, id, 10_000);
    assert.equal(last, 3 * 6 + 7);
    assert.equal(assertGapFree(everything([a!, b!, c!]), id), last);
    const sentByHeir = heir.recorder.messages.map((message) => message.sequence);
    assert.ok(sentByHeir.length > 0 && sentByHeir[0]! <= before + 1, `the heir sent from ${sentByHeir[0]} on; ${before} was stored when A died`);
    assert.equal(heir.recorder.messages.at(-1)?.sequence, last);
    assert.ok(!b!.orchestrator.owns(id) && !c!.orchestrator.owns(id), 'an ended run is nobody’s');
  });

  test('a node that committed a step and died before sending it: the next owner sends that step first, then the next one', async () => {
    const [a, b] = await cluster(2, { autoRun: false });
    const { campaignId: id } = await a!.orchestrator.create({ name: 'Unsent step', artifactCount: 3, createdBy: 'jane.smith' });
    assert.equal(await a!.orchestrator.step(id), true); // 2: planning
    // Step 3 plans 3 artifacts (sequences 3, 4, 5): A commits it, then "dies" before sending any.
    a!.recorder.beforeSend = (message) => {
      if (message.sequence < 3) return true;
      a!.orchestrator.abandon();
      return false;
    };
    assert.equal(await a!.orchestrator.step(id), true);
    assert.deepEqual(
      a!.recorder.messages.map((message) => message.sequence),
      [1, 2],
    );
    assert.equal((await b!.orchestrator.snapshot(id))!.lastEventSequence, 5, 'committed');
    await until(() => b!.orchestrator.owns(id), 5000, 'B to take the run over');
    await until(() => b!.recorder.messages.length === 3, 5000, 'B to send what A could not');
    assert.deepEqual(
      b!.recorder.messages.map((message) => message.sequence),
      [3, 4, 5],
    );
    assert.equal(await b!.orchestrator.step(id), true);
    assert.equal(b!.recorder.messages.at(-1)?.sequence, 6, 'the next step takes the next number');
    assert.equal(assertGapFree(everything([a!, b!]), id), 6);
  });

  test('a paused owner whose claim has gone is fenced out: its step is refused and sends nothing', async () => {
    // A's claim upkeep never runs: A is stalled (a long GC pause, a stopped VM) but still thinks it owns the run.
    const [a, b] = await cluster(2, { autoRun: false, start: false });
    const { campaignId: id } = await a!.orchestrator.create({ name: 'Paused owner', artifactCount: 2, createdBy: 'jane.smith' });
    assert.equal(await a!.orchestrator.step(id), true);
    b!.orchestrator.start();
    await until(() => b!.orchestrator.owns(id), 5000, 'B to take the run over once A’s claim expired');
    assert.equal(a!.orchestrator.owns(id), true, 'A has not noticed');
    assert.equal(await a!.orchestrator.step(id), false, 'A may not step a run it lost');
    assert.equal(a!.orchestrator.owns(id), false);
    assert.equal(await b!.orchestrator.step(id), true);
    assert.equal((await a!.orchestrator.snapshot(id))!.lastEventSequence, 2 + 2 /* planned artifacts */);
    assert.equal(assertGapFree(everything([a!, b!]), id), 4);
    assert.deepEqual(
      a!.recorder.messages.map((message) => message.sequence),
      [1, 2],
    );
  });

  test('a graceful stop hands the runs over at once (claims released, not left to expire)', async () => {
    const [a, b, c] = await cluster(3, { stepMs: 60 });
    const first = await a!.orchestrator.create({ name: 'Handed over 1', artifactCount: 4, createdBy: 'jane.smith' });
    const second = await a!.orchestrator.create({ name: 'Handed over 2', artifactCount: 4, createdBy: 'john.doe' });
    await until(() => a!.recorder.messages.length >= 6, 5000, 'the runs to progress on A');
    await a!.orchestrator.stop();
    const stopped = Date.now();
    assert.equal(a!.orchestrator.ownedRuns, 0);
    await until(() => [first, second].every(({ campaignId }) => owner([b!, c!], campaignId) !== undefined), 5000, 'the others to take both runs');
    const tookMs = Date.now() - stopped;
    assert.ok(tookMs < CLAIM_TTL_MS, `handed over after ${tookMs} ms: by the release, not the claim's expiry`);
    for (const { campaignId } of [first, second]) {
      const last = await waitForEnd(owner([b!, c!], campaignId) ?? b!, campaignId, 10_000);
      assert.equal(assertGapFree(everything([a!, b!, c!]), campaignId), last);
    }
    await assert.rejects(a!.orchestrator.create({ name: 'late', artifactCount: 1, createdBy: 'x' }), { name: 'CampaignRefused', status: 503 });
  });

  test('a cancel on a node that does not own the run ends it: the owner stops, nobody numbers anything after it', async () => {
    const [a, , c] = await cluster(3, { stepMs: 30 });
    const { campaignId: id } = await a!.orchestrator.create({ name: 'Cancelled elsewhere', artifactCount: 8, createdBy: 'jane.smith' });
    await until(() => a!.recorder.messages.length >= 5, 5000, 'the run to progress');
    const outcome = await c!.orchestrator.cancel(id, { requestedBy: 'admin', reason: 'from C' });
    assert.equal(outcome.kind, 'cancelled');
    const ack = (outcome as { acknowledgement: { cancellationSequence: number } }).acknowledgement;
    await until(() => !a!.orchestrator.owns(id), 5000, 'A to let the run go');
    await new Promise((resolve) => setTimeout(resolve, 4 * 30)); // a few step intervals: nothing more may come
    const snapshot = (await a!.orchestrator.snapshot(id))!;
    assert.equal(snapshot.currentState, 'cancelled');
    assert.equal(snapshot.lastEventSequence, ack.cancellationSequence);
    assert.equal(assertGapFree(everything(nodes), id), ack.cancellationSequence);
    assert.equal(c!.recorder.acknowledgements.length, 1);
    assert.deepEqual(await a!.orchestrator.cancel(id, { requestedBy: 'admin', reason: null }), { kind: 'ended', state: 'cancelled' });
  });

  test('maxActiveRuns counts the runs of every node', async () => {
    const [a, b, c] = (await cluster(3, { autoRun: false, maxActiveRuns: 2 })).map((node) => node.orchestrator);
    await a!.create({ name: 'one', artifactCount: 1, createdBy: 'x' });
    await b!.create({ name: 'two', artifactCount: 1, createdBy: 'x' });
    await assert.rejects(c!.create({ name: 'three', artifactCount: 1, createdBy: 'x' }), { name: 'CampaignRefused', status: 429 });
    assert.equal(await c!.activeRuns(), 2);
  });
});
