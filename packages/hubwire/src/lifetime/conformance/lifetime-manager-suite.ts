/**
 * The conformance suite of {@link HubLifetimeManager}, in the spirit of ASP.NET's
 * ScaleoutHubLifetimeManagerTests: one set of cases every implementation must pass.
 *
 * - "on one node": cases every implementation passes with a single manager.
 * - "across nodes": cases that need a shared backplane (several managers of one system in one
 *   process). They are registered only for a harness with `sharedBackplane: true`; the memory
 *   manager serves one process and has none.
 * - "presence" (presence-suite.ts): the same two parts for `manager.presence`.
 *
 * Negative checks ("did not arrive") are made safe by a barrier: a marker sent to everyone after
 * the message under test, from the same node. A backplane delivers one node's messages to another
 * in order, so once every connection has the marker, anything that was going to arrive has.
 * With sharded pub/sub that order holds per channel only (the marker's `all` channel may sit on
 * another shard than a group's or a user's), so a barrier first waits for the copies that must
 * arrive, and the marker then only bounds the ones that must not.
 * @module
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { CounterMetrics } from '../../core/metrics.js';
import { createRecordingMetrics, type RecordingMetrics } from '../../core/recording-metrics.js';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import { MessageType, type InvocationMessage } from '../../protocol/messages.js';
import type { HubLifetimeManager } from '../hub-lifetime-manager.js';
import { countingJson, FakeConnection } from './fake-connection.js';
import { presenceSuite } from './presence-suite.js';

/** One node of the system under test. */
export interface TestNode {
  readonly manager: HubLifetimeManager;
  /** Counters, histograms and gauges the node reported. */
  readonly metrics: RecordingMetrics;
  /** The protocol instance this node serializes with (counting its writes). */
  readonly protocol: HubProtocol & { writes: number };
}

/** How the suite makes nodes of one implementation. */
export interface LifetimeManagerHarness {
  readonly name: string;
  /** Whether several nodes made by one `system()` share state (a backplane). */
  readonly sharedBackplane: boolean;
  /**
   * Whether a connection in several groups of one send gets it once per group rather than once
   * (ASP.NET's Redis layout: one publication per group, nothing to tell them apart). Default false.
   */
  readonly oncePerGroup?: boolean;
  /** Starts a new system; each `node()` call adds a node to it, ready to use. */
  system(): { node(options: { metrics: CounterMetrics; protocol: HubProtocol & { writes: number } }): Promise<HubLifetimeManager>; close(): Promise<void> };
}

const message = (target: string, ...args: unknown[]): InvocationMessage => ({ type: MessageType.Invocation, target, arguments: args });

