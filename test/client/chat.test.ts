/**
 * @hubwire/client in the server app's /hubs/chat workflows (one node, memory history): a
 * `hub.subscribe` per workflow whose join is `JoinWorkflow(id, fromPosition)`. After a cut socket
 * the client reconnects, re-joins every workflow from its last position, and the workflow's
 * messages, joins and leaves it missed while away arrive once, in order, also while others keep
 * talking during the re-join; beyond the workflow's window (200 entries) the join answers
 * `recovered: false`, `onMissed` runs and the workflow goes on live from the answer's position.
 * A member's own UserJoined (sent to the others only) leaves a jump in its stream that one
 * re-join covers, without a gap reported.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { LogLevel } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { connectHub, type GroupPosition, type HubClient, type JoinInfo, type StreamPosition } from '@hubwire/client';
import type { ChatClient, MessageAck, WorkflowJoin } from '../../apps/server/src/modules/chat/chat-hub.js';
import { Deferred } from '../support/deferred.js';
import { UpgradedSockets } from '../support/e2e.js';
import { until, within } from '../support/wait.js';
import { signalR, startTestApp, type TestApp } from '../server/support.js';

/** /hubs/chat as a browser app declares it (docs/hubs.md). */
interface ChatServer {
  JoinWorkflow(workflowId: string, fromPosition: StreamPosition | null): Promise<WorkflowJoin>;
  LeaveWorkflow(workflowId: string): Promise<void>;
  SendMessage(text: string): Promise<MessageAck>;
}

/** What a member saw, in arrival order: `[workflow, what]` with what = the text, or `+user` / `-user(reason)`. */
type Seen = [string, string];

