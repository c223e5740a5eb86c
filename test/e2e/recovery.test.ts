/**
 * Recoverable groups with the official @microsoft/signalr client (JSON and MessagePack), on one
 * server with the in-memory history: the trailing position argument, a client that comes back
 * on a new connection and is replayed what it missed while sends race the recovery, and the
 * snapshot path when the gap is older than the history.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHubServer, Hub, HubwireError, jsonHubProtocol, MemoryLifetimeManager, messagePackHubProtocol, type RecoveryResult } from 'hubwire';
import { e2eScope } from '../support/redis-e2e.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';
import { assertContiguous, FeedHub, publishEach, range, RECOVERY, startFeedClient, untilAtTop } from './recovery-support.js';

const scope = e2eScope();

async function startServer(): Promise<TestServer> {
  const server = await startTestServer((hw) => hw.mapHub('/hub', FeedHub, { protocols: [jsonHubProtocol, messagePackHubProtocol], recovery: RECOVERY }));
  scope.defer(() => within(server.close(), 5000, 'server close'));
  return server;
}

for (const messagepack of [false, true]) {
  const protocol = messagepack ? 'MessagePack' : 'JSON';

  describe(`recoverable groups with the official client (${protocol})`, () => {
    it('delivers the position as a trailing argument: a one-argument handler ignores it, a two-argument one reads it', async () => {
      const server = await startServer();
      const client = await startFeedClient(scope, server, { messagepack });
      const oneArgument: unknown[] = [];
      const twoArguments: [unknown, unknown][] = [];
      client.connection.on('news', (item: unknown) => oneArgument.push(item));
      client.connection.on('news', (item: unknown, position: unknown) => twoArguments.push([item, position]));
      await client.invoke('join', 'feed:a');
      await client.invoke('post', 'feed:a', { n: 1 });
      await client.invoke('post', 'feed:a', 'two');
      await client.invoke('post', 'feed:a', 3);
      await until(() => twoArguments.length === 3, 5000, 'three group messages');
      assert.deepEqual(oneArgument, [{ n: 1 }, 'two', 3]);
      const positions = client.positions();
      const epoch = positions[0]!.epoch;
      assert.ok(typeof epoch === 'string' && epoch.length > 0, 'an epoch');
      assertContiguous(positions, 'feed:a', epoch, 1);
      assert.deepEqual(twoArguments.map(([, position]) => position), positions);
      assert.deepEqual(await server.hubwire.hubContext(FeedHub).groups.position('feed:a'), { offset: 3, epoch });
    });

    it('sends no position with positionArgument false, nor with sends to several groups (not recorded)', async () => {
      const server = await startServer();
      const client = await startFeedClient(scope, server, { messagepack });
      await client.invoke('join', 'bare:a');
      await client.invoke('join', 'feed:b');
      await client.invoke('post', 'bare:a', 'bare');
      await client.invoke('postToGroups', ['feed:b', 'bare:a'], 'both');
      await client.invoke('post', 'feed:b', 'positioned');
      await until(() => client.items().length === 3, 5000, 'three messages');
      assert.deepEqual(client.items(), ['bare', 'both', 'positioned']);
      const news = client.log.filter((entry) => entry.kind === 'news');
      assert.deepEqual(news.map((entry) => entry.extra.length), [0, 0, 1]);
      // The send to two groups took no offset of feed:b: the next one is its first.
      assert.equal((news[2]!.extra[0] as { offset: number }).offset, 1);
      assert.equal((await server.hubwire.hubContext(FeedHub).groups.position('bare:a')).offset, 1);
    });

    it('replays every missed message to a client back on a new connection, then goes on live, with sends racing the recovery', async () => {
      const server = await startServer();
      const group = 'feed:race';
      const first = await startFeedClient(scope, server, { messagepack });
      const joined = await first.invoke<RecoveryResult>('follow', group, null);
      assert.equal(joined.recovered, false);
      assert.equal(joined.replayed, 0);
      assert.equal(joined.position.offset, 0);
      await publishEach(server.hubwire, group, range(1, 3));
      const last = await untilAtTop(server.hubwire, first, group);
      await within(first.connection.stop(), 5000, 'first client stop');
      scope.open.delete(first.connection);

      await publishEach(server.hubwire, group, range(4, 7)); // missed: 4..10
      const second = await startFeedClient(scope, server, { messagepack });
      const racing = publishEach(server.hubwire, group, range(11, 30)); // while the recovery runs
      const result = await second.invoke<RecoveryResult>('follow', group, { offset: last.offset, epoch: last.epoch });
      await within(racing, 10_000, 'racing sends');
      await untilAtTop(server.hubwire, second, group);

      assert.equal(result.recovered, true);
      assert.equal(result.position.epoch, last.epoch);
      assert.ok(result.replayed >= 7, `replayed ${result.replayed}: at least the 7 missed`);
      assert.equal(result.position.offset, last.offset + result.replayed);
      assert.deepEqual(second.items(), range(4, 37), 'every message after the last seen, once, in order');
      assertContiguous(second.positions(), group, last.epoch, last.offset + 1);
      assert.ok(second.log.every((entry) => entry.kind === 'news'), 'no snapshot');
    });

    it('answers recovered with nothing replayed for a client that missed nothing', async () => {
      const server = await startServer();
      const group = 'feed:quiet';
      await publishEach(server.hubwire, group, ['a', 'b']);
      const top = await server.hubwire.hubContext(FeedHub).groups.position(group);
      const client = await startFeedClient(scope, server, { messagepack });
      const result = await client.invoke<RecoveryResult>('follow', group, top);
      assert.deepEqual(result, { recovered: true, position: top, replayed: 0 });
      await client.invoke('post', group, 'c');
      await untilAtTop(server.hubwire, client, group);
      assert.deepEqual(client.items(), ['c']);
      assertContiguous(client.positions(), group, top.epoch, 3);
    });

    it('beyond the history window runs the snapshot hook before any live message and answers recovered false', async () => {
      const server = await startServer();
      const group = 'small:window';
      const first = await startFeedClient(scope, server, { messagepack });
      await first.invoke('follow', group, null);
      await publishEach(server.hubwire, group, [1]);
      const last = await untilAtTop(server.hubwire, first, group);
      await within(first.connection.stop(), 5000, 'first client stop');
      scope.open.delete(first.connection);

      await publishEach(server.hubwire, group, range(2, 10)); // the history keeps 7..11 only
      const second = await startFeedClient(scope, server, { messagepack });
      const racing = publishEach(server.hubwire, group, range(12, 20));
      const result = await second.invoke<RecoveryResult>('follow', group, { offset: last.offset, epoch: last.epoch });
      await within(racing, 10_000, 'racing sends');
      await publishEach(server.hubwire, group, [32]); // live for sure, should the racing sends all have come first
      await untilAtTop(server.hubwire, second, group);

      assert.equal(result.recovered, false);
      assert.equal(result.replayed, 0);
      assert.equal(result.position.epoch, last.epoch);
      assert.deepEqual(second.log[0], { kind: 'snapshot', state: { group, offset: result.position.offset } }, 'the snapshot comes first');
      assert.equal(second.log.filter((entry) => entry.kind === 'snapshot').length, 1);
      // Live from the snapshot's position on: nothing at or below it, nothing twice, no gap.
      assert.deepEqual(second.items(), range(result.position.offset + 1, 32 - result.position.offset));
      assertContiguous(second.positions(), group, last.epoch, result.position.offset + 1);
    });

    it('treats a position of another epoch as missed (the history started again)', async () => {
      const server = await startServer();
      const group = 'feed:epoch';
      await publishEach(server.hubwire, group, ['a', 'b', 'c']);
      const client = await startFeedClient(scope, server, { messagepack });
      const result = await client.invoke<RecoveryResult>('follow', group, { offset: 1, epoch: 'an-epoch-of-before' });
      assert.equal(result.recovered, false);
      assert.equal(result.position.offset, 3);
      await client.invoke('post', group, 'd');
      await untilAtTop(server.hubwire, client, group);
      assert.deepEqual(client.log.map((entry) => entry.kind), ['snapshot', 'news']);
      assert.deepEqual(client.items(), ['d']);
    });
  });
}

describe('recoverable groups in the hub API', () => {
  it('refuses recover, publish and position for a group no spec matches, and on a hub without recovery', async () => {
    class PlainHub extends Hub {}
    const server = await startTestServer((hw) => hw.mapHub('/hub', FeedHub, { recovery: RECOVERY }).mapHub('/plain', PlainHub));
    scope.defer(() => within(server.close(), 5000, 'server close'));
    const isRecoveryError = (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_RECOVERY' && /Group 'room' is not recoverable/.test(error.message);
    for (const groups of [server.hubwire.hubContext(FeedHub).groups, server.hubwire.hubContext(PlainHub).groups]) {
      await assert.rejects(groups.recover('some-connection', 'room'), isRecoveryError);
      await assert.rejects(groups.publish('room', [{ target: 'news', arguments: [1] }]), isRecoveryError);
      await assert.rejects(groups.position('room'), isRecoveryError);
    }
    await assert.rejects(server.hubwire.hubContext(FeedHub).groups.publish('feed:x', []), (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_RECOVERY');
    // A connection that is not on this node cannot recover.
    await assert.rejects(server.hubwire.hubContext(FeedHub).groups.recover('no-such-connection', 'feed:x'), (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_RECOVERY');
  });

  it('publishes several messages at one position and drops an application offset already passed', async () => {
    const server = await startServer();
    const group = 'feed:publish';
    const client = await startFeedClient(scope, server);
    await client.invoke('follow', group, null);
    const groups = server.hubwire.hubContext(FeedHub).groups;
    const first = await groups.publish(group, [
      { target: 'news', arguments: ['event 10'] },
      { target: 'news', arguments: ['artifact 10'] },
    ], { offset: 10 });
    assert.deepEqual({ offset: first.position.offset, duplicate: first.duplicate }, { offset: 10, duplicate: false });
    const again = await groups.publish(group, [{ target: 'news', arguments: ['event 10 again'] }], { offset: 10 });
    assert.deepEqual({ offset: again.position.offset, duplicate: again.duplicate }, { offset: 10, duplicate: true });
    await groups.publish(group, [{ target: 'news', arguments: ['event 11'] }]);
    await untilAtTop(server.hubwire, client, group);
    assert.deepEqual(client.items(), ['event 10', 'artifact 10', 'event 11']);
    assert.deepEqual(client.positions().map((p) => p.offset), [10, 10, 11]);
  });

  it('builds the lifetime manager with the first mapping\u2019s recovery and refuses a second mapping with other options', async () => {
    const server = await startTestServer((hw) => hw.mapHub('/hub', FeedHub, { recovery: RECOVERY }).mapHub('/again', FeedHub, { recovery: RECOVERY }).mapHub('/third', FeedHub));
    scope.defer(() => within(server.close(), 5000, 'server close'));
    assert.throws(
      () => server.hubwire.mapHub('/other', FeedHub, { recovery: { groups: [{ match: 'other:*' }] } }),
      (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_INVALID_OPTION' && /already mapped on '\/hub'/.test(error.message),
    );
    assert.equal((await server.hubwire.hubContext('/third').groups.position('feed:z')).offset, 0);
  });

  it('refuses recovery on a lifetime manager that does not offer it', async () => {
    const hubwire = createHubServer({ lifetimeManager: () => new MemoryLifetimeManager() });
    scope.defer(() => hubwire.close());
    assert.throws(
      () => hubwire.mapHub('/hub', FeedHub, { recovery: RECOVERY }),
      (error: unknown) => error instanceof HubwireError && error.code === 'HUB_ERR_INVALID_OPTION' && /does not offer recovery/.test(error.message),
    );
  });
});

