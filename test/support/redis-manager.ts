/**
 * Shared setup of the RedisLifetimeManager unit tests (packages/hubwire/src/lifetime/redis):
 * a cleanup list run after each test, a manager of hub 'TestHub' with counted metrics and its
 * warnings recorded, a raw Redis client, an async poll with a deadline, the start of an outage
 * test (the same in every layout), and the conformance
 * suite's system of Redis nodes (single server, cluster, either layout). It lives here, not
 * beside the tests, because files under the package's src/ ship with the library.
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach } from 'node:test';
import { createClient } from '@redis/client';
import { createCounterMetrics, type CounterMetrics } from '../../packages/hubwire/src/core/metrics.js';
import { MessageType } from '../../packages/hubwire/src/protocol/messages.js';
import { countingJson, FakeConnection } from '../../packages/hubwire/src/lifetime/conformance/fake-connection.js';
import type { LifetimeManagerHarness } from '../../packages/hubwire/src/lifetime/conformance/lifetime-manager-suite.js';
import { recoveryTestNode, type RecoveryHarness } from '../../packages/hubwire/src/lifetime/conformance/recovery-suite.js';
import { jsonHubProtocol } from '../../packages/hubwire/src/protocol/json/json-hub-protocol.js';
import { messagePackHubProtocol } from '../../packages/hubwire/src/protocol/msgpack/msgpack-hub-protocol.js';
import type { RecoveryOptions } from '../../packages/hubwire/src/lifetime/recovery/recovery-types.js';
import { RedisLifetimeManager, type RedisLifetimeManagerOptions } from '../../packages/hubwire/src/lifetime/redis/redis-lifetime-manager.js';
import { OwnRedisServer } from './redis-server.js';

/** An invocation of `target` without arguments. */
export const hello = (target: string) => ({ type: MessageType.Invocation, target, arguments: [] }) as const;

/** Registers `cleanup` to run after the current test, newest first. */
export type Defer = (cleanup: () => Promise<unknown>) => void;

/**
 * Runs the deferred cleanups after each test of the calling file.
 * @example
 * const defer = cleanupsAfterEach();
 * defer(() => server.stop());
 */
export function cleanupsAfterEach(): Defer {
  let cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups = [];
  });
  return (cleanup) => void cleanups.push(cleanup);
}

/** A manager under test, the metrics it counts and the warnings it logged. */
export interface ManagerNode {
  manager: RedisLifetimeManager;
  metrics: CounterMetrics;
  warnings: string[];
}

/**
 * A RedisLifetimeManager of hub 'TestHub' (one counting JSON protocol) on `options` (with the
 * hub's `recovery`, if given), closed by
 * `defer`; not awaited ready, so tests of a start against a dead Redis can use it too.
 */
export function managerNode(defer: Defer, options: RedisLifetimeManagerOptions & { readonly recovery?: RecoveryOptions }): ManagerNode {
  const metrics = createCounterMetrics();
  const warnings: string[] = [];
  const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (_fields: object, text: string) => void warnings.push(text) };
  const manager = new RedisLifetimeManager({ ...options, hubName: 'TestHub', protocols: [countingJson()], metrics, logger });
  defer(() => manager.close());
  return { manager, metrics, warnings };
}

/** A connected raw Redis client on `url`, destroyed by `defer`. */
export async function redisClient(defer: Defer, url: string) {
  const client = createClient({ url });
  await client.connect();
  defer(async () => client.destroy());
  return client;
}

/** How many clients of the server `client` is on subscribe to `channel` (PUBSUB NUMSUB). */
export async function numsub(client: Awaited<ReturnType<typeof redisClient>>, channel: string): Promise<number> {
  const reply = (await client.sendCommand(['PUBSUB', 'NUMSUB', channel])) as unknown[];
  return Number(reply[1]);
}

