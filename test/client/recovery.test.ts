/**
 * @hubwire/client subscriptions on a hub with recoverable groups (Hubwire's `groups.recover`, in
 * memory), JSON and MessagePack: messages missed during a reconnect arrive once, in order, while
 * sends race the recovery; a duplicate never reaches a handler; a jump is re-joined; and the
 * snapshot fallback when the gap is older than the history.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import type { GroupPosition, JoinInfo } from '@hubwire/client';
import { UpgradedSockets } from '../support/e2e.js';
import { Deferred } from '../support/deferred.js';
import { until, within } from '../support/wait.js';
import { clientScope, DemoHub, publish, range, type DemoServer } from './support.js';

const scope = clientScope();

/**
 * A client whose reconnects wait for `gate` (its token factory does: every negotiate asks it),
 * so a test decides when the client comes back. `cut()` drops its WebSocket without a Close.
 */
async function gatedClient(server: DemoServer, messagepack: boolean) {
  const sockets = new UpgradedSockets(server.hubwire.httpServer!);
  let gate = new Deferred<string>();
  gate.resolve('token');
  const hub = scope.connect(server.url, {
    reconnect: { delays: [0], then: 20, jitter: 0 },
    accessTokenFactory: () => gate.promise,
    ...(messagepack ? { protocol: new MessagePackHubProtocol() } : {}),
  });
  const log: string[] = [];
  const values: number[] = [];
  const positions: GroupPosition[] = [];
  hub.on.tick((value, position) => {
    values.push(value);
    if (position !== undefined) positions.push(position);
    log.push(`tick ${value}`);
  });
  hub.on.snapshot((state) => void log.push(`snapshot ${state.group}@${state.offset}`));
  await within(hub.start(), 5000, 'start');
  return {
    hub,
    values,
    positions,
    log,
    /** Cuts the socket; the client is reconnecting (and held there) when this resolves. */
    async cut(): Promise<void> {
      gate = new Deferred<string>();
      assert.equal(sockets.destroyAll(), 1);
      await until(() => hub.state === 'reconnecting', 5000, 'reconnecting');
    },
    reopen: () => gate.resolve('token'),
  };
}

