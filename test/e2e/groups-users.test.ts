/**
 * Audiences: groups, users, connections and the hub context from outside hubs, as the official
 * client receives them.
 *
 * "Nothing else arrives" is checked deterministically: after the message under test, a marker is
 * broadcast to everyone; messages to one connection are written in order, so once every client
 * has its marker, anything the message under test would have delivered has arrived too.
 */
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, type CounterMetrics } from 'hubwire';
import { Inbox, connectWithin, mapLimit, stopAll } from '../support/e2e.js';
import { RecordingLifetimeManager } from '../support/recording-lifetime.js';
import type { signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

interface RoomClient {
  msg(text: string): void;
}

class GroupsHub extends Hub<RoomClient> {
  async join(group: string): Promise<void> {
    await this.groups.add(this.context.connectionId, group);
  }
  async leave(group: string): Promise<void> {
    await this.groups.remove(this.context.connectionId, group);
  }
  async toGroup(group: string, text: string): Promise<void> {
    await this.clients.group(group).msg(text);
  }
  async toGroups(groups: string[], text: string): Promise<void> {
    await this.clients.groups(groups).msg(text);
  }
  async toGroupExcept(group: string, except: string[], text: string): Promise<void> {
    await this.clients.groupExcept(group, except).msg(text);
  }
  async toOthersInGroup(group: string, text: string): Promise<void> {
    await this.clients.othersInGroup(group).msg(text);
  }
  async toOthers(text: string): Promise<void> {
    await this.clients.others.msg(text);
  }
  async toAllExcept(except: string[], text: string): Promise<void> {
    await this.clients.allExcept(except).msg(text);
  }
  async toClient(connectionId: string, text: string): Promise<void> {
    await this.clients.client(connectionId).msg(text);
  }
  async toClients(connectionIds: string[], text: string): Promise<void> {
    await this.clients.clients(connectionIds).msg(text);
  }
  async toUser(user: string, text: string): Promise<void> {
    await this.clients.user(user).msg(text);
  }
  async toUsers(users: string[], text: string): Promise<void> {
    await this.clients.users(users).msg(text);
  }
  whoAmI(): { connectionId: string; user: string | null } {
    return { connectionId: this.context.connectionId, user: this.context.userIdentifier ?? null };
  }
}

/** One started client with everything it received on `msg`. */
interface Party {
  readonly connection: signalR.HubConnection;
  readonly id: string;
  readonly inbox: Inbox;
}

let server: TestServer;
let lifetime: RecordingLifetimeManager;
const open = new Set<signalR.HubConnection>();
let markers = 0;

async function parties(count: number, query = ''): Promise<Party[]> {
  return mapLimit(Array.from({ length: count }, (_, i) => i), 10, async () => {
    const connection = await connectWithin(server.url('/hub') + query);
    open.add(connection);
    return { connection, id: connection.connectionId!, inbox: new Inbox(connection, 'msg') };
  });
}

/** Broadcasts a marker to everyone and waits until each party has it. */
async function flush(all: readonly Party[]): Promise<void> {
  const marker = `marker:${++markers}`;
  await within(server.hubwire.hubContext(GroupsHub).clients.all.msg(marker));
  await until(() => all.every((p) => p.inbox.has(marker)), 5000, `marker ${marker} at every client`);
}

/** What each party received (markers left out), after a flush. */
async function received(all: readonly Party[]): Promise<unknown[][]> {
  await flush(all);
  const result = all.map((p) => p.inbox.messages);
  for (const p of all) p.inbox.clear();
  return result;
}

function invoke(p: Party, method: string, ...args: unknown[]): Promise<unknown> {
  return within(p.connection.invoke(method, ...args), 5000, `invoke ${method}`);
}

function messagesSent(): number {
  return (server.hubwire.metrics as CounterMetrics).byLabel('hub', '/hub').messagesSent ?? 0;
}

before(async () => {
  server = await startTestServer((hw) => hw.mapHub('/hub', GroupsHub), {
    authenticate: (req) => {
      const user = req.query.get('user');
      return user === null ? undefined : { userIdentifier: user, claims: { name: user } };
    },
    lifetimeManager: ({ hubPath, metrics }) => (lifetime = new RecordingLifetimeManager({ metrics, labels: { hub: hubPath } })),
  });
});

afterEach(async () => {
  await stopAll(open);
  open.clear();
  // Later tests broadcast markers to `all`; wait until the stopped connections are gone.
  await until(() => server.hubwire.connectionCount() === 0, 5000, 'connections to close');
});

after(async () => {
  await stopAll(open);
  await within(server.close(), 5000, 'server close');
});

describe('groups', () => {
  test('groups.add is awaitable: a group send right after join reaches the member', async () => {
    const all = await parties(3);
    const [a, b] = all as [Party, Party, Party];
    await invoke(a, 'join', 'g');
    // No waiting between the join completing and the send.
    await within(server.hubwire.hubContext(GroupsHub).clients.group('g').msg('from outside'));
    await invoke(b, 'toGroup', 'g', 'from a non-member');
    assert.deepEqual(await received(all), [['from outside', 'from a non-member'], [], []]);
  });

  test('groups.remove stops delivery; removing a non-member and sending to an empty group are no-ops', async () => {
    const all = await parties(2);
    const [a, b] = all as [Party, Party];
    await invoke(a, 'join', 'g');
    await invoke(b, 'join', 'g');
    await invoke(a, 'toGroup', 'g', 'both');
    await invoke(a, 'leave', 'g');
    await invoke(a, 'leave', 'g');
    await invoke(a, 'leave', 'never-joined');
    await invoke(a, 'toGroup', 'g', 'b only');
    await invoke(a, 'toGroup', 'empty-group', 'nobody');
    assert.deepEqual(await received(all), [['both'], ['both', 'b only']]);
  });

  test('joining a group twice still delivers once', async () => {
    const all = await parties(1);
    const [a] = all as [Party];
    await invoke(a, 'join', 'g');
    await invoke(a, 'join', 'g');
    await invoke(a, 'toGroup', 'g', 'once');
    assert.deepEqual(await received(all), [['once']]);
  });

  test('group names are case-sensitive', async () => {
    const all = await parties(2);
    const [a, b] = all as [Party, Party];
    await invoke(a, 'join', 'room');
    await invoke(b, 'join', 'Room');
    await invoke(a, 'toGroup', 'Room', 'upper');
    assert.deepEqual(await received(all), [[], ['upper']]);
  });

  test('clients.groups([a, b]) reaches a member of both groups once', async () => {
    const all = await parties(4);
    const [both, onlyA, onlyB] = all as [Party, Party, Party, Party];
    await invoke(both, 'join', 'a');
    await invoke(both, 'join', 'b');
    await invoke(onlyA, 'join', 'a');
    await invoke(onlyB, 'join', 'b');
    await invoke(both, 'toGroups', ['a', 'b'], 'x');
    assert.deepEqual(await received(all), [['x'], ['x'], ['x'], []]);
  });

  test('clients.groupExcept skips the excluded connections', async () => {
    const all = await parties(4);
    const [p0, p1, p2, outside] = all as [Party, Party, Party, Party];
    for (const p of [p0, p1, p2]) await invoke(p, 'join', 'g');
    await invoke(outside, 'toGroupExcept', 'g', [p1.id], 'x');
    assert.deepEqual(await received(all), [['x'], [], ['x'], []]);
  });

  test('clients.othersInGroup skips the caller', async () => {
    const all = await parties(3);
    const [caller, member] = all as [Party, Party, Party];
    await invoke(caller, 'join', 'g');
    await invoke(member, 'join', 'g');
    await invoke(caller, 'toOthersInGroup', 'g', 'x');
    assert.deepEqual(await received(all), [[], ['x'], []]);
  });
});

describe('connections', () => {
  test('clients.others reaches everyone but the caller', async () => {
    const all = await parties(3);
    await invoke(all[0]!, 'toOthers', 'x');
    assert.deepEqual(await received(all), [[], ['x'], ['x']]);
  });

  test('clients.allExcept skips the listed connections', async () => {
    const all = await parties(4);
    await invoke(all[0]!, 'toAllExcept', [all[1]!.id, all[2]!.id], 'x');
    assert.deepEqual(await received(all), [['x'], [], [], ['x']]);
  });

  test('clients.client and clients.clients reach exactly the listed connections, each once', async () => {
    const all = await parties(4);
    const [p0, p1, p2] = all as [Party, Party, Party, Party];
    await invoke(p0, 'toClient', p1.id, 'single');
    await invoke(p0, 'toClients', [p0.id, p2.id, p2.id, 'no-such-connection'], 'several');
    await invoke(p0, 'toClient', 'no-such-connection', 'nobody');
    assert.deepEqual(await received(all), [['several'], ['single'], ['several'], []]);
  });
});

describe('users', () => {
  test('the authenticator sees the query string and sets context.userIdentifier', async () => {
    const [alice] = (await parties(1, '?user=alice')) as [Party];
    const [anon] = (await parties(1)) as [Party];
    assert.deepEqual(await invoke(alice, 'whoAmI'), { connectionId: alice.id, user: 'alice' });
    assert.deepEqual(await invoke(anon, 'whoAmI'), { connectionId: anon.id, user: null });
  });

  test('clients.user reaches every connection of the user', async () => {
    const alice = await parties(2, '?user=alice');
    const bob = await parties(1, '?user=bob');
    const anon = await parties(1);
    const all = [...alice, ...bob, ...anon];
    await invoke(anon[0]!, 'toUser', 'alice', 'hi alice');
    assert.deepEqual(await received(all), [['hi alice'], ['hi alice'], [], []]);
    await invoke(alice[0]!, 'toUser', 'nobody', 'lost');
    assert.deepEqual(await received(all), [[], [], [], []]);
  });

  test('clients.users reaches every connection of any listed user, each once', async () => {
    const alice = await parties(2, '?user=alice');
    const bob = await parties(1, '?user=bob');
    const carol = await parties(1, '?user=carol');
    const anon = await parties(1);
    const all = [...alice, ...bob, ...carol, ...anon];
    await invoke(anon[0]!, 'toUsers', ['alice', 'bob', 'alice'], 'x');
    assert.deepEqual(await received(all), [['x'], ['x'], ['x'], [], []]);
  });

  test('user ids are case-sensitive', async () => {
    const all = await parties(1, '?user=alice');
    await invoke(all[0]!, 'toUser', 'Alice', 'x');
    assert.deepEqual(await received(all), [[]]);
  });
});

describe('hubContext from outside a hub', () => {
  test('clients.all, groups.add by connection id, group and groups.remove', async () => {
    const all = await parties(3);
    const [p0, p1] = all as [Party, Party, Party];
    const context = server.hubwire.hubContext(GroupsHub);
    await within(context.clients.all.msg('everyone'));
    await within(context.groups.add(p0.id, 'outside'));
    await within(context.groups.add(p1.id, 'outside'));
    await within(context.clients.group('outside').msg('group'));
    await within(context.groups.remove(p0.id, 'outside'));
    await within(context.clients.group('outside').send('msg', 'after remove'));
    assert.deepEqual(await received(all), [
      ['everyone', 'group'],
      ['everyone', 'group', 'after remove'],
      ['everyone'],
    ]);
  });

  test('hubContext by path reaches the same hub', async () => {
    const all = await parties(2);
    const context = server.hubwire.hubContext('/hub');
    await within(context.clients.client(all[1]!.id).send('msg', 'by path'));
    assert.deepEqual(await received(all), [[], ['by path']]);
  });

  test('a group joined in a hub method is visible to the hub context and vice versa', async () => {
    const all = await parties(2);
    const [p0, p1] = all as [Party, Party];
    const context = server.hubwire.hubContext(GroupsHub);
    await invoke(p0, 'join', 'shared');
    await within(context.groups.add(p1.id, 'shared'));
    await within(context.clients.group('shared').msg('from context'));
    await invoke(p0, 'toGroup', 'shared', 'from hub');
    assert.deepEqual(await received(all), [
      ['from context', 'from hub'],
      ['from context', 'from hub'],
    ]);
  });
});

describe('disconnects', () => {
  test('a disconnected connection leaves its groups', async () => {
    const all = await parties(2);
    const [leaving, staying] = all as [Party, Party];
    await invoke(leaving, 'join', 'g');
    await invoke(leaving, 'join', 'h');
    await invoke(staying, 'join', 'g');
    assert.ok(lifetime.isMember(leaving.id, 'g'));

    await within(leaving.connection.stop(), 5000, 'client stop');
    open.delete(leaving.connection);
    await lifetime.disconnected(leaving.id);
    assert.equal(lifetime.knows(leaving.id), false);

    // A send to its groups now counts one recipient (staying) in 'g' and none in 'h'.
    const before = messagesSent();
    await invoke(staying, 'toGroup', 'g', 'g after');
    await invoke(staying, 'toGroup', 'h', 'h after');
    assert.equal(messagesSent() - before, 1, 'only the remaining member is addressed');
    assert.deepEqual(await received([staying]), [['g after']]);
  });

  test('adding a connection that has ended to a group is ignored', async () => {
    const all = await parties(2);
    const [gone, staying] = all as [Party, Party];
    await within(gone.connection.stop(), 5000, 'client stop');
    open.delete(gone.connection);
    await lifetime.disconnected(gone.id);
    const context = server.hubwire.hubContext(GroupsHub);
    await within(context.groups.add(gone.id, 'late'));
    await within(context.groups.add(staying.id, 'late'));
    const before = messagesSent();
    await within(context.clients.group('late').msg('x'));
    assert.equal(messagesSent() - before, 1);
    assert.deepEqual(await received([staying]), [['x']]);
  });
});
