import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HubwireError } from '../../core/errors.js';
import { createRecordingMetrics } from '../../core/recording-metrics.js';
import { jsonHubProtocol } from '../../protocol/json/json-hub-protocol.js';
import type { GroupPosition, HistoryStore, RecoveryEngineHost, RecoveryOptions } from './recovery-types.js';
import { FakeConnection } from '../conformance/fake-connection.js';
import { MemoryLifetimeManager } from '../memory/memory-lifetime-manager.js';
import { MemoryHistoryStore } from './memory-history-store.js';
import { RecoverableGroups } from './recoverable-groups.js';

const options: RecoveryOptions = { groups: [{ match: 'g*', slowConsumer: { policy: { action: 'drop-oldest' }, highWaterMark: 100, maxQueued: 10 } }] };
const hasCode = (code: string) => (error: unknown) => error instanceof HubwireError && error.code === code;

/**
 * An engine as a backplane builds it: appends come back through receive() (the test plays the
 * channel), the local index is a plain MemoryLifetimeManager, and every host call is recorded.
 */
function setup(overrides: { store?: HistoryStore; listen?: (group: string) => Promise<void> } = {}) {
  const local = new MemoryLifetimeManager();
  const store = new MemoryHistoryStore();
  const readGate: { hold?: Promise<void>; fail?: boolean } = {};
  const gatedStore: HistoryStore = overrides.store ?? {
    append: (group, payload, limits, offset) => store.append(group, payload, limits, offset),
    async read(group, after, limit, limits) {
      await readGate.hold;
      if (readGate.fail === true) throw new Error('store down');
      return store.read(group, after, limit, limits);
    },
  };
  const calls: string[] = [];
  const heard: { group: string; epoch: string; offset: number; payload: Buffer }[] = [];
  const metrics = createRecordingMetrics();
  const host: RecoveryEngineHost = {
    hubName: 'TestHub',
    protocols: [jsonHubProtocol],
    local,
    store: {
      async append(group, payload, limits, offset) {
        const result = await gatedStore.append(group, payload, limits, offset);
        if (result.kind === 'appended') heard.push({ group, epoch: result.position.epoch, offset: result.position.offset, payload });
        return result;
      },
      read: (...args) => gatedStore.read(...args),
    },
    options,
    appendsComeBack: true,
    listen: overrides.listen ?? (async (group) => void calls.push(`listen ${group}`)),
    unlisten: async (group) => void calls.push(`unlisten ${group}`),
    addLocal: async (id, group) => (calls.push(`add ${id} ${group}`), local.addToGroup(id, group)),
    removeLocal: async (id, group) => (calls.push(`remove ${id} ${group}`), local.removeFromGroup(id, group)),
    metrics,
    labels: { hub: '/hubs/test' },
  };
  const engine = new RecoverableGroups(host);
  /** Plays the channel: every entry appended so far reaches the engine, in order. */
  const flush = () => {
    for (const entry of heard.splice(0)) engine.receive(entry.group, entry.epoch, entry);
  };
  const connect = async (id: string) => {
    const connection = new FakeConnection(id);
    await local.onConnected(connection);
    return connection;
  };
  const publish = (group: string, n: number) => engine.publish(group, [{ target: 'm', arguments: [n] }]);
  return { engine, local, calls, heard, flush, connect, publish, readGate, metrics };
}

const offsets = (connection: FakeConnection) => connection.invocations.map((message) => (message.arguments.at(-1) as GroupPosition).offset);