for (const messagepack of [false, true]) {
  describe(`recoverable subscriptions (${messagepack ? 'MessagePack' : 'JSON'})`, () => {
    it('messages missed during a reconnect arrive once, in order, while sends race the recovery', async () => {
      const server = await scope.server();
      const client = await gatedClient(server, messagepack);
      const { hub } = client;
      const joins: JoinInfo[] = [];
      const recovered: JoinInfo[] = [];
      const subscription = hub.subscribe({
        group: 'room:r',
        join: (since) => hub.invoke.follow('room:r', since ?? null),
        onJoined: (_result, info) => joins.push(info),
        onRecovered: (_result, info) => recovered.push(info),
      });
      await within(subscription.joined, 5000, 'first join');
      await publish(server, 'room:r', range(1, 5));
      await until(() => client.values.length === 5, 5000, 'five ticks');

      await client.cut();
      await publish(server, 'room:r', range(6, 10));
      // Sends go on while the client comes back and recovers.
      const racing = publish(server, 'room:r', range(16, 15));
      client.reopen();
      await racing;
      await until(() => recovered.length === 1, 5000, 'the recovering re-join');
      await publish(server, 'room:r', [31]);
      await until(() => client.values.at(-1) === 31, 5000, 'the last tick');

      assert.deepEqual(client.values, range(1, 31), 'every value once, in order');
      const epoch = client.positions[0]!.epoch;
      assert.deepEqual(
        client.positions.map((p) => p.offset),
        range(1, 31),
      );
      assert.ok(client.positions.every((p) => p.epoch === epoch && p.group === 'room:r'));
      assert.deepEqual(
        joins.map((info) => [info.reason, info.since?.offset]),
        [
          ['subscribe', undefined],
          ['reconnect', 5],
        ],
      );
      assert.equal(recovered[0]!.recovered, true);
      assert.ok(recovered[0]!.replayed >= 10, `replayed ${recovered[0]!.replayed}: at least the ten sent while away`);
      assert.deepEqual(subscription.position, { group: 'room:r', offset: 31, epoch });
      assert.equal(subscription.stats.gaps, 0);
    });

    it('a duplicate position is dropped before any handler sees it, the official connection’s own included', async () => {
      const server = await scope.server();
      const client = await gatedClient(server, messagepack);
      const { hub } = client;
      const raw: unknown[] = [];
      hub.connection.on('tick', (value: unknown) => void raw.push(value));
      const subscription = hub.subscribe({ group: 'room:d', join: (since) => hub.invoke.follow('room:d', since ?? null) });
      await within(subscription.joined, 5000, 'join');
      await publish(server, 'room:d', [1, 2, 3]);
      await until(() => client.values.length === 3, 5000, 'three ticks');
      const third = client.positions[2]!;
      await hub.invoke.replayAt(3, third); // the third message again, as it came
      await hub.invoke.replayAt(100, { ...third, offset: 1 }); // anything below the last offset
      await publish(server, 'room:d', [4]);
      await until(() => client.values.length === 4, 5000, 'the fourth tick');
      assert.deepEqual(client.values, [1, 2, 3, 4]);
      assert.deepEqual(raw, [1, 2, 3, 4]);
      // The two repeats, and whatever the server sent again after each resume (not yet acknowledged).
    assert.ok(subscription.stats.duplicates >= 2, `${subscription.stats.duplicates} duplicates`);
      // A position of a group nobody subscribed to passes untouched.
      await hub.invoke.replayAt(7, { group: 'room:other', offset: 1, epoch: 'x' });
      await until(() => client.values.length === 5, 5000, 'the other group tick');
      assert.equal(client.values[4], 7);
    });

    it('an entry of several messages (one position) reaches handlers whole, live and replayed', async () => {
      const server = await scope.server();
      const client = await gatedClient(server, messagepack);
      const { hub } = client;
      const recovered: JoinInfo[] = [];
      const subscription = hub.subscribe({
        group: 'room:m',
        join: (since) => hub.invoke.follow('room:m', since ?? null),
        onRecovered: (_result, info) => recovered.push(info),
      });
      await within(subscription.joined, 5000, 'join');
      const entries = server.hubwire.hubContext(DemoHub).groups;
      const entry = (values: number[]) => entries.publish('room:m', values.map((value) => ({ target: 'tick', arguments: [value] })));
      await entry([1, 2]);
      await until(() => client.values.length === 2, 5000, 'the first entry');
      await client.cut();
      await entry([3, 4, 5]);
      await entry([6]);
      client.reopen();
      await until(() => recovered.length === 1, 5000, 'the re-join');
      await entry([7, 8]);
      await until(() => client.values.length === 8, 5000, 'every message');
      assert.deepEqual(client.values, range(1, 8));
      assert.deepEqual(
        client.positions.map((p) => p.offset),
        [1, 1, 2, 2, 2, 3, 4, 4],
      );
      assert.equal(recovered[0]!.replayed, 4);
      assert.equal(subscription.stats.duplicates, 0);
    });

    it('a jump is held and re-joined from the last position; what the server cannot fill arrives once, as a reported gap', async () => {
      const server = await scope.server();
      const client = await gatedClient(server, messagepack);
      const { hub } = client;
      const gaps: [number | undefined, number][] = [];
      const joins: JoinInfo[] = [];
      const subscription = hub.subscribe({
        group: 'room:g',
        join: (since) => hub.invoke.follow('room:g', since ?? null),
        onJoined: (_result, info) => joins.push(info),
        onGap: (gap) => gaps.push([gap.from?.offset, gap.to.offset]),
      });
      await within(subscription.joined, 5000, 'join');
      await publish(server, 'room:g', [1, 2]);
      await until(() => client.values.length === 2, 5000, 'two ticks');
      // A message four offsets ahead, as a relay that lost some would deliver it.
      await hub.invoke.replayAt(6, { ...client.positions[1]!, offset: 6 });
      await until(() => joins.length === 2, 5000, 'the gap re-join');
      assert.deepEqual([joins[1]!.reason, joins[1]!.since?.offset], ['gap', 2]);
      await until(() => client.values.length === 3, 5000, 'the held tick');
      assert.deepEqual(client.values, [1, 2, 6]);
      assert.deepEqual(gaps, [[2, 6]]);
    });

    it('a gap older than the history: onMissed and the server’s snapshot come before any live message, nothing old is replayed', async () => {
      const server = await scope.server();
      const client = await gatedClient(server, messagepack);
      const { hub } = client;
      const missed: JoinInfo[] = [];
      const subscription = hub.subscribe({
        group: 'small:s',
        join: (since) => hub.invoke.follow('small:s', since ?? null),
        onMissed: (_result, info) => {
          missed.push(info);
          client.log.push('onMissed');
        },
      });
      await within(subscription.joined, 5000, 'join');
      await publish(server, 'small:s', [1, 2]);
      await until(() => client.values.length === 2, 5000, 'two ticks');
      await client.cut();
      await publish(server, 'small:s', range(3, 8)); // the history keeps 8, 9, 10 only
      client.reopen();
      await until(() => missed.length === 1, 5000, 'onMissed');
      await publish(server, 'small:s', [11, 12]);
      await until(() => client.values.length === 4, 5000, 'live again');
      assert.deepEqual(client.values, [1, 2, 11, 12]);
      assert.deepEqual(client.log.slice(2), ['snapshot small:s@10', 'onMissed', 'tick 11', 'tick 12']);
      assert.equal(missed[0]!.since?.offset, 2);
      assert.equal(missed[0]!.recovered, false);
      assert.equal(subscription.position?.offset, 12);
    });
  });
}