/** Registers the suite for `harness`. */
export function lifetimeManagerSuite(harness: LifetimeManagerHarness): void {
  /** What a member of two groups of one send gets beyond the one copy. */
  const extra = harness.oncePerGroup === true ? 1 : 0;
  let systems: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(systems.map((system) => system.close()));
    systems = [];
  });

  async function nodes(count: number): Promise<TestNode[]> {
    const system = harness.system();
    systems.push(system);
    const made: TestNode[] = [];
    for (let i = 0; i < count; i++) {
      const metrics = createRecordingMetrics();
      const protocol = countingJson();
      made.push({ manager: await system.node({ metrics, protocol }), metrics, protocol });
    }
    return made;
  }

  async function connect(node: TestNode, id: string, user?: string): Promise<FakeConnection> {
    const connection = new FakeConnection(id, user, node.protocol);
    await node.manager.onConnected(connection);
    return connection;
  }

  /**
   * Sends a marker to all from `from` and waits until every connection has it; with `expected`,
   * first until each connection has at least that many copies of `target`.
   */
  async function barrier(from: TestNode, connections: FakeConnection[], target?: string, expected?: number[]): Promise<void> {
    if (target !== undefined && expected !== undefined) await Promise.all(connections.map((connection, i) => connection.received(target, expected[i]!)));
    const before = connections.map((connection) => connection.count('barrier'));
    await from.manager.send({ kind: 'all' }, message('barrier'));
    await Promise.all(connections.map((connection, i) => connection.received('barrier', before[i]! + 1)));
  }

  describe(`${harness.name}: on one node`, () => {
    test('all, and all except', async () => {
      const [node] = await nodes(1);
      const [a, b, c] = [await connect(node!, 'a'), await connect(node!, 'b'), await connect(node!, 'c')];
      await node!.manager.send({ kind: 'all' }, message('m'));
      await node!.manager.send({ kind: 'all', except: ['b'] }, message('m'));
      await barrier(node!, [a, b, c]);
      assert.deepEqual([a, b, c].map((x) => x.count('m')), [2, 1, 2]);
    });

    test('local recipients share one serialization, made once', async () => {
      const [node] = await nodes(1);
      const [a, b] = [await connect(node!, 'a'), await connect(node!, 'b')];
      const before = node!.protocol.writes;
      await node!.manager.send({ kind: 'all' }, message('m'));
      assert.equal(a.seen[0], b.seen[0]);
      assert.equal(node!.protocol.writes - before, 1);
    });

    test('local recipients are served before send() resolves', async () => {
      const [node] = await nodes(1);
      const a = await connect(node!, 'a');
      await node!.manager.addToGroup('a', 'g');
      await node!.manager.send({ kind: 'groups', names: ['g'] }, message('m'));
      await node!.manager.send({ kind: 'users', ids: [] }, message('x'));
      assert.equal(a.count('m'), 1);
    });

    test('connections: unknown ids are ignored, duplicates deliver once', async () => {
      const [node] = await nodes(1);
      const [a, b, c] = [await connect(node!, 'a'), await connect(node!, 'b'), await connect(node!, 'c')];
      await node!.manager.send({ kind: 'connections', ids: ['a', 'a', 'zzz', 'c'] }, message('m'));
      await barrier(node!, [a, b, c]);
      assert.deepEqual([a, b, c].map((x) => x.count('m')), [1, 0, 1]);
    });

    test('groups: membership, several groups once each, except, case-sensitive names', async () => {
      const [node] = await nodes(1);
      const [a, b, c] = [await connect(node!, 'a'), await connect(node!, 'b'), await connect(node!, 'c')];
      const { manager } = node!;
      await manager.addToGroup('a', 'g1');
      await manager.addToGroup('a', 'g2');
      await manager.addToGroup('b', 'g2');
      await manager.addToGroup('c', 'G1');
      await manager.send({ kind: 'groups', names: ['g1', 'g2'] }, message('m'));
      await barrier(node!, [a, b, c]);
      assert.deepEqual([a, b, c].map((x) => x.count('m')), [1 + extra, 1, 0]);
      await manager.send({ kind: 'groups', names: ['g2'], except: ['a'] }, message('m'));
      await barrier(node!, [a, b, c]);
      assert.deepEqual([a, b, c].map((x) => x.count('m')), [1 + extra, 2, 0]);
      await manager.removeFromGroup('a', 'g2');
      await manager.removeFromGroup('a', 'not-a-member');
      await manager.send({ kind: 'groups', names: ['g2'] }, message('m'));
      await barrier(node!, [a, b, c]);
      assert.deepEqual([a, b, c].map((x) => x.count('m')), [1 + extra, 3, 0]);
    });

    test('users reach every connection of the user', async () => {
      const [node] = await nodes(1);
      const [a, b, c] = [await connect(node!, 'a', 'alice'), await connect(node!, 'b', 'bob'), await connect(node!, 'c', 'alice')];
      await node!.manager.send({ kind: 'users', ids: ['alice'] }, message('m'));
      await node!.manager.send({ kind: 'users', ids: ['alice', 'bob', 'alice'] }, message('m'));
      await barrier(node!, [a, b, c]);
      assert.deepEqual([a, b, c].map((x) => x.count('m')), [2, 1, 2]);
    });

    test('a disconnected connection leaves its groups and user, and is no longer counted', async () => {
      const [node] = await nodes(1);
      const [a, b, c] = [await connect(node!, 'a', 'alice'), await connect(node!, 'b', 'bob'), await connect(node!, 'c', 'alice')];
      await node!.manager.addToGroup('a', 'g');
      await node!.manager.onDisconnected(a);
      await node!.manager.send({ kind: 'groups', names: ['g'] }, message('m'));
      await node!.manager.send({ kind: 'users', ids: ['alice'] }, message('m'));
      await node!.manager.send({ kind: 'connections', ids: ['a'] }, message('m'));
      await node!.manager.addToGroup('a', 'g');
      await barrier(node!, [b, c]);
      assert.deepEqual([a, b, c].map((x) => x.count('m')), [0, 0, 1]);
      assert.equal(node!.manager.localConnectionCount, 2);
    });

    test('a recipient that throws does not stop the others', async () => {
      const [node] = await nodes(1);
      const a = await connect(node!, 'a');
      await node!.manager.onConnected(new FakeConnection('broken', undefined, node!.protocol, true));
      const c = await connect(node!, 'c');
      await node!.manager.send({ kind: 'all' }, message('m'));
      assert.deepEqual([a.count('m'), c.count('m')], [1, 1]);
    });

    test('a message that cannot be serialized fails the send with HUB_ERR_SERIALIZATION', async () => {
      const [node] = await nodes(1);
      await connect(node!, 'a');
      await assert.rejects(node!.manager.send({ kind: 'all' }, message('m', 10n)), { code: 'HUB_ERR_SERIALIZATION' });
    });

    test('invokeConnection reaches a connection, and fails for an unknown id', async () => {
      const [node] = await nodes(1);
      await connect(node!, 'b');
      assert.equal(await node!.manager.invokeConnection('b', 'getName', [], {}), 'b:getName');
      await assert.rejects(node!.manager.invokeConnection('nope', 'getName', [], {}), { message: "Connection 'nope' does not exist." });
    });

    test('group changes of a connection that exists nowhere are no-ops', async () => {
      const [node] = await nodes(1);
      await node!.manager.addToGroup('nobody', 'g');
      await node!.manager.removeFromGroup('nobody', 'g');
    });

    test('records the fan-out and the delivery latency once per send (the connections count messages)', async () => {
      const [node] = await nodes(1);
      for (const id of ['a', 'b', 'c']) await connect(node!, id);
      await node!.manager.send({ kind: 'all' }, message('m'));
      assert.deepEqual(node!.metrics.recorded('fanOut').map((entry) => entry.value), [3]);
      const latencies = node!.metrics.recorded('deliveryLatency');
      assert.equal(latencies.length, 1);
      assert.ok(latencies[0]!.value >= 0 && latencies[0]!.value < 5, `a latency in seconds: ${latencies[0]!.value}`);
    });
  });

  presenceSuite({ name: harness.name, sharedBackplane: harness.sharedBackplane, nodes, connect });

  if (!harness.sharedBackplane) return;

  describe(`${harness.name}: across nodes (needs a shared backplane)`, () => {
    test('all reaches every node once, except holds on every node, no node re-serializes', async () => {
      const [n1, n2, n3] = await nodes(3);
      const a = await connect(n1!, 'a');
      const b = await connect(n2!, 'b');
      const b2 = await connect(n2!, 'b2');
      const c = await connect(n3!, 'c');
      const writes = [n2!.protocol.writes, n3!.protocol.writes];
      await n1!.manager.send({ kind: 'all', except: ['b2'] }, message('m'));
      await barrier(n1!, [a, b, b2, c], 'm', [1, 1, 0, 1]);
      assert.deepEqual([a, b, b2, c].map((x) => x.count('m')), [1, 1, 0, 1]);
      assert.deepEqual([n2!.protocol.writes, n3!.protocol.writes], writes, 'receiving nodes write the sender’s bytes');
      // n2 delivered m to b, then the barrier to b and b2.
      assert.equal(n2!.metrics.sum('fanOut'), 3);
    });

    test('connections on other nodes, each once', async () => {
      const [n1, n2] = await nodes(2);
      const a = await connect(n1!, 'a');
      const b = await connect(n2!, 'b');
      const c = await connect(n2!, 'c');
      await n1!.manager.send({ kind: 'connections', ids: ['b', 'a', 'b', 'nowhere'] }, message('m'));
      await barrier(n1!, [a, b, c], 'm', [1, 1, 0]);
      assert.deepEqual([a, b, c].map((x) => x.count('m')), [1, 1, 0]);
    });

    test('a user spans nodes', async () => {
      const [n1, n2, n3] = await nodes(3);
      const a = await connect(n1!, 'a', 'alice');
      const b = await connect(n2!, 'b', 'alice');
      const c = await connect(n3!, 'c', 'bob');
      const d = await connect(n3!, 'd', 'alice');
      await n3!.manager.send({ kind: 'users', ids: ['alice'] }, message('m'));
      await barrier(n3!, [a, b, c, d], 'm', [1, 1, 0, 1]);
      assert.deepEqual([a, b, c, d].map((x) => x.count('m')), [1, 1, 0, 1]);
      await n2!.manager.onDisconnected(b);
      await n1!.manager.send({ kind: 'users', ids: ['alice', 'bob'] }, message('m'));
      await barrier(n1!, [a, c, d], 'm', [2, 1, 2]);
      assert.deepEqual([a, b, c, d].map((x) => x.count('m')), [2, 1, 1, 2]);
    });

    test('groups span nodes: several groups once each, except on another node', async () => {
      const [n1, n2] = await nodes(2);
      const a = await connect(n1!, 'a');
      const b = await connect(n2!, 'b');
      const c = await connect(n2!, 'c');
      await n1!.manager.addToGroup('a', 'g1');
      await n2!.manager.addToGroup('b', 'g1');
      await n2!.manager.addToGroup('b', 'g2');
      await n2!.manager.addToGroup('c', 'g2');
      await n1!.manager.send({ kind: 'groups', names: ['g1', 'g2'] }, message('m'));
      await barrier(n1!, [a, b, c], 'm', [1, 1 + extra, 1]);
      assert.deepEqual([a, b, c].map((x) => x.count('m')), [1, 1 + extra, 1]);
      await n1!.manager.send({ kind: 'groups', names: ['g2', 'g1'], except: ['c', 'a'] }, message('m'));
      await barrier(n1!, [a, b, c], 'm', [1, 2 + 2 * extra, 1]);
      assert.deepEqual([a, b, c].map((x) => x.count('m')), [1, 2 + 2 * extra, 1]);
    });

    test('adding and removing a connection of another node is done when the call resolves', async () => {
      const [n1, n2] = await nodes(2);
      const a = await connect(n1!, 'a');
      const b = await connect(n2!, 'b');
      await n1!.manager.addToGroup('b', 'room');
      await n1!.manager.send({ kind: 'groups', names: ['room'] }, message('in'));
      await b.received('in');
      await n1!.manager.removeFromGroup('b', 'room');
      await n1!.manager.send({ kind: 'groups', names: ['room'] }, message('out'));
      await barrier(n1!, [a, b]);
      assert.equal(b.count('out'), 0);
    });

    test('client results reach a connection on another node and come back', async () => {
      const [n1, n2] = await nodes(2);
      await connect(n2!, 'b');
      assert.equal(await n1!.manager.invokeConnection('b', 'getName', [1, 'two'], {}), 'b:getName');
      await assert.rejects(n1!.manager.invokeConnection('nowhere', 'getName', [], {}), { message: "Connection 'nowhere' does not exist." });
    });

    test('a connection gone from its node is gone for every node', async () => {
      const [n1, n2] = await nodes(2);
      const a = await connect(n1!, 'a');
      const b = await connect(n2!, 'b', 'bob');
      await n2!.manager.addToGroup('b', 'g');
      await n2!.manager.onDisconnected(b);
      await n1!.manager.send({ kind: 'groups', names: ['g'] }, message('m'));
      await n1!.manager.send({ kind: 'users', ids: ['bob'] }, message('m'));
      await n1!.manager.send({ kind: 'connections', ids: ['b'] }, message('m'));
      await n1!.manager.addToGroup('b', 'g');
      await barrier(n1!, [a]);
      assert.equal(b.count('m'), 0);
      await assert.rejects(n1!.manager.invokeConnection('b', 'x', [], {}), { message: "Connection 'b' does not exist." });
    });
  });
}
