/**
 * The conformance suite of recoverable groups (`HubLifetimeManager.recovery`): one set of cases
 * every lifetime manager with a history store passes — the memory manager on one node, the Redis
 * manager on several nodes of one Redis (or Redis Cluster).
 *
 * Everything goes through the manager as a hub would use it: `send` to one group (routed to the
 * history), `addToGroup`, `onDisconnected`, and `manager.recovery` for recover/publish/position.
 * Negative checks ("did not arrive") rely on the order the engine guarantees: a later message of
 * the same group that must arrive bounds the earlier one that must not.
 * @module
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, test } from 'node:test';
import { HubwireError } from '../../core/errors.js';
import { createCounterMetrics, type CounterMetrics } from '../../core/metrics.js';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import { messagePackHubProtocol } from '../../protocol/msgpack/msgpack-hub-protocol.js';
import { MessageType, type InvocationMessage } from '../../protocol/messages.js';
import type { HubLifetimeManager } from '../hub-lifetime-manager.js';
import type { GroupPosition, GroupRecovery, RecoveryOptions, RecoveryResult } from '../recovery/recovery-types.js';
import { FakeConnection } from './fake-connection.js';

/** One node of the system under test. */
export interface RecoveryTestNode {
  readonly manager: HubLifetimeManager;
  readonly metrics: CounterMetrics;
  /** A {@link FakeConnection} on this node (JSON unless `protocol` says otherwise), connected. */
  connect(id: string, protocol?: HubProtocol): Promise<FakeConnection>;
  close(): Promise<void>;
}

/** How the suite makes nodes of one implementation. */
export interface RecoveryHarness {
  readonly name: string;
  /** How many nodes one system can have: 1 for the memory manager; the cross-node cases need 2. */
  readonly maxNodes: number;
  /**
   * Makes `count` nodes of one new system (sharing one history), each built with `recovery`, the
   * hub protocols JSON and MessagePack, and its own counting metrics (see {@link recoveryTestNode}).
   * Each system must be isolated from the others (a key prefix of its own for Redis).
   */
  createNodes(count: number, recovery: RecoveryOptions): Promise<RecoveryTestNode[]>;
}

/**
 * A {@link RecoveryTestNode} over a manager: `connect` makes a FakeConnection and calls
 * `onConnected`; `close` calls `manager.close()` and then `extra`.
 *
 * @example
 * ```ts
 * createNodes: async (count, recovery) => {
 *   const metrics = createCounterMetrics();
 *   return [recoveryTestNode(new MemoryLifetimeManager({ recovery, metrics }), metrics)];
 * },
 * ```
 */
export function recoveryTestNode(manager: HubLifetimeManager, metrics: CounterMetrics = createCounterMetrics(), extra?: () => Promise<void>): RecoveryTestNode {
  return {
    manager,
    metrics,
    async connect(id, protocol) {
      const connection = new FakeConnection(id, undefined, protocol);
      await manager.onConnected(connection);
      return connection;
    },
    async close() {
      await manager.close?.();
      await extra?.();
    },
  };
}

/** The specs the cases use (one system per test, so each case has its groups to itself). */
export const recoverySuiteOptions: RecoveryOptions = {
  groups: [
    { match: 'short:*', maxCount: 5 },
    { match: 'plain:*', positionArgument: false },
    { match: 'aged:*', maxAge: 150 },
    { match: /^slow-drop:/, slowConsumer: { policy: { action: 'drop-oldest' }, highWaterMark: 100, maxQueued: 3 } },
    {
      match: (group) => group.startsWith('slow-latest:'),
      slowConsumer: { policy: { action: 'keep-latest', key: (_target, args) => String(args[0]) }, highWaterMark: 100, maxQueued: 3 },
    },
    { match: 'slow-close:*', slowConsumer: { policy: { action: 'disconnect' }, highWaterMark: 100, maxQueued: 3 } },
    { match: 'feed:*' },
  ],
};

const invocation = (target: string, ...args: unknown[]): InvocationMessage => ({ type: MessageType.Invocation, target, arguments: args });

/** The position argument of each message with `target` the connection got (undefined where it had none). */
function positions(connection: FakeConnection, target = 'm'): GroupPosition[] {
  return connection.invocations.filter((message) => message.target === target).map((message) => message.arguments.at(-1) as GroupPosition);
}

function offsets(connection: FakeConnection, target = 'm'): number[] {
  return positions(connection, target).map((position) => position.offset);
}

