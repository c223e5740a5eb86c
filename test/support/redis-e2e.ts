/**
 * Shared setup of the end-to-end Redis tests: HubServers on a Redis backplane (single server,
 * cluster or the ASP.NET layout alike), official clients on them, and one afterEach that stops
 * the clients before the servers. The backplane files also share their hub and the cross-node
 * send scenario, so the single-server and the cluster runs check exactly the same things.
 * @module
 */
import assert from 'node:assert/strict';
import { afterEach } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { Hub, jsonHubProtocol, messagePackHubProtocol, redisLifetimeManager, type HubClass, type RedisLifetimeManagerFactory, type RedisLifetimeManagerOptions } from 'hubwire';
import { Inbox, stopAll } from './e2e.js';
import { clientFor, type signalR } from './signalr-client.js';
import { startTestServer, type TestServer } from './test-server.js';
import { until, within } from './wait.js';

/** What a test started: clients are stopped first, then the cleanups run newest first. */
export class E2eScope {
  readonly open = new Set<signalR.HubConnection>();
  private cleanups: (() => Promise<unknown>)[] = [];

  defer(cleanup: () => Promise<unknown>): void {
    this.cleanups.push(cleanup);
  }

  async cleanup(): Promise<void> {
    await stopAll(this.open);
    this.open.clear();
    for (const cleanup of this.cleanups.reverse()) await cleanup();
    this.cleanups = [];
  }
}

/**
 * A scope whose cleanup runs after each test of the calling file.
 * @example
 * const scope = e2eScope();
 * const { server } = await startRedisNode(scope, ChatHub, { url: 'redis://127.0.0.1:6379', prefix });
 */
export function e2eScope(): E2eScope {
  const scope = new E2eScope();
  afterEach(() => scope.cleanup());
  return scope;
}

/**
 * A HubServer with `hub` at /hub (JSON and MessagePack) on a Redis backplane, `?user=` as its
 * user, closed by the scope; resolves once the backplane is ready. Reconnects are capped at
 * 100 ms so outage tests heal quickly.
 */
export async function startRedisNode(
  scope: E2eScope,
  hub: HubClass,
  options: RedisLifetimeManagerOptions,
): Promise<{ server: TestServer; backplane: RedisLifetimeManagerFactory }> {
  const backplane = redisLifetimeManager({ maxReconnectDelay: 100, ...options });
  const server = await startTestServer((hw) => hw.mapHub('/hub', hub, { protocols: [jsonHubProtocol, messagePackHubProtocol] }), {
    lifetimeManager: backplane,
    authenticate: (req) => {
      const user = req.query.get('user');
      return user === null ? undefined : { userIdentifier: user, claims: { name: user } };
    },
  });
  scope.defer(() => within(server.close(), 5000, 'server close'));
  await within(backplane.ready(), 5000, 'backplane ready');
  return { server, backplane };
}

/** A started official client: its connection, what it received on one method, bounded invokes. */
export interface E2eClient {
  connection: signalR.HubConnection;
  inbox: Inbox;
  invoke<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
}

/**
 * Starts an official client (WebSockets, no negotiation) on /hub of `server`, as `user` if
 * given, MessagePack if asked; `inbox` names the client method recorded (default `msg`).
 */
export async function startClient(scope: E2eScope, server: TestServer, options: { user?: string; messagepack?: boolean; inbox?: string } = {}): Promise<E2eClient> {
  const query = options.user === undefined ? '' : `?user=${options.user}`;
  const builder = clientFor(server.url(`/hub${query}`), { skipNegotiation: true, transport: 1 });
  if (options.messagepack) builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  const inbox = new Inbox(connection, options.inbox ?? 'msg');
  await within(connection.start(), 5000, 'client start');
  scope.open.add(connection);
  const invoke = <T>(method: string, ...args: unknown[]) => within(connection.invoke(method, ...args), 5000, method) as Promise<T>;
  return { connection, inbox, invoke };
}

interface ScaleClient {
  msg(text: string): void;
}

/** The hub of the backplane tests: joins, sends to all, a group, a user, and client results. */
export class ScaleHub extends Hub<ScaleClient> {
  async join(group: string): Promise<void> {
    await this.groups.add(this.context.connectionId, group);
  }
  whoAmI(): string {
    return this.context.connectionId;
  }
  /** Asks a client, possibly on another node, and returns its answer (client results). */
  async ask(connectionId: string, question: string): Promise<unknown> {
    return this.clients.client(connectionId).invoke('Ask', question);
  }
  async toAll(text: string): Promise<void> {
    await this.clients.all.msg(text);
  }
  async toGroup(group: string, text: string): Promise<void> {
    await this.clients.group(group).msg(text);
  }
  async toUser(user: string, text: string): Promise<void> {
    await this.clients.user(user).msg(text);
  }
}

/**
 * Broadcast, group, hub-context group add and user sends from node `one` reach clients on node
 * `two` (a JSON and a MessagePack client), each exactly once.
 */
export async function checkCrossNodeSends(scope: E2eScope, one: TestServer, two: TestServer): Promise<void> {
  const a = await startClient(scope, one, { user: 'alice' });
  const b = await startClient(scope, two, { user: 'alice', messagepack: true });
  const c = await startClient(scope, two, { user: 'bob' });

  await a.invoke('toAll', 'hello all');
  await until(() => [a, b, c].every((x) => x.inbox.has('hello all')), 5000, 'broadcast on both nodes');

  await c.invoke('join', 'room');
  await a.invoke('toGroup', 'room', 'hello room');
  await until(() => c.inbox.has('hello room'), 5000, 'group send across nodes');

  // A group change from node one for a connection on node two, through the hub context.
  const bId = await b.invoke<string>('whoAmI');
  await within(one.hubwire.hubContext(ScaleHub).groups.add(bId, 'room'));
  await one.hubwire.hubContext(ScaleHub).clients.group('room').msg('room again');
  await until(() => b.inbox.has('room again') && c.inbox.has('room again'), 5000, 'remote group add');

  await c.invoke('toUser', 'alice', 'hello alice');
  await until(() => a.inbox.has('hello alice') && b.inbox.has('hello alice'), 5000, 'user on both nodes');
  await a.invoke('toAll', 'marker:end');
  await until(() => [a, b, c].every((x) => x.inbox.has('marker:end')), 5000, 'marker');
  assert.deepEqual(a.inbox.messages, ['hello all', 'hello alice']);
  assert.deepEqual(b.inbox.messages, ['hello all', 'room again', 'hello alice']);
  assert.deepEqual(c.inbox.messages, ['hello all', 'hello room', 'room again']);
}

/**
 * After an outage: `sender` sends a numbered marker to `group` every 100 ms until one reaches
 * `receiver` (within 10 s), since the first sends may still find Redis away.
 */
export async function probeUntilDelivered(sender: E2eClient, receiver: E2eClient, group: string): Promise<void> {
  let probes = 0;
  let lastProbe = 0;
  await until(
    () => {
      if (receiver.inbox.has(`marker:${probes}`)) return true;
      if (Date.now() - lastProbe >= 100) {
        lastProbe = Date.now();
        void sender.invoke('toGroup', group, `marker:${++probes}`).catch(() => undefined);
      }
      return false;
    },
    10_000,
    'a group send to reach node two again',
  );
}