describe('RecoverableGroups', () => {
  test('with appendsComeBack, a publish reaches members only when its entry is heard', async () => {
    const { engine, connect, publish, flush } = setup();
    const a = await connect('a');
    await engine.joined('a', 'g1');
    await publish('g1', 1);
    assert.deepEqual(offsets(a), []);
    flush();
    assert.deepEqual(offsets(a), [1]);
  });

  test('recover holds live entries heard during its read and releases those past the replay, each once', async () => {
    const { engine, connect, publish, flush, readGate, calls } = setup();
    for (let i = 1; i <= 3; i++) await publish('g1', i);
    const { epoch } = await engine.position('g1');
    const b = await connect('b');
    let open!: () => void;
    readGate.hold = new Promise((resolve) => (open = resolve));
    const recovering = engine.recover('b', 'g1', { since: { offset: 1, epoch } });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls, ['add b g1', 'listen g1']);
    flush(); // 1..3 come in late (already in the history the read will see)
    await publish('g1', 4);
    flush();
    assert.deepEqual(offsets(b), [], 'nothing is written while the read is under way');
    open();
    await publish('g1', 5); // appended while the read is being answered
    const result = await recovering;
    flush();
    assert.equal(result.recovered, true);
    assert.deepEqual(offsets(b), [2, 3, 4, 5]);
  });

  test('a failing history read rejects with HUB_ERR_BACKPLANE and undoes the join', async () => {
    const { engine, local, connect, publish, flush, readGate, calls } = setup();
    await publish('g1', 1);
    const b = await connect('b');
    readGate.fail = true;
    await assert.rejects(engine.recover('b', 'g1', { since: { offset: 0 } }), hasCode('HUB_ERR_BACKPLANE'));
    assert.deepEqual(calls, ['add b g1', 'listen g1', 'remove b g1', 'unlisten g1']);
    assert.deepEqual(local.groupsOf('b'), []);
    readGate.fail = false;
    await publish('g1', 2);
    flush();
    assert.deepEqual(offsets(b), []);
  });

  test('the node listens once per group and stops when its last member leaves or disconnects', async () => {
    const { engine, calls, connect } = setup();
    await connect('a');
    await connect('b');
    await engine.joined('a', 'g1');
    await engine.joined('b', 'g1');
    await engine.joined('b', 'g1');
    await engine.joined('a', 'g2');
    assert.deepEqual(calls, ['listen g1', 'listen g2']);
    await engine.left('a', 'g1');
    await engine.left('a', 'g1');
    assert.deepEqual(calls.slice(2), []);
    await engine.disconnected('b');
    await engine.disconnected('a');
    assert.deepEqual(calls.slice(2).sort(), ['unlisten g1', 'unlisten g2']);
    await engine.joined('a', 'not-recoverable');
    await engine.joined('nobody', 'g1');
    assert.equal(calls.length, 4);
  });

  test('a failed listen fails the join with HUB_ERR_BACKPLANE; the next join asks again', async () => {
    let attempts = 0;
    const { engine, connect } = setup({
      listen: async () => {
        if (++attempts === 1) throw new Error('subscribe failed');
      },
    });
    await connect('a');
    await assert.rejects(engine.joined('a', 'g1'), hasCode('HUB_ERR_BACKPLANE'));
    await engine.joined('a', 'g1');
    assert.equal(attempts, 2);
  });

  test('publish: an argument no protocol can write rejects with HUB_ERR_SERIALIZATION and nothing is appended', async () => {
    const { engine, heard } = setup();
    await assert.rejects(engine.publish('g1', [{ target: 'm', arguments: [10n] }]), hasCode('HUB_ERR_SERIALIZATION'));
    assert.equal(heard.length, 0);
    assert.equal((await engine.position('g1')).offset, 0);
    await assert.rejects(engine.publish('g1', []), hasCode('HUB_ERR_RECOVERY'));
    await assert.rejects(engine.publish('g1', [{ target: 'm', arguments: [] }], { offset: 0 }), hasCode('HUB_ERR_RECOVERY'));
    await assert.rejects(engine.publish('g1', [{ target: 'm', arguments: [] }], { offset: 1.5 }), hasCode('HUB_ERR_RECOVERY'));
    await assert.rejects(engine.publish('g1', [{ target: 7 } as never]), hasCode('HUB_ERR_RECOVERY'));
  });

  test('a second recover of the same connection and group while one runs is refused', async () => {
    const { engine, connect, readGate } = setup();
    await connect('a');
    let open!: () => void;
    readGate.hold = new Promise((resolve) => (open = resolve));
    const first = engine.recover('a', 'g1', { since: { offset: 0 } });
    await assert.rejects(engine.recover('a', 'g1', { since: { offset: 0 } }), hasCode('HUB_ERR_RECOVERY'));
    open();
    assert.equal((await first).recovered, true);
    await assert.rejects(engine.recover('a', 'g1', { since: { offset: -1 } }), hasCode('HUB_ERR_RECOVERY'));
  });

  test('a connection that leaves while it recovers: recover rejects and nothing is written to it', async () => {
    const { engine, connect, publish, readGate, calls } = setup();
    await publish('g1', 1);
    const a = await connect('a');
    let open!: () => void;
    readGate.hold = new Promise((resolve) => (open = resolve));
    const recovering = engine.recover('a', 'g1', { since: { offset: 0 } });
    await new Promise((resolve) => setImmediate(resolve));
    await engine.disconnected('a');
    open();
    await assert.rejects(recovering, hasCode('HUB_ERR_RECOVERY'));
    assert.deepEqual(offsets(a), []);
    assert.ok(calls.includes('unlisten g1'));
  });

  test('a slow member: messages queue behind the queue even once the backlog fell, so its order holds', async () => {
    const { engine, connect, publish, flush } = setup();
    const slow = await connect('slow');
    await engine.joined('slow', 'g1');
    slow.setBacklog(1000);
    await publish('g1', 1);
    await publish('g1', 2);
    flush();
    slow.setBacklog(0); // the drain resumes in a microtask…
    await publish('g1', 3);
    flush(); // …after this live entry came in
    await slow.until(() => slow.invocations.length === 3, 'three messages');
    assert.deepEqual(offsets(slow), [1, 2, 3]);
  });

  test('an entry that cannot be decoded is skipped; the next ones still flow', async () => {
    const { engine, connect, publish, flush } = setup();
    const a = await connect('a');
    await engine.joined('a', 'g1');
    await publish('g1', 1);
    flush();
    const { epoch } = await engine.position('g1');
    engine.receive('g1', epoch, { offset: 2, payload: Buffer.from('garbage') });
    await publish('g1', 3);
    flush();
    assert.deepEqual(offsets(a), [1]); // 2 was garbage; 3 was appended as offset 2 by the store and is a duplicate here
    await publish('g1', 4);
    flush();
    assert.deepEqual(offsets(a), [1, 3]);
  });

  test('metrics carry the host labels', async () => {
    const { engine, connect, publish, flush, metrics } = setup();
    await publish('g1', 1);
    flush(); // heard with no member here: nothing delivered, nothing recorded
    await connect('a');
    await engine.recover('a', 'g1', { since: { offset: 0 } });
    assert.equal(metrics.byLabel('hub', '/hubs/test').recoveryRecovered, 1);
    assert.equal(metrics.byLabel('hub', '/hubs/test').recoveryReplayed, 1);
    // A live entry's delivery records its fan-out (the replay above is no send).
    await publish('g1', 2);
    flush();
    assert.deepEqual(metrics.recorded('fanOut', { hub: '/hubs/test' }).map((entry) => entry.value), [1]);
    assert.equal(metrics.recorded('deliveryLatency', { hub: '/hubs/test' }).length, 1);
  });

  test('after close nothing is delivered and the API refuses with HUB_ERR_SERVER_CLOSED', async () => {
    const { engine, connect, publish, flush } = setup();
    const a = await connect('a');
    await engine.joined('a', 'g1');
    await publish('g1', 1);
    await engine.close();
    flush();
    assert.deepEqual(offsets(a), []);
    await assert.rejects(publish('g1', 2), hasCode('HUB_ERR_SERVER_CLOSED'));
    await assert.rejects(engine.recover('a', 'g1'), hasCode('HUB_ERR_SERVER_CLOSED'));
  });
});
