/**
 * The presence cases of the lifetime-manager conformance suite: what `manager.presence` answers
 * on one node (every implementation) and across nodes (implementations with a backplane, asked
 * from a node other than the one that wrote). Registered by {@link lifetimeManagerSuite}.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page, PageOptions, PresenceConnection } from '../presence.js';
import type { FakeConnection } from './fake-connection.js';
import type { TestNode } from './lifetime-manager-suite.js';

/** What the presence cases need of the suite around them. */
export interface PresenceSuiteHooks {
  readonly name: string;
  readonly sharedBackplane: boolean;
  nodes(count: number): Promise<TestNode[]>;
  connect(node: TestNode, id: string, user?: string): Promise<FakeConnection>;
}

/** Walks every page of `ask` with `limit`, returning the pages' lengths and all items. */
async function walk<T>(ask: (options: PageOptions) => Promise<Page<T>>, limit?: number): Promise<{ sizes: number[]; items: T[] }> {
  const sizes: number[] = [];
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await ask(limit === undefined ? { cursor } : { cursor, limit });
    sizes.push(page.items.length);
    items.push(...page.items);
    cursor = page.cursor;
    assert.ok(sizes.length <= 1000, 'the walk ends');
  } while (cursor !== undefined);
  return { sizes, items };
}

const ids = (connections: readonly PresenceConnection[]) => connections.map((connection) => connection.connectionId);
const pad = (i: number) => String(i).padStart(3, '0');

