/**
 * Presence end to end: two HubServers on the shared Redis, official clients (JSON and
 * MessagePack) on both; `this.presence` inside hub methods and `hubContext(Hub).presence`
 * outside them answer for both nodes, follow a client that leaves, and drop a server that
 * closes as soon as its close() resolves.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Hub, type PageOptions } from 'hubwire';
import { e2eScope, startClient, startRedisNode } from '../support/redis-e2e.js';
import type { TestServer } from '../support/test-server.js';
import { within } from '../support/wait.js';

class PresenceHub extends Hub {
  async join(room: string): Promise<void> {
    await this.groups.add(this.context.connectionId, room);
  }
  whoAmI(): string {
    return this.context.connectionId;
  }
  /** Clients send every argument; null stands for "none" (the first page, the default limit). */
  members(room: string, limit: number | null, cursor: string | null) {
    const options: PageOptions = { limit, cursor };
    return this.presence.groupConnections(room, options);
  }
  async roomUsers(room: string) {
    return { users: (await this.presence.groupUsers(room)).items, count: await this.presence.groupUserCount(room) };
  }
  online(user: string): Promise<boolean> {
    return this.presence.isUserOnline(user);
  }
}

const scope = e2eScope();

const node = (prefix: string) => startRedisNode(scope, PresenceHub, { url: 'redis://127.0.0.1:6379', prefix });

async function client(server: TestServer, user: string, messagepack = false) {
  const started = await startClient(scope, server, { user, messagepack });
  return { ...started, id: await started.invoke<string>('whoAmI') };
}

async function eventually(condition: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Presence over Redis, end to end', () => {
  test('this.presence and hubContext().presence answer for clients on both nodes', async () => {
    const prefix = `e2e-${randomUUID()}`;
    const [one, two] = [await node(prefix), await node(prefix)];
    const [oneId, twoId] = [one.backplane.managers[0]!.nodeId, two.backplane.managers[0]!.nodeId];
    const a = await client(one.server, 'alice');
    const b = await client(two.server, 'alice', true);
    const c = await client(two.server, 'bob');
    for (const x of [a, b, c]) await x.invoke('join', 'room');

    // Inside a hub method, on node one, about connections of both nodes.
    const expected = [
      { connectionId: a.id, userIdentifier: 'alice', nodeId: oneId },
      { connectionId: b.id, userIdentifier: 'alice', nodeId: twoId },
      { connectionId: c.id, userIdentifier: 'bob', nodeId: twoId },
    ].sort((x, y) => (x.connectionId < y.connectionId ? -1 : 1));
    const page = await a.invoke<{ items: unknown[]; cursor?: string }>('members', 'room', null, null);
    assert.deepEqual(page.items, expected);
    // Paged from a MessagePack client on node two: two pages, each member once.
    const first = await b.invoke<{ items: { connectionId: string }[]; cursor?: string }>('members', 'room', 2, null);
    const second = await b.invoke<{ items: { connectionId: string }[]; cursor?: string | null }>('members', 'room', 2, first.cursor);
    assert.deepEqual([...first.items, ...second.items].map((item) => item.connectionId), expected.map((item) => item.connectionId));
    assert.equal(second.cursor ?? undefined, undefined);
    assert.deepEqual(await c.invoke('roomUsers', 'room'), { users: ['alice', 'bob'], count: 2 });

    // Outside hubs, through the hub context of node one.
    const { presence } = one.server.hubwire.hubContext(PresenceHub);
    assert.deepEqual((await presence.userConnections('alice')).map((x) => x.nodeId).sort(), [oneId, twoId].sort());
    assert.equal(await presence.connectionCount(), 3);
    assert.deepEqual(
      (await presence.nodes()).map((x) => [x.nodeId, x.connections]).sort(),
      [
        [oneId, 1],
        [twoId, 2],
      ].sort(),
    );

    await c.connection.stop();
    scope.open.delete(c.connection);
    await eventually(async () => !(await a.invoke<boolean>('online', 'bob')), 5000, 'bob to go offline');
    assert.equal(await presence.groupConnectionCount('room'), 2);

    // A clean close of node two takes its connections out at once.
    await within(two.server.close(), 5000, 'node two close');
    scope.open.delete(b.connection);
    assert.deepEqual((await presence.groupConnections('room')).items, [{ connectionId: a.id, userIdentifier: 'alice', nodeId: oneId }]);
    assert.deepEqual((await presence.nodes()).map((x) => x.nodeId), [oneId]);
    assert.deepEqual(await a.invoke('roomUsers', 'room'), { users: ['alice'], count: 1 });
  });
});