/** The first argument of each message with `target` (the cases number their messages with it). */
function firsts(connection: FakeConnection, target = 'm'): unknown[] {
  return connection.invocations.filter((message) => message.target === target).map((message) => message.arguments[0]);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

function recoveryOf(node: RecoveryTestNode): GroupRecovery {
  const { recovery } = node.manager;
  assert.ok(recovery !== undefined, 'the manager offers recovery when the hub declares recoverable groups');
  return recovery;
}

async function isRecoveryError(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof HubwireError && error.code === code);
}

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

    test('slow consumer, drop-oldest: the slow member keeps the newest maxQueued, the others are not delayed', async () => {
      const [node] = await nodes(1);
      const fast = await member(node!, 'fast', 'slow-drop:1');
      const slow = await member(node!, 'slow', 'slow-drop:1');
      slow.setBacklog(1000);
      for (let i = 1; i <= 6; i++) await send(node!, 'slow-drop:1', 'm', i);
      await fast.received('m', 6);
      assert.deepEqual(offsets(slow), []);
      slow.setBacklog(0);
      await slow.received('m', 3);
      assert.deepEqual(offsets(slow), [4, 5, 6]);
      assert.equal(node!.metrics.totals().recoverySlowDrops, 3);
      // Drained: it is live again.
      await send(node!, 'slow-drop:1', 'm', 7);
      await slow.received('m', 4);
      assert.deepEqual(offsets(slow), [4, 5, 6, 7]);
    });

    test('slow consumer, keep-latest: a waiting message with the same key is replaced by the newer one', async () => {
      const [node] = await nodes(1);
      const fast = await member(node!, 'fast', 'slow-latest:1');
      const slow = await member(node!, 'slow', 'slow-latest:1');
      slow.setBacklog(1000);
      for (const symbol of ['x', 'y', 'x', 'z', 'x']) await send(node!, 'slow-latest:1', 'm', symbol);
      await fast.received('m', 5);
      slow.setBacklog(0);
      await slow.received('m', 3);
      // [x1 y2 x3] + z4: no other z, the oldest (x1) goes; + x5: replaces x3.
      assert.deepEqual(offsets(slow), [2, 4, 5]);
      assert.deepEqual(firsts(slow), ['y', 'z', 'x']);
      const totals = node!.metrics.totals();
      assert.equal(totals.recoverySlowConflated, 1);
      assert.equal(totals.recoverySlowDrops, 1);
    });

    test('slow consumer, disconnect: the member is closed as slow once maxQueued is passed; the others get everything', async () => {
      const [node] = await nodes(1);
      const fast = await member(node!, 'fast', 'slow-close:1');
      const slow = await member(node!, 'slow', 'slow-close:1');
      slow.setBacklog(1000);
      for (let i = 1; i <= 5; i++) await send(node!, 'slow-close:1', 'm', i);
      await fast.received('m', 5);
      assert.equal(typeof slow.closedAsSlow, 'string');
      assert.equal(node!.metrics.totals().slowConsumerDisconnects, 1);
      slow.setBacklog(0);
      await node!.manager.onDisconnected(slow);
      await send(node!, 'slow-close:1', 'm', 6);
      await fast.received('m', 6);
      assert.deepEqual(offsets(slow), []);
    });
  });

  if (harness.maxNodes < 2) return;

  describe(`${harness.name}: recoverable groups across nodes`, () => {
    test('members on both nodes get every entry, from sends on both nodes, in one order', async () => {
      const [one, two] = await nodes(2);
      const a = await member(one!, 'a', 'feed:1');
      const b = await member(two!, 'b', 'feed:1', messagePackHubProtocol);
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) sends.push(send(one!, 'feed:1', 'm', `one-${i}`), send(two!, 'feed:1', 'm', `two-${i}`));
      await Promise.all(sends);
      await Promise.all([a.received('m', 20), b.received('m', 20)]);
      assert.deepEqual(offsets(a), range(1, 20));
      assert.deepEqual(offsets(b), range(1, 20));
      assert.deepEqual(firsts(a), firsts(b));
      // Each node's own sends keep their order.
      const order = firsts(a) as string[];
      for (const prefix of ['one-', 'two-']) {
        assert.deepEqual(order.filter((value) => value.startsWith(prefix)), range(0, 9).map((i) => `${prefix}${i}`));
      }
    });

    test('a connection that comes back on the other node recovers what it missed there, then goes on live', async () => {
      const [one, two] = await nodes(2);
      const a = await member(one!, 'a', 'feed:1');
      for (let i = 1; i <= 3; i++) await send(one!, 'feed:1', 'm', i);
      await a.received('m', 3);
      const { epoch } = positions(a)[0]!;
      await one!.manager.onDisconnected(a);
      await send(one!, 'feed:1', 'm', 4);
      const back = await two!.connect('a-again');
      const racing = [send(one!, 'feed:1', 'm', 5), send(two!, 'feed:1', 'm', 6)];
      const result = await recoveryOf(two!).recover('a-again', 'feed:1', { since: { offset: 1, epoch } });
      await Promise.all(racing);
      await send(one!, 'feed:1', 'm', 7);
      await back.received('m', 6);
      assert.equal(result.recovered, true);
      assert.deepEqual(offsets(back), range(2, 7));
      assert.deepEqual(await recoveryOf(two!).position('feed:1'), await recoveryOf(one!).position('feed:1'));
    });

    test('an explicit offset published by both nodes reaches members once', async () => {
      const [one, two] = await nodes(2);
      const a = await member(one!, 'a', 'feed:1');
      const b = await member(two!, 'b', 'feed:1');
      const results = await Promise.all([one!, two!].map((node) => recoveryOf(node).publish('feed:1', [{ target: 'm', arguments: ['once'] }], { offset: 1 })));
      assert.deepEqual(results.map((result) => result.duplicate).sort(), [false, true]);
      await send(one!, 'feed:1', 'm', 'after');
      await Promise.all([a.received('m', 2), b.received('m', 2)]);
      assert.deepEqual(firsts(a), ['once', 'after']);
      assert.deepEqual(firsts(b), ['once', 'after']);
    });

    test('onMissed on the other node: the snapshot arrives before live messages sent from the first node', async () => {
      const [one, two] = await nodes(2);
      await send(one!, 'feed:1', 'm', 1);
      const b = await two!.connect('b');
      const result = await recoveryOf(two!).recover('b', 'feed:1', {
        since: { offset: 0, epoch: 'gone' },
        onMissed: async () => {
          await send(one!, 'feed:1', 'm', 2);
          await two!.manager.send({ kind: 'connections', ids: ['b'] }, invocation('snapshot'));
        },
      });
      assert.equal(result.recovered, false);
      await b.received('m', 1);
      assert.deepEqual(b.targets, ['snapshot', 'm']);
      assert.deepEqual(offsets(b), [2]);
    });
  });
}
