/**
 * The conformance suite of recoverable groups (`HubLifetimeManager.recovery`): one set of cases
 * every lifetime manager with a history store passes — the memory manager on one node, the Redis
 * manager on several nodes of one Redis (or Redis Cluster).
 *
 * Everything goes through the manager as a hub would use it: `send` to one group (routed to the
 * history), `addToGroup`, `onDisconnected`, and `manager.recovery` for recover/publish/position.
 * Negative checks ("did not arrive") rely on the order the engine guarantees: a later message of
 * the same group that must arrive bounds the earlier one that must not.
 *
 * The one-node cases are here; recovery-slow-cases.ts holds the slow-consumer ones and
 * recovery-node-cases.ts the cross-node ones (registered for a harness with `maxNodes >= 2`).
 * @module
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, test } from 'node:test';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import { messagePackHubProtocol } from '../../protocol/msgpack/msgpack-hub-protocol.js';
import type { GroupPosition, RecoveryOptions, RecoveryResult } from '../recovery/recovery-types.js';
import type { FakeConnection } from './fake-connection.js';
import { crossNodeCases } from './recovery-node-cases.js';
import { slowConsumerCases } from './recovery-slow-cases.js';
import {
  firsts,
  invocation,
  isRecoveryError,
  offsets,
  positions,
  range,
  recoveryOf,
  recoverySuiteOptions,
  type RecoveryHarness,
  type RecoveryTestNode,
  type SuiteContext,
} from './recovery-suite-support.js';

export { recoverySuiteOptions, recoveryTestNode, type RecoveryHarness, type RecoveryTestNode, type SuiteContext } from './recovery-suite-support.js';

/** Registers the suite for `harness`. */
export function recoverySuite(harness: RecoveryHarness): void {
  let open: RecoveryTestNode[] = [];
  afterEach(async () => {
    await Promise.all(open.map((node) => node.close()));
    open = [];
  });

  async function nodes(count: number, recovery: RecoveryOptions = recoverySuiteOptions): Promise<RecoveryTestNode[]> {
    const made = await harness.createNodes(count, recovery);
    open.push(...made);
    return made;
  }

  async function member(node: RecoveryTestNode, id: string, group: string, protocol?: HubProtocol): Promise<FakeConnection> {
    const connection = await node.connect(id, protocol);
    await node.manager.addToGroup(id, group);
    return connection;
  }

  const send = (node: RecoveryTestNode, group: string, target: string, ...args: unknown[]): Promise<void> =>
    node.manager.send({ kind: 'groups', names: [group] }, invocation(target, ...args));
  const context: SuiteContext = { nodes, member, send };

  describe(`${harness.name}: recoverable groups on one node`, () => {
    test('a send to one recoverable group gets offsets 1..n with no gap, as a trailing argument in JSON and MessagePack', async () => {
      const [node] = await nodes(1);
      const json = await member(node!, 'a', 'feed:1');
      const binary = await member(node!, 'b', 'feed:1', messagePackHubProtocol);
      for (let i = 1; i <= 4; i++) await send(node!, 'feed:1', 'm', i, 'x');
      await Promise.all([json.received('m', 4), binary.received('m', 4)]);
      const { epoch } = positions(json)[0]!;
      assert.equal(typeof epoch, 'string');
      assert.ok(epoch.length > 0);
      for (const connection of [json, binary]) {
        assert.deepEqual(
          connection.invocations.map((message) => message.arguments),
          range(1, 4).map((i) => [i, 'x', { group: 'feed:1', offset: i, epoch }]),
        );
      }
      assert.deepEqual(await recoveryOf(node!).position('feed:1'), { offset: 4, epoch });
    });

    test('positionArgument false: members get the arguments as sent; offsets still count for recovery', async () => {
      const [node] = await nodes(1);
      const a = await member(node!, 'a', 'plain:1');
      await send(node!, 'plain:1', 'm', 1);
      await send(node!, 'plain:1', 'm', 2);
      await a.received('m', 2);
      assert.deepEqual(a.invocations.map((message) => message.arguments), [[1], [2]]);
      const { epoch } = await recoveryOf(node!).position('plain:1');
      const b = await node!.connect('b');
      const result = await recoveryOf(node!).recover('b', 'plain:1', { since: { offset: 1, epoch } });
      assert.deepEqual(result, { recovered: true, position: { offset: 2, epoch }, replayed: 1 });
      assert.deepEqual(b.invocations.map((message) => message.arguments), [[2]]);
    });

    test('sends to several groups, to all and to other groups are not recorded and carry no position', async () => {
      const [node] = await nodes(1);
      const a = await member(node!, 'a', 'feed:1');
      await node!.manager.addToGroup('a', 'room');
      await node!.manager.send({ kind: 'groups', names: ['feed:1', 'room'] }, invocation('m', 1));
      await node!.manager.send({ kind: 'groups', names: ['room'] }, invocation('m', 2));
      await node!.manager.send({ kind: 'all' }, invocation('m', 3));
      await a.received('m', 3);
      assert.deepEqual(a.invocations.map((message) => message.arguments), [[1], [2], [3]]);
      assert.equal((await recoveryOf(node!).position('feed:1')).offset, 0);
      assert.equal(recoveryOf(node!).isRecoverable('room'), false);
      assert.equal(recoveryOf(node!).isRecoverable('feed:1'), true);
    });

    test('a plain addToGroup is live from now: nothing is replayed', async () => {
      const [node] = await nodes(1);
      const a = await member(node!, 'a', 'feed:1');
      await send(node!, 'feed:1', 'm', 1);
      await send(node!, 'feed:1', 'm', 2);
      // On Redis a send resolves once appended; the node delivers it when it comes back on the
      // channel. "Now" is once the node has delivered what was sent before.
      await a.received('m', 2);
      const c = await member(node!, 'c', 'feed:1');
      await send(node!, 'feed:1', 'm', 3);
      await Promise.all([a.received('m', 3), c.received('m', 1)]);
      assert.deepEqual(offsets(c), [3]);
    });

    test('recover at the top: recovered, nothing replayed, then live', async () => {
      const [node] = await nodes(1);
      const a = await member(node!, 'a', 'feed:1');
      for (let i = 1; i <= 3; i++) await send(node!, 'feed:1', 'm', i);
      await a.received('m', 3);
      const { epoch } = positions(a)[2]!;
      const b = await node!.connect('b');
      const result = await recoveryOf(node!).recover('b', 'feed:1', { since: { offset: 3, epoch } });
      assert.deepEqual(result, { recovered: true, position: { offset: 3, epoch }, replayed: 0 });
      await send(node!, 'feed:1', 'm', 4);
      await b.received('m', 1);
      assert.deepEqual(offsets(b), [4]);
      assert.equal(node!.metrics.totals().recoveryRecovered, 1);
    });

    test('recover after missing some: replays them in order, then live, with no duplicate and no gap while sends race it', async () => {
      const [node] = await nodes(1);
      const a = await member(node!, 'a', 'feed:1');
      await send(node!, 'feed:1', 'm', 1);
      await send(node!, 'feed:1', 'm', 2);
      await a.received('m', 2);
      const { epoch } = positions(a)[0]!;
      const b = await node!.connect('b');
      const racing: Promise<void>[] = [];
      for (let i = 3; i <= 6; i++) racing.push(send(node!, 'feed:1', 'm', i));
      const result = await recoveryOf(node!).recover('b', 'feed:1', { since: { offset: 1, epoch } });
      for (let i = 7; i <= 9; i++) racing.push(send(node!, 'feed:1', 'm', i));
      await Promise.all(racing);
      await send(node!, 'feed:1', 'm', 10);
      await b.received('m', 9);
      assert.deepEqual(offsets(b), range(2, 10));
      assert.deepEqual(offsets(a), range(1, 10));
      assert.equal(result.recovered, true);
      assert.equal(result.position.epoch, epoch);
      assert.equal(result.replayed, result.position.offset - 1);
      // The payloads follow their offsets: replay and live hold the same messages.
      assert.deepEqual(
        b.invocations.map((message) => [message.arguments[0], (message.arguments[1] as GroupPosition).offset]),
        a.invocations.slice(1).map((message) => [message.arguments[0], (message.arguments[1] as GroupPosition).offset]),
      );
      assert.equal(node!.metrics.totals().recoveryReplayed, result.replayed);
    });

    test('recover on another epoch: recovered false, and onMissed runs before any live message reaches the connection', async () => {
      const [node] = await nodes(1);
      const a = await member(node!, 'a', 'feed:1');
      await send(node!, 'feed:1', 'm', 1);
      await send(node!, 'feed:1', 'm', 2);
      await a.received('m', 2);
      const b = await node!.connect('b');
      const seen: RecoveryResult[] = [];
      const result = await recoveryOf(node!).recover('b', 'feed:1', {
        since: { offset: 2, epoch: 'an-epoch-long-gone' },
        onMissed: async (missed) => {
          seen.push(missed);
          // A live message sent while the snapshot is made still arrives after it.
          await send(node!, 'feed:1', 'm', 3);
          await node!.manager.send({ kind: 'connections', ids: ['b'] }, invocation('snapshot'));
        },
      });
      const { epoch } = positions(a)[0]!;
      assert.deepEqual(result, { recovered: false, position: { offset: 2, epoch }, replayed: 0 });
      assert.deepEqual(seen, [result]);
      await b.received('m', 1);
      assert.deepEqual(b.targets, ['snapshot', 'm']);
      assert.deepEqual(offsets(b), [3]);
      assert.equal(node!.metrics.totals().recoveryMissed, 1);
    });

    test('recover beyond maxCount is not recovered; from the oldest entry kept it is', async () => {
      const [node] = await nodes(1);
      const a = await member(node!, 'a', 'short:1');
      for (let i = 1; i <= 8; i++) await send(node!, 'short:1', 'm', i);
      await a.received('m', 8);
      const { epoch } = positions(a)[0]!;
      const recovery = recoveryOf(node!);
      let missed = 0;
      for (const offset of [0, 1, 2]) {
        const id = `x${offset}`;
        await node!.connect(id);
        const result = await recovery.recover(id, 'short:1', { since: { offset, epoch }, onMissed: () => void missed++ });
        assert.deepEqual(result, { recovered: false, position: { offset: 8, epoch }, replayed: 0 }, `since ${offset}`);
      }
      assert.equal(missed, 3);
      const c = await node!.connect('c');
      const result = await recovery.recover('c', 'short:1', { since: { offset: 3, epoch } });
      assert.deepEqual(result, { recovered: true, position: { offset: 8, epoch }, replayed: 5 });
      assert.deepEqual(offsets(c), range(4, 8));
    });

    test('recover beyond maxAge is not recovered, but a client that missed nothing still is (the meta outlives the entries)', async () => {
      const [node] = await nodes(1);
      const a = await member(node!, 'a', 'aged:1');
      await send(node!, 'aged:1', 'm', 1);
      await send(node!, 'aged:1', 'm', 2);
      await a.received('m', 2);
      const { epoch } = positions(a)[0]!;
      // Twice maxAge (150 ms): whatever clock the store reads, both entries are older than it now.
      await delay(400);
      const recovery = recoveryOf(node!);
      await node!.connect('b');
      assert.deepEqual(await recovery.recover('b', 'aged:1', { since: { offset: 0, epoch } }), { recovered: false, position: { offset: 2, epoch }, replayed: 0 });
      await node!.connect('c');
      assert.deepEqual(await recovery.recover('c', 'aged:1', { since: { offset: 2, epoch } }), { recovered: true, position: { offset: 2, epoch }, replayed: 0 });
    });

    test('recover ahead of the top is not recovered', async () => {
      const [node] = await nodes(1);
      await send(node!, 'feed:1', 'm', 1);
      const { epoch } = await recoveryOf(node!).position('feed:1');
      const b = await node!.connect('b');
      let missed = 0;
      const result = await recoveryOf(node!).recover('b', 'feed:1', { since: { offset: 99, epoch }, onMissed: () => void missed++ });
      assert.deepEqual(result, { recovered: false, position: { offset: 1, epoch }, replayed: 0 });
      assert.equal(missed, 1);
      await send(node!, 'feed:1', 'm', 2);
      await b.received('m', 1);
      assert.deepEqual(offsets(b), [2]);
    });

    test('recover without since is a live join: not recovered, onMissed not run, the position is the top', async () => {
      const [node] = await nodes(1);
      await send(node!, 'feed:1', 'm', 1);
      const b = await node!.connect('b');
      let missed = 0;
      const result = await recoveryOf(node!).recover('b', 'feed:1', { onMissed: () => void missed++ });
      assert.equal(result.recovered, false);
      assert.equal(result.position.offset, 1);
      assert.equal(result.replayed, 0);
      assert.equal(missed, 0);
      await send(node!, 'feed:1', 'm', 2);
      await b.received('m', 1);
      assert.deepEqual(offsets(b), [2]);
      assert.equal(node!.metrics.totals().recoveryMissed, 0);
    });

    test('recover with offset only (application sequence numbers): the epoch is not compared', async () => {
      const [node] = await nodes(1);
      for (let i = 1; i <= 3; i++) await send(node!, 'feed:1', 'm', i);
      const b = await node!.connect('b');
      const result = await recoveryOf(node!).recover('b', 'feed:1', { since: { offset: 1 } });
      assert.equal(result.recovered, true);
      assert.equal(result.replayed, 2);
      assert.deepEqual(firsts(b), [2, 3]);
    });

    test('explicit offsets: a duplicate is dropped, a jump leaves a hole that recovery below it cannot cross', async () => {
      const [node] = await nodes(1);
      const recovery = recoveryOf(node!);
      const a = await member(node!, 'a', 'feed:1');
      const m = (n: number) => [{ target: 'm', arguments: [n] }];
      const first = await recovery.publish('feed:1', m(5), { offset: 5 });
      assert.equal(first.duplicate, false);
      assert.equal(first.position.offset, 5);
      const { epoch } = first.position;
      assert.deepEqual(await recovery.publish('feed:1', m(50), { offset: 5 }), { position: { offset: 5, epoch }, duplicate: true });
      assert.deepEqual(await recovery.publish('feed:1', m(30), { offset: 3 }), { position: { offset: 5, epoch }, duplicate: true });
      assert.equal((await recovery.publish('feed:1', m(6), { offset: 6 })).position.offset, 6);
      assert.equal((await recovery.publish('feed:1', m(10), { offset: 10 })).position.offset, 10);
      assert.equal((await recovery.publish('feed:1', m(11))).position.offset, 11);
      await a.received('m', 4);
      assert.deepEqual(offsets(a), [5, 6, 10, 11]);
      assert.deepEqual(firsts(a), [5, 6, 10, 11]);
      await node!.connect('b');
      assert.equal((await recovery.recover('b', 'feed:1', { since: { offset: 6, epoch } })).recovered, false);
      const c = await node!.connect('c');
      assert.deepEqual(await recovery.recover('c', 'feed:1', { since: { offset: 9, epoch } }), { recovered: true, position: { offset: 11, epoch }, replayed: 2 });
      assert.deepEqual(offsets(c), [10, 11]);
    });

    test('an entry of several messages: every message carries the one position, and recovery replays them all', async () => {
      const [node] = await nodes(1);
      const recovery = recoveryOf(node!);
      const a = await member(node!, 'a', 'feed:1');
      const result = await recovery.publish('feed:1', [
        { target: 'first', arguments: [1] },
        { target: 'second', arguments: [2] },
      ]);
      assert.deepEqual(result, { position: { offset: 1, epoch: result.position.epoch }, duplicate: false });
      await a.received('second');
      assert.deepEqual(a.targets, ['first', 'second']);
      assert.deepEqual(positions(a, 'first'), positions(a, 'second'));
      assert.equal(positions(a, 'first')[0]!.offset, 1);
      const b = await node!.connect('b');
      assert.deepEqual(await recovery.recover('b', 'feed:1', { since: { offset: 0 } }), { recovered: true, position: result.position, replayed: 2 });
      assert.deepEqual(b.targets, ['first', 'second']);
    });

    test('except: the named connections do not get the message live; the others do, with its offset', async () => {
      const [node] = await nodes(1);
      const a = await member(node!, 'a', 'feed:1');
      const b = await member(node!, 'b', 'feed:1');
      await node!.manager.send({ kind: 'groups', names: ['feed:1'], except: ['a'] }, invocation('m', 1));
      await recoveryOf(node!).publish('feed:1', [{ target: 'm', arguments: [2] }], { except: ['b'] });
      await send(node!, 'feed:1', 'm', 3);
      await Promise.all([a.received('m', 2), b.received('m', 2)]);
      assert.deepEqual(offsets(a), [2, 3]);
      assert.deepEqual(offsets(b), [1, 3]);
    });

    test('a member that left or disconnected gets nothing more; the others go on', async () => {
      const [node] = await nodes(1);
      const a = await member(node!, 'a', 'feed:1');
      const b = await member(node!, 'b', 'feed:1');
      const c = await member(node!, 'c', 'feed:1');
      await send(node!, 'feed:1', 'm', 1);
      // On Redis a send resolves once appended; its delivery comes back on the channel after.
      await Promise.all([a.received('m', 1), b.received('m', 1), c.received('m', 1)]);
      await node!.manager.removeFromGroup('a', 'feed:1');
      await node!.manager.onDisconnected(b);
      await send(node!, 'feed:1', 'm', 2);
      await c.received('m', 2);
      assert.deepEqual([offsets(a), offsets(b), offsets(c)], [[1], [1], [1, 2]]);
      // Rejoining live: from now on again.
      await node!.manager.addToGroup('a', 'feed:1');
      await send(node!, 'feed:1', 'm', 3);
      await a.received('m', 2);
      assert.deepEqual(offsets(a), [1, 3]);
    });

    test('recover, publish and position refuse a group that is not recoverable; recover refuses a connection not on this node', async () => {
      const [node] = await nodes(1);
      const recovery = recoveryOf(node!);
      await node!.connect('a');
      await isRecoveryError(recovery.recover('a', 'room'), 'HUB_ERR_RECOVERY');
      await isRecoveryError(recovery.publish('room', [{ target: 'm', arguments: [] }]), 'HUB_ERR_RECOVERY');
      await isRecoveryError(recovery.position('room'), 'HUB_ERR_RECOVERY');
      await isRecoveryError(recovery.recover('nobody', 'feed:1'), 'HUB_ERR_RECOVERY');
    });

    test('a failing onMissed rejects the recover, and the connection is not in the group', async () => {
      const [node] = await nodes(1);
      const a = await member(node!, 'a', 'feed:1');
      await send(node!, 'feed:1', 'm', 1);
      const b = await node!.connect('b');
      await assert.rejects(
        recoveryOf(node!).recover('b', 'feed:1', {
          since: { offset: 1, epoch: 'another' },
          onMissed: () => {
            throw new Error('no snapshot today');
          },
        }),
        /no snapshot today/,
      );
      await send(node!, 'feed:1', 'm', 2);
      await a.received('m', 2);
      assert.deepEqual(offsets(b), []);
      // Not in the manager's index either: a send to the group with another one still misses it.
      await node!.manager.send({ kind: 'groups', names: ['feed:1', 'other'] }, invocation('plain'));
      await a.received('plain');
      assert.equal(b.count('plain'), 0);
    });
  });

  slowConsumerCases(harness.name, context);
  if (harness.maxNodes >= 2) crossNodeCases(harness.name, context);
}