describe('recoverable subscriptions with the official stateful reconnect', () => {
  it('a resumed connection keeps its groups: no re-join, every message once, and dropped duplicates keep the acknowledgements right', async () => {
    const server = await scope.server();
    const sockets = new UpgradedSockets(server.hubwire.httpServer!);
    const hub = scope.connect(server.url, { statefulReconnect: true });
    const values: number[] = [];
    const positions: GroupPosition[] = [];
    hub.on.tick((value, position) => {
      values.push(value);
      if (position !== undefined) positions.push(position);
    });
    await within(hub.start(), 5000, 'start');
    const subscription = hub.subscribe({ group: 'room:s', join: (since) => hub.invoke.follow('room:s', since ?? null) });
    await within(subscription.joined, 5000, 'join');
    await publish(server, 'room:s', [1, 2, 3]);
    await until(() => values.length === 3, 5000, 'three ticks');
    await hub.invoke.replayAt(3, positions[2]!); // dropped: rewritten, still counted by the official client
    const states: string[] = [];
    hub.onStateChange((state) => void states.push(state));
    for (const [round, from] of [
      [1, 4],
      [2, 7],
    ] as const) {
      assert.equal(sockets.destroyAll(), 1, `round ${round}: one socket`);
      await publish(server, 'room:s', range(from, 3));
      await until(() => values.length === from + 2, 5000, `round ${round}: resumed, three more ticks`);
    }
    await hub.invoke.replayAt(9, positions[8]!);
    await publish(server, 'room:s', [10]);
    await until(() => values.length === 10, 5000, 'the last tick');
    assert.deepEqual(values, range(1, 10));
    assert.deepEqual([...states], [], 'the connection resumed: it never left connected');
    assert.equal(subscription.stats.joins, 1);
    // The two repeats, and whatever the server sent again after each resume (not yet acknowledged).
    assert.ok(subscription.stats.duplicates >= 2, `${subscription.stats.duplicates} duplicates`);
  });
});