/** Registers the presence cases. */
export function presenceSuite(hooks: PresenceSuiteHooks): void {
  const { nodes, connect } = hooks;

  describe(`${hooks.name}: presence on one node`, () => {
    test('a group: its connections with user and node, its distinct users, anonymous connections no user', async () => {
      const [node] = await nodes(1);
      const { manager } = node!;
      await connect(node!, 'a', 'alice');
      await connect(node!, 'b', 'bob');
      await connect(node!, 'c', 'alice');
      await connect(node!, 'd');
      for (const id of ['d', 'c', 'b', 'a']) await manager.addToGroup(id, 'room');
      await manager.addToGroup('c', 'other');
      const { presence } = manager;
      const [self] = await presence.nodes();
      const page = await presence.groupConnections('room');
      assert.deepEqual(page, {
        items: [
          { connectionId: 'a', userIdentifier: 'alice', nodeId: self!.nodeId },
          { connectionId: 'b', userIdentifier: 'bob', nodeId: self!.nodeId },
          { connectionId: 'c', userIdentifier: 'alice', nodeId: self!.nodeId },
          { connectionId: 'd', userIdentifier: undefined, nodeId: self!.nodeId },
        ],
        cursor: undefined,
      });
      assert.equal(await presence.groupConnectionCount('room'), 4);
      assert.deepEqual(await presence.groupUsers('room'), { items: ['alice', 'bob'], cursor: undefined });
      assert.equal(await presence.groupUserCount('room'), 2);
      assert.deepEqual(await presence.groupUsers('other'), { items: ['alice'], cursor: undefined });
      assert.deepEqual(await presence.groupConnections('empty'), { items: [], cursor: undefined });
      assert.equal(await presence.groupConnectionCount('Room'), 0, 'group names are case-sensitive');
      assert.equal(await presence.groupUserCount('empty'), 0);
    });

    test('paging through a group larger than a page returns every member exactly once', async () => {
      const [node] = await nodes(1);
      const { manager } = node!;
      for (let i = 0; i < 250; i++) {
        await connect(node!, `c-${pad(i)}`, `u-${pad(i % 45)}`);
        await manager.addToGroup(`c-${pad(i)}`, 'big');
      }
      const expected = Array.from({ length: 250 }, (_, i) => `c-${pad(i)}`);
      const byDefault = await walk((options) => manager.presence.groupConnections('big', options));
      assert.deepEqual(byDefault.sizes, [100, 100, 50], 'the default page holds 100');
      assert.deepEqual(ids(byDefault.items), expected);
      const small = await walk((options) => manager.presence.groupConnections('big', options), 7);
      assert.equal(small.sizes.length, 36);
      assert.deepEqual(ids(small.items), expected);
      const exact = await walk((options) => manager.presence.groupConnections('big', options), 250);
      assert.deepEqual(exact.sizes, [250], 'a page that holds the whole group is the last');
      const users = await walk((options) => manager.presence.groupUsers('big', options), 20);
      assert.deepEqual(users.sizes, [20, 20, 5]);
      assert.deepEqual(users.items, Array.from({ length: 45 }, (_, i) => `u-${pad(i)}`));
      assert.equal(await manager.presence.groupUserCount('big'), 45);
      assert.equal(await manager.presence.groupConnectionCount('big'), 250);
    });

    test('a walk goes on past a member that left after its page, and bad page options are refused', async () => {
      const [node] = await nodes(1);
      const { manager } = node!;
      for (const id of ['a', 'b', 'c', 'd', 'e']) {
        await connect(node!, id);
        await manager.addToGroup(id, 'g');
      }
      const first = await manager.presence.groupConnections('g', { limit: 2 });
      assert.deepEqual(ids(first.items), ['a', 'b']);
      await manager.removeFromGroup('b', 'g');
      await manager.removeFromGroup('a', 'g');
      const second = await manager.presence.groupConnections('g', { cursor: first.cursor, limit: 2 });
      assert.deepEqual(ids(second.items), ['c', 'd']);
      const third = await manager.presence.groupConnections('g', { cursor: second.cursor, limit: 2 });
      assert.deepEqual(third, { items: [{ connectionId: 'e', userIdentifier: undefined, nodeId: first.items[0]!.nodeId }], cursor: undefined });
      assert.deepEqual(ids((await manager.presence.groupConnections('g', { cursor: null, limit: null })).items), ['c', 'd', 'e'], 'null asks for the first page, default length');
      for (const limit of [0, 1001, 2.5, Number.NaN]) {
        await assert.rejects(manager.presence.groupConnections('g', { limit }), { code: 'HUB_ERR_INVALID_OPTION' });
      }
      await assert.rejects(manager.presence.groupUsers('g', { cursor: 'not a cursor!' }), { code: 'HUB_ERR_INVALID_OPTION' });
      await assert.rejects(manager.presence.groupConnectionCount(''), TypeError);
    });

    test('users: the connections of a user, online or not, after disconnects', async () => {
      const [node] = await nodes(1);
      const { manager } = node!;
      const a = await connect(node!, 'a', 'alice');
      await connect(node!, 'b', 'bob');
      const c = await connect(node!, 'c', 'alice');
      assert.deepEqual(ids(await manager.presence.userConnections('alice')), ['a', 'c']);
      assert.equal(await manager.presence.isUserOnline('alice'), true);
      assert.equal(await manager.presence.isUserOnline('nobody'), false);
      assert.deepEqual(await manager.presence.userConnections('nobody'), []);
      await manager.onDisconnected(a);
      assert.deepEqual(ids(await manager.presence.userConnections('alice')), ['c']);
      assert.equal(await manager.presence.isUserOnline('alice'), true);
      await manager.onDisconnected(c);
      assert.equal(await manager.presence.isUserOnline('alice'), false);
      assert.equal(await manager.presence.isUserOnline('bob'), true);
    });

    test("the hub's groups: listed by name with their connection counts, paged, gone with their last member", async () => {
      const [node] = await nodes(1);
      const { manager } = node!;
      const a = await connect(node!, 'a', 'alice');
      await connect(node!, 'b', 'bob');
      assert.deepEqual(await manager.presence.groups(), { items: [], cursor: undefined }, 'no group before a join');
      assert.equal(await manager.presence.groupCount(), 0);
      await manager.addToGroup('a', 'room');
      await manager.addToGroup('b', 'room');
      await manager.addToGroup('a', 'lobby');
      await manager.addToGroup('b', 'Room');
      assert.deepEqual(await manager.presence.groups(), {
        items: [
          { group: 'Room', connections: 1 },
          { group: 'lobby', connections: 1 },
          { group: 'room', connections: 2 },
        ],
        cursor: undefined,
      });
      assert.equal(await manager.presence.groupCount(), 3);
      for (let i = 0; i < 25; i++) await manager.addToGroup('b', `g-${pad(i)}`);
      const walked = await walk((options) => manager.presence.groups(options), 10);
      assert.deepEqual(walked.sizes, [10, 10, 8]);
      assert.deepEqual(
        walked.items.map((item) => item.group),
        ['Room', ...Array.from({ length: 25 }, (_, i) => `g-${pad(i)}`), 'lobby', 'room'],
      );
      await manager.removeFromGroup('a', 'lobby');
      await manager.onDisconnected(a);
      const left = await walk((options) => manager.presence.groups(options));
      assert.equal(left.items.some((item) => item.group === 'lobby'), false, 'the last member left it');
      assert.deepEqual(left.items.find((item) => item.group === 'room'), { group: 'room', connections: 1 }, "a disconnect takes its member out of the count");
      assert.equal(await manager.presence.groupCount(), 27);
      await assert.rejects(manager.presence.groups({ limit: 0 }), { code: 'HUB_ERR_INVALID_OPTION' });
      await assert.rejects(manager.presence.groups({ cursor: 'not a cursor!' }), { code: 'HUB_ERR_INVALID_OPTION' });
    });

    test('group answers follow removes and disconnects; the hub counts its connections', async () => {
      const [node] = await nodes(1);
      const { manager } = node!;
      const a = await connect(node!, 'a', 'alice');
      await connect(node!, 'b', 'bob');
      await connect(node!, 'c', 'alice');
      for (const id of ['a', 'b', 'c']) await manager.addToGroup(id, 'room');
      await manager.addToGroup('a', 'room');
      assert.equal(await manager.presence.groupConnectionCount('room'), 3, 'adding a member twice counts it once');
      await manager.removeFromGroup('b', 'room');
      await manager.removeFromGroup('b', 'room');
      assert.deepEqual(await manager.presence.groupUsers('room'), { items: ['alice'], cursor: undefined });
      await manager.onDisconnected(a);
      assert.deepEqual(ids((await manager.presence.groupConnections('room')).items), ['c']);
      assert.equal(await manager.presence.groupUserCount('room'), 1, 'alice is still in through c');
      assert.equal(await manager.presence.connectionCount(), 2);
      const [self, ...others] = await manager.presence.nodes();
      assert.deepEqual(others, []);
      assert.equal(self!.connections, 2);
      assert.ok(Math.abs(Date.now() - self!.lastHeartbeat) < 10_000, `lastHeartbeat ${self!.lastHeartbeat} is recent`);
    });
  });

  if (!hooks.sharedBackplane) return;

  describe(`${hooks.name}: presence across nodes (needs a shared backplane)`, () => {
    test('every node answers for the connections, groups and users of all nodes', async () => {
      const [n1, n2, n3] = await nodes(3);
      await connect(n1!, 'a', 'alice');
      await connect(n1!, 'b', 'bob');
      await connect(n2!, 'c', 'alice');
      await connect(n2!, 'd', 'carol');
      await n1!.manager.addToGroup('a', 'room');
      await n2!.manager.addToGroup('c', 'room');
      await n2!.manager.addToGroup('d', 'room');
      const { presence } = n3!.manager;
      const members = (await presence.groupConnections('room')).items;
      assert.deepEqual(ids(members), ['a', 'c', 'd']);
      const [one, two] = [members[0]!.nodeId, members[1]!.nodeId];
      assert.notEqual(one, two);
      assert.deepEqual(members.map((member) => member.nodeId), [one, two, two]);
      assert.equal(await presence.groupConnectionCount('room'), 3);
      assert.deepEqual(await presence.groupUsers('room'), { items: ['alice', 'carol'], cursor: undefined });
      assert.equal(await presence.groupUserCount('room'), 2);
      assert.deepEqual(await presence.userConnections('alice'), [
        { connectionId: 'a', userIdentifier: 'alice', nodeId: one },
        { connectionId: 'c', userIdentifier: 'alice', nodeId: two },
      ]);
      assert.equal(await n1!.manager.presence.isUserOnline('carol'), true);
      assert.equal(await n2!.manager.presence.isUserOnline('bob'), true);
      for (const node of [n1!, n2!, n3!]) assert.equal(await node.manager.presence.connectionCount(), 4);
      const figures = (await n1!.manager.presence.nodes()).map((node) => node.connections);
      assert.deepEqual(figures.sort(), [0, 2, 2]);
    });

    test("every node lists the groups of all nodes with their members counted over the nodes; a closing node's groups go with it", async () => {
      const [n1, n2, n3] = await nodes(3);
      await connect(n1!, 'a', 'alice');
      await connect(n2!, 'b', 'bob');
      await connect(n2!, 'c', 'carol');
      await n1!.manager.addToGroup('a', 'shared');
      await n2!.manager.addToGroup('b', 'shared');
      await n2!.manager.addToGroup('c', 'only-on-2');
      const expected = [
        { group: 'only-on-2', connections: 1 },
        { group: 'shared', connections: 2 },
      ];
      for (const node of [n1!, n2!, n3!]) {
        assert.deepEqual(await node.manager.presence.groups(), { items: expected, cursor: undefined });
        assert.equal(await node.manager.presence.groupCount(), 2);
      }
      await n2!.manager.close?.();
      assert.deepEqual(await n1!.manager.presence.groups(), { items: [{ group: 'shared', connections: 1 }], cursor: undefined });
      assert.equal(await n3!.manager.presence.groupCount(), 1);
    });

    test('paging through a group spread over nodes returns every member exactly once', async () => {
      const [n1, n2] = await nodes(2);
      const expected: string[] = [];
      for (let i = 0; i < 150; i++) {
        const node = i % 2 === 0 ? n1! : n2!;
        const id = `c-${pad(i)}`;
        expected.push(id);
        await connect(node, id, `u-${i % 10}`);
        await node.manager.addToGroup(id, 'big');
      }
      const walked = await walk((options) => n1!.manager.presence.groupConnections('big', options), 40);
      assert.deepEqual(walked.sizes, [40, 40, 40, 30]);
      assert.deepEqual(ids(walked.items), expected);
      assert.equal(new Set(walked.items.map((item) => item.nodeId)).size, 2);
      assert.equal(await n2!.manager.presence.groupUserCount('big'), 10);
    });

    test('a remote group change, a disconnect and a user leaving are seen from every node', async () => {
      const [n1, n2] = await nodes(2);
      await connect(n1!, 'a', 'alice');
      const b = await connect(n2!, 'b', 'bob');
      await n1!.manager.addToGroup('b', 'room');
      assert.deepEqual(ids((await n1!.manager.presence.groupConnections('room')).items), ['b'], 'done when the remote add resolves');
      await n1!.manager.removeFromGroup('b', 'room');
      assert.equal(await n1!.manager.presence.groupConnectionCount('room'), 0);
      await n2!.manager.addToGroup('b', 'room');
      await n2!.manager.onDisconnected(b);
      assert.equal(await n1!.manager.presence.isUserOnline('bob'), false);
      assert.equal(await n1!.manager.presence.groupConnectionCount('room'), 0);
      assert.equal(await n1!.manager.presence.groupUserCount('room'), 0);
      assert.equal(await n1!.manager.presence.connectionCount(), 1);
    });

    test('a node that closes takes its connections out of every answer at once', async () => {
      const [n1, n2] = await nodes(2);
      await connect(n1!, 'a', 'alice');
      await connect(n2!, 'b', 'alice');
      await connect(n2!, 'c', 'bob');
      await n1!.manager.addToGroup('a', 'room');
      await n2!.manager.addToGroup('b', 'room');
      await n2!.manager.addToGroup('c', 'room');
      assert.equal((await n1!.manager.presence.nodes()).length, 2);
      await n2!.manager.close?.();
      assert.deepEqual(ids((await n1!.manager.presence.groupConnections('room')).items), ['a']);
      assert.deepEqual(await n1!.manager.presence.groupUsers('room'), { items: ['alice'], cursor: undefined });
      assert.equal(await n1!.manager.presence.isUserOnline('bob'), false);
      assert.deepEqual(ids(await n1!.manager.presence.userConnections('alice')), ['a']);
      assert.equal(await n1!.manager.presence.connectionCount(), 1);
      assert.equal((await n1!.manager.presence.nodes()).length, 1);
    });
  });
}
