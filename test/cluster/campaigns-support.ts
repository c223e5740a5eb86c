/**
 * Helpers of the campaigns-on-Redis tests: what subscribers of every node received, taken
 * together, and the removal of a test's keys from the shared Redis.
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach } from 'node:test';
import { createClient } from '@redis/client';
import { createCampaignsModule, type CampaignsModule, type CampaignsModuleOptions } from '../../apps/server/src/modules/campaigns/index.js';
import type { ArtifactUpdate, CancellationAcknowledgement, OrchestrationEvent } from '../../apps/server/src/modules/campaigns/model.js';
import type { CampaignPublisher } from '../../apps/server/src/modules/campaigns/publishing.js';
import type { CampaignMessage } from '../../apps/server/src/modules/campaigns/run.js';
import { startTestApp, type TestApp } from '../server/support.js';
import { within } from '../support/wait.js';

export type Numbered = OrchestrationEvent | ArtifactUpdate;

/** A publisher that records what one node sent; `beforeSend` may stop it (a node that dies). */
export class NodeRecorder implements CampaignPublisher {
  readonly messages: Numbered[] = [];
  readonly acknowledgements: CancellationAcknowledgement[] = [];
  /** Return false to drop the message unsent. */
  beforeSend: (message: Numbered) => boolean = () => true;

  send(message: CampaignMessage): void {
    const numbered = message.kind === 'artifact' ? message.update : message.event;
    if (!this.beforeSend(numbered)) return;
    this.messages.push(numbered);
    if (message.kind === 'event' && message.acknowledgement !== undefined) this.acknowledgements.push(message.acknowledgement);
  }
}

/**
 * Asserts that `messages` (from any number of nodes, in any order) number 1…n without a gap and
 * that two messages with the same number are the same message (a resend, never a second event).
 * Returns n.
 */
export function assertGapFree(messages: readonly Numbered[], campaignId: string): number {
  const bySequence = new Map<number, Numbered>();
  for (const message of messages.filter((m) => m.campaignId === campaignId)) {
    const earlier = bySequence.get(message.sequence);
    if (earlier !== undefined) assert.deepEqual(message, earlier, `two different messages numbered ${message.sequence}`);
    bySequence.set(message.sequence, message);
  }
  const numbers = [...bySequence.keys()].sort((a, b) => a - b);
  assert.deepEqual(
    numbers,
    Array.from({ length: numbers.length }, (_, index) => index + 1),
  );
  return numbers.length;
}

/** Deletes every key under `prefix` (a test's own) from the Redis at `url`. */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
  client.on('error', () => undefined);
  try {
    await within(client.connect(), 3000, 'Redis connection for cleanup');
    let cursor = '0';
    do {
      const [next, keys] = (await client.sendCommand(['SCAN', cursor, 'MATCH', `${prefix}:*`, 'COUNT', '500'])) as [string, string[]];
      cursor = next;
      if (keys.length > 0) await client.sendCommand(['DEL', ...keys]);
    } while (cursor !== '0');
  } catch {
    // Best effort: what is left lives under a random prefix, and campaign records expire.
  } finally {
    client.destroy();
  }
}

/** One in-process server app of a campaigns cluster test, and its campaigns module. */
export interface CampaignNode {
  readonly app: TestApp;
  readonly campaigns: CampaignsModule;
}

/**
 * Starts in-process app nodes on a fresh Redis prefix per call: `start(count, module, env)`.
 * The calling file's nodes are stopped after each test and their keys dropped after the file.
 */
export function campaignNodes(redisUrl: string): (count: number, module?: CampaignsModuleOptions, env?: Record<string, string>) => Promise<{ nodes: CampaignNode[]; prefix: string }> {
  const prefixes = new Set<string>();
  let running: CampaignNode[] = [];
  afterEach(async () => {
    for (const node of running) await node.app.stop();
    running = [];
  });
  after(async () => {
    for (const prefix of prefixes) await dropPrefix(redisUrl, prefix);
  });
  return async (count, module = {}, env = {}) => {
    const prefix = `hubwire-test-${randomUUID()}`;
    prefixes.add(prefix);
    const nodes: CampaignNode[] = [];
    for (let i = 0; i < count; i++) {
      const campaigns = createCampaignsModule(module);
      const app = await startTestApp({ REDIS_URL: redisUrl, REDIS_PREFIX: prefix, ...env }, { modules: [campaigns] });
      const node = { app, campaigns };
      nodes.push(node);
      running.push(node);
    }
    return { nodes, prefix };
  };
}