/** Polls an async `condition` every 20 ms until it holds, failing after `ms`. */
export async function untilAsync(condition: () => Promise<boolean> | boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The first half of an outage test, the same in every layout: nodes `n1` and `n2` from `node` on
 * a private redis-server, connection `a` on one and `b` on two, both in group `g`; then Redis
 * stops, and local recipients are still served while each failed publish is counted and logged.
 */
export async function twoNodesIntoOutage(defer: Defer, node: (options: RedisLifetimeManagerOptions) => Promise<ManagerNode>) {
  const own = await OwnRedisServer.start();
  defer(() => own.stop());
  const [n1, n2] = [await node({ url: own.url, maxReconnectDelay: 100 }), await node({ url: own.url, maxReconnectDelay: 100 })];
  const [a, b] = [new FakeConnection('a'), new FakeConnection('b')];
  await n1.manager.onConnected(a);
  await n2.manager.onConnected(b);
  await n1.manager.addToGroup('a', 'g');
  await n2.manager.addToGroup('b', 'g');
  await n1.manager.send({ kind: 'groups', names: ['g'] }, hello('before'));
  await b.received('before');

  await own.stop();
  await n1.manager.send({ kind: 'groups', names: ['g'] }, hello('during'));
  await n1.manager.send({ kind: 'all' }, hello('during'));
  assert.equal(a.count('during'), 2, 'local recipients are served during the outage');
  assert.equal(n1.metrics.totals().backplanePublishFailures, 2);
  assert.ok(n1.warnings.length >= 1, 'the outage is logged');
  return { own, n1, n2, a, b };
}

/** Names of one conformance system: its key prefix and, for the ASP.NET layout, its hub type. */
export interface SystemNames {
  prefix: string;
  hubType: string;
}

/**
 * A conformance system of RedisLifetimeManagers (hub 'TestHub') sharing the names of `names`;
 * `options` says where Redis is and which layout, and is read when each node starts (so a
 * cluster started in `before` is up by then).
 * @example
 * lifetimeManagerSuite({ name: 'RedisLifetimeManager', sharedBackplane: true, system: () => redisSystem(() => ({ url })) });
 */
export function redisSystem(options: (names: SystemNames) => RedisLifetimeManagerOptions): ReturnType<LifetimeManagerHarness['system']> {
  // Names of its own per system: parallel test files and cases never see each other.
  const names = { prefix: `hubwire-test-${randomUUID()}`, hubType: `Tests.${randomUUID()}.TestHub` };
  const managers: RedisLifetimeManager[] = [];
  return {
    async node({ metrics, protocol }) {
      const manager = new RedisLifetimeManager({ ...options(names), prefix: names.prefix, hubName: 'TestHub', protocols: [protocol], metrics });
      managers.push(manager);
      await manager.ready();
      return manager;
    },
    close: async () => {
      await Promise.all(managers.map((manager) => manager.close()));
    },
  };
}

/**
 * A recovery-suite harness of RedisLifetimeManagers (hub 'TestHub', JSON and MessagePack), up to
 * `maxNodes` per system, each system under a prefix of its own. `options` says where Redis is
 * and is read when a system starts; with `cleanupUrl` (a shared Redis) the system's history keys
 * are deleted when its first node closes (their meta would otherwise live a day).
 * @example
 * recoverySuite(redisRecoveryHarness('RedisLifetimeManager', 2, () => ({ url }), url));
 */
export function redisRecoveryHarness(name: string, maxNodes: number, options: () => RedisLifetimeManagerOptions, cleanupUrl?: string): RecoveryHarness {
  return {
    name,
    maxNodes,
    async createNodes(count, recovery) {
      const prefix = `hubwire-test-${randomUUID()}`;
      const nodes = Array.from({ length: count }, (_, i) => {
        const metrics = createCounterMetrics();
        const manager = new RedisLifetimeManager({ ...options(), prefix, hubName: 'TestHub', protocols: [jsonHubProtocol, messagePackHubProtocol], metrics, recovery });
        return recoveryTestNode(manager, metrics, i === 0 && cleanupUrl !== undefined ? () => deleteKeys(cleanupUrl, `${prefix}:*`) : undefined);
      });
      await Promise.all(nodes.map((node) => (node.manager as RedisLifetimeManager).ready()));
      return nodes;
    },
  };
}

/** Deletes the keys matching `pattern` on the Redis at `url`. */
async function deleteKeys(url: string, pattern: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 500 })) if (keys.length > 0) await client.del(keys);
  } finally {
    client.destroy();
  }
}