describe('@hubwire/client on /hubs/chat: JoinWorkflow(id, fromPosition) through hub.subscribe', () => {
  let server: TestApp;
  let sockets: UpgradedSockets;
  const hubs: HubClient<any, any>[] = [];

  before(async () => {
    server = await startTestApp();
    sockets = new UpgradedSockets(server.app.http);
  });
  // Each test's members stop with it, so a cut reaches only the next test's member.
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((hub) => within(hub.stop(), 5000, 'hub stop').catch(() => undefined)));
  });
  after(() => server.stop());

  /**
   * An official client of `user` that joined `workflows` (it talks; the member under test
   * listens). On Server-Sent Events, so cutting the WebSockets cuts only the member.
   */
  async function talker(user: string, workflows: readonly string[]) {
    const connection = await server.connect('/hubs/chat', { token: await server.token(user), transport: signalR.HttpTransportType.ServerSentEvents });
    const left: string[] = [];
    connection.on('UserLeft', (change: { user: string }) => void left.push(change.user));
    for (const id of workflows) await within(connection.invoke('JoinWorkflow', id), 5000, 'talker join');
    return {
      connection,
      /** Who left its workflows so far (UserLeft). */
      left,
      /** Sends each text in turn (to every workflow it joined), each awaited. */
      async say(...texts: string[]): Promise<void> {
        for (const text of texts) await within(connection.invoke('SendMessage', text), 5000, `say ${text}`);
      },
    };
  }

  /** john.doe on @hubwire/client, subscribed to `workflows`; after `cut()` its reconnect waits for `reopen()`. */
  async function member(workflows: readonly string[], options: { messagePack?: boolean } = {}) {
    const token = await server.token('john.doe');
    let gate = Promise.resolve(token);
    let open = (): void => undefined;
    const errors: unknown[] = [];
    const hub = connectHub<ChatServer, ChatClient>(server.url('/hubs/chat'), {
      logger: LogLevel.None,
      reconnect: { delays: [0], then: 20, jitter: 0 },
      accessTokenFactory: () => gate,
      onError: (error) => void errors.push(error),
      ...(options.messagePack === true ? { protocol: new MessagePackHubProtocol() } : {}),
    });
    hubs.push(hub);
    const seen: Seen[] = [];
    const offsets = new Map<string, number[]>();
    const record = (workflowId: string, what: string, position: GroupPosition | undefined) => {
      seen.push([workflowId, what]);
      if (position === undefined) return;
      const list = offsets.get(position.group) ?? [];
      list.push(position.offset);
      offsets.set(position.group, list);
    };
    hub.on.ReceiveMessage((message, position) => record(message.workflowId ?? '', message.text, position));
    hub.on.UserJoined((change, position) => record(change.workflowId, `+${change.user}`, position));
    hub.on.UserLeft((change, position) => record(change.workflowId, `-${change.user}(${change.reason})`, position));
    const joins: JoinInfo[] = [];
    const missed: JoinInfo[] = [];
    const subscriptions = workflows.map((id) =>
      hub.subscribe({
        group: `workflow:${id}`,
        join: (since) => hub.invoke.JoinWorkflow(id, since ?? null),
        onJoined: (_answer, info) => void joins.push(info),
        onMissed: (_answer, info) => void missed.push(info),
      }),
    );
    await within(Promise.all(subscriptions.map((subscription) => subscription.joined)), 5000, 'the first joins');
    return {
      hub,
      seen,
      /** The joins after reconnects (gap re-joins left out: see the todo test). */
      rejoins: () => joins.filter((info) => info.reason === 'reconnect'),
      offsets,
      joins,
      missed,
      errors,
      subscriptions,
      /** Cuts the socket (no Close frame, as a network failure) and holds the reconnect at its token. */
      async cut(): Promise<void> {
        const held = new Deferred<string>();
        gate = held.promise;
        open = () => held.resolve(token);
        assert.equal(sockets.destroyAll(), 1, 'one WebSocket to cut');
        await until(() => hub.state === 'reconnecting', 5000, 'reconnecting');
      },
      reopen: () => open(),
    };
  }

  /** Offsets strictly increasing: each position once, in order (holes are the member's own UserJoined, sent to the others). */
  function assertIncreasing(offsets: readonly number[] | undefined, what: string): void {
    assert.ok(offsets !== undefined && offsets.every((offset, i) => i === 0 || offset > offsets[i - 1]!), `${what}: ${JSON.stringify(offsets)}`);
  }

  it('a reconnect re-joins from the last position: what was missed arrives once, in order, with talk racing the re-join', async () => {
    const id = `wf-${randomUUID().slice(0, 8)}`;
    const john = await member([id]);
    assert.equal(john.subscriptions[0]!.position?.offset, 0, 'a new workflow stands at 0 (john\'s own UserJoined, 1, went to nobody)');
    const jane = await talker('jane.smith', [id]);
    await jane.say('before');
    await until(() => john.seen.length === 2, 5000, "jane's join and 'before'");

    await john.cut();
    // Its own leave (the lost connection's onDisconnected) is an entry of the workflow too.
    await until(() => jane.left.includes('john.doe'), 5000, "john's leave at jane");
    await jane.say('missed 1', 'missed 2');
    const racing = jane.say('raced 1', 'raced 2', 'raced 3');
    john.reopen();
    await racing;
    await until(() => john.rejoins().length === 1, 5000, 'the re-join');
    await jane.say('live');
    await until(() => john.seen.some(([, what]) => what === 'live'), 5000, "'live'");

    assert.deepEqual(john.seen, [
      [id, '+jane.smith'],
      [id, 'before'],
      [id, '-john.doe(disconnected)'],
      [id, 'missed 1'],
      [id, 'missed 2'],
      [id, 'raced 1'],
      [id, 'raced 2'],
      [id, 'raced 3'],
      [id, 'live'],
    ]);
    const offsets = john.offsets.get(`workflow:${id}`)!;
    assert.deepEqual(offsets.slice(0, 5), [2, 3, 4, 5, 6], 'up to the missed ones: every position');
    assertIncreasing(offsets, 'then in order, once each');
    assert.equal(offsets.at(-1), 11, "ten entries: john's two UserJoined are the two it did not get");
    const [rejoin] = john.rejoins();
    assert.deepEqual([rejoin!.since?.offset, rejoin!.recovered], [3, true]);
    assert.ok(rejoin!.replayed >= 3 && rejoin!.replayed <= 6, `replayed ${rejoin!.replayed}: the leave, the two missed, and the raced ones the replay reached`);
    assert.deepEqual(john.missed, []);
    assert.equal(john.subscriptions[0]!.stats.duplicates, 0, 'the server sent nothing twice');
    assert.deepEqual(john.errors, []);
  });

  it('every workflow subscribed is recovered after each of two reconnects (MessagePack)', async () => {
    const [a, b] = [`wf-a-${randomUUID().slice(0, 8)}`, `wf-b-${randomUUID().slice(0, 8)}`];
    const john = await member([a, b], { messagePack: true });
    const jane = await talker('jane.smith', [a]);
    const admin = await talker('admin', [b]);
    await until(() => john.seen.length === 2, 5000, 'both joins');

    await john.cut();
    await jane.say('a1');
    await admin.say('b1', 'b2');
    john.reopen();
    await until(() => john.rejoins().length === 2, 5000, 'both re-joins');
    await john.cut();
    await admin.say('b3');
    await jane.say('a2', 'a3');
    john.reopen();
    await until(() => john.rejoins().length === 4, 5000, 'both re-joins again');
    await jane.say('a4');
    await admin.say('b4');
    await until(() => john.seen.some(([, what]) => what === 'a4') && john.seen.some(([, what]) => what === 'b4'), 5000, 'the live ones');

    const texts = (workflow: string) => john.seen.filter(([w]) => w === workflow).map(([, what]) => what);
    // The second re-join replays the first new connection's join and leave: they were sent to
    // the workflow after what the first re-join replayed, and only that connection was spared them.
    const [joined, left] = ['+john.doe', '-john.doe(disconnected)'];
    assert.deepEqual(texts(a), ['+jane.smith', left, 'a1', joined, left, 'a2', 'a3', 'a4']);
    assert.deepEqual(texts(b), ['+admin', left, 'b1', 'b2', joined, left, 'b3', 'b4']);
    assertIncreasing(john.offsets.get(`workflow:${a}`), a);
    assertIncreasing(john.offsets.get(`workflow:${b}`), b);
    assert.deepEqual(
      john.rejoins().map((info) => info.recovered),
      [true, true, true, true],
    );
    assert.deepEqual(john.missed, []);
    assert.deepEqual(
      john.subscriptions.map((subscription) => subscription.stats.duplicates),
      [0, 0],
    );
    assert.deepEqual(john.errors, []);
  });

  it('beyond the window (200 entries): recovered false, onMissed, then live from the answer', async () => {
    const id = `wf-${randomUUID().slice(0, 8)}`;
    const john = await member([id]);
    const jane = await talker('jane.smith', [id]);
    await jane.say('before');
    await until(() => john.seen.length === 2, 5000, "jane's join and 'before'");

    await john.cut();
    await until(() => jane.left.includes('john.doe'), 5000, "john's leave at jane");
    // With john's leave that makes 201 entries after his position: the first of them is trimmed.
    await jane.say(...Array.from({ length: 200 }, (_, i) => `away ${i + 1}`));
    john.reopen();
    await until(() => john.rejoins().length === 1, 5000, 'the re-join');
    await jane.say('live');
    await until(() => john.seen.some(([, what]) => what === 'live'), 5000, "'live'");

    const [rejoin] = john.rejoins();
    assert.deepEqual([rejoin!.since?.offset, rejoin!.recovered, rejoin!.replayed], [3, false, 0]);
    assert.deepEqual(john.missed.map((info) => info.since?.offset), [3]);
    assert.equal(rejoin!.position?.offset, 204, 'the answer stands at the top: the leave (4) and 200 messages');
    assert.deepEqual(
      john.seen.map(([, what]) => what),
      ['+jane.smith', 'before', 'live'],
      'nothing of the gap: a workflow has no snapshot',
    );
    assert.deepEqual(john.offsets.get(`workflow:${id}`), [2, 3, 206], "205 is john's own UserJoined");
    assert.deepEqual(john.errors, []);
  });

  // A member's own UserJoined is an entry sent to the others only (`othersInGroup`), so the
  // member's stream skips its offset. The next message looks like a jump: the client re-joins once
  // (JoinWorkflow again, "already joined", answers the top), the answer covers the jump, and it is
  // not reported as a gap — nothing was missed. The extra call is the cost of `except` on a
  // recoverable group (docs/recovery.md).
  it('a member that joins sees no gap before the next message: the jump over its own UserJoined is covered by one re-join', async () => {
    const id = `wf-${randomUUID().slice(0, 8)}`;
    const john = await member([id]);
    const jane = await talker('jane.smith', [id]);
    await jane.say('hello');
    await until(() => john.seen.length === 2 && john.subscriptions[0]!.stats.joins === 2, 5000, "jane's join and 'hello', and john's one re-join");
    const stats = john.subscriptions[0]!.stats;
    assert.deepEqual({ gaps: stats.gaps, duplicates: stats.duplicates, joins: stats.joins }, { gaps: 0, duplicates: 0, joins: 2 });
    assert.deepEqual(john.errors, []);
  });
});
