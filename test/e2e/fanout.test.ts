/**
 * Fan-out at a modest scale: 200 official clients in 4 groups of 50, broadcasts to all and to
 * each group; every client gets every message of its audience exactly once and nothing else.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from 'hubwire';
import { connectMany, mapLimit, onceCallback, stopAll } from '../support/e2e.js';
import type { signalR } from '../support/signalr-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until, within } from '../support/wait.js';

const CLIENTS = 200;
const GROUPS = ['g0', 'g1', 'g2', 'g3'] as const;

interface FanoutClient {
  broadcast(id: string): void;
}

class FanoutHub extends Hub<FanoutClient> {
  async join(group: string): Promise<void> {
    await this.groups.add(this.context.connectionId, group);
  }
  async toAll(id: string): Promise<void> {
    await this.clients.all.broadcast(id);
  }
  async toGroup(group: string, id: string): Promise<void> {
    await this.clients.group(group).broadcast(id);
  }
}

/** What one client received: message id → times. */
interface Tally {
  readonly connection: signalR.HubConnection;
  readonly group: string;
  readonly counts: Map<string, number>;
  total: number;
}

let server: TestServer;
let clients: signalR.HubConnection[] = [];

before(async () => {
  server = await startTestServer((hw) => hw.mapHub('/hub', FanoutHub));
});

after(async () => {
  await stopAll(clients);
  await within(server.close(), 5000, 'server close');
});

test(`${CLIENTS} clients in ${GROUPS.length} groups get each broadcast of their audience exactly once`, { timeout: 30_000 }, async () => {
  clients = await within(connectMany(server.url('/hub'), CLIENTS, 20), 15_000, `${CLIENTS} clients to start`);
  assert.equal(clients.length, CLIENTS);
  assert.equal(new Set(clients.map((c) => c.connectionId)).size, CLIENTS, 'every connection has its own id');
  await until(() => server.hubwire.connectionCount() === CLIENTS, 5000, 'the server to count every connection');

  const tallies: Tally[] = clients.map((connection, i) => {
    const tally: Tally = { connection, group: GROUPS[i % GROUPS.length]!, counts: new Map(), total: 0 };
    connection.on('broadcast', (id: string) => {
      tally.counts.set(id, (tally.counts.get(id) ?? 0) + 1);
      tally.total++;
    });
    return tally;
  });
  await within(
    mapLimit(tallies, 20, (t) => t.connection.invoke('join', t.group)),
    10_000,
    'every client to join its group',
  );

  // Broadcasts: to all from a hub method and from the hub context; to each group both ways too.
  const context = server.hubwire.hubContext(FanoutHub);
  const toAll = ['all-1', 'all-2', 'all-3'];
  await within(tallies[0]!.connection.invoke('toAll', 'all-1'));
  await within(context.clients.all.broadcast('all-2'));
  const perGroup = new Map<string, string[]>();
  for (const [i, group] of GROUPS.entries()) {
    const fromHub = `${group}-hub`;
    const fromContext = `${group}-context`;
    perGroup.set(group, [fromHub, fromContext]);
    // Invoked by a client of another group: the caller's own membership does not matter.
    await within(tallies[(i + 1) % GROUPS.length]!.connection.invoke('toGroup', group, fromHub));
    await within(context.clients.group(group).broadcast(fromContext));
  }
  await within(context.clients.all.broadcast('all-3'));

  const expectedPerClient = toAll.length + 2;
  await until(
    () => tallies.every((t) => t.total >= expectedPerClient),
    10_000,
    `every client to receive ${expectedPerClient} broadcasts`,
  );
  // Anything extra would have been written before this final marker; wait for it everywhere.
  await within(context.clients.all.broadcast('final'));
  await until(() => tallies.every((t) => t.counts.has('final')), 10_000, 'the final marker at every client');

  for (const [i, t] of tallies.entries()) {
    const expected = new Map([...toAll, ...perGroup.get(t.group)!, 'final'].map((id) => [id, 1]));
    assert.deepEqual(t.counts, expected, `client ${i} (${t.group}) received ${JSON.stringify([...t.counts])}`);
  }
  assert.equal(server.hubwire.connectionCount(), CLIENTS, 'no connection was dropped along the way');

  // Every client stops cleanly: onclose without an error, and the server forgets them all.
  const closes = clients.map((c) => onceCallback<[Error | undefined]>((cb) => c.onclose(cb), 15_000, 'onclose'));
  await within(
    mapLimit(clients, 50, (c) => c.stop()),
    15_000,
    'every client to stop',
  );
  const errors = (await Promise.all(closes)).map(([error]) => error).filter((error) => error !== undefined);
  assert.deepEqual(errors, [], 'onclose got no errors');
  await until(() => server.hubwire.connectionCount() === 0, 5000, 'the server to drop every connection');
});
