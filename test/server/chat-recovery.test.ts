/**
 * Workflows of /hubs/chat are recoverable groups (one node, memory history), with the official
 * client: what is sent to a workflow carries its position; a member that rejoins after a
 * reconnect with the last one is replayed the ReceiveMessage, UserJoined and UserLeft it missed,
 * as they were sent and in order, then goes on live; a message to everyone carries no position;
 * a position of another epoch is not recovered.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { GroupPosition } from 'hubwire';
import type { WorkflowJoin } from '../../apps/server/src/modules/chat/chat-hub.js';
import { until, within } from '../support/wait.js';
import { startTestApp, type TestApp } from './support.js';

const EVENTS = ['ReceiveMessage', 'UserJoined', 'UserLeft'] as const;

interface Received {
  readonly method: (typeof EVENTS)[number];
  readonly payload: any;
  readonly extra: readonly unknown[];
}

describe('/hubs/chat: rejoining a workflow after a reconnect', () => {
  let server: TestApp;

  before(async () => {
    server = await startTestApp();
  });
  after(() => server.stop());

  async function member(user: string) {
    const connection = await server.connect('/hubs/chat', { token: await server.token(user) });
    const log: Received[] = [];
    for (const method of EVENTS) connection.on(method, (payload: unknown, ...extra: unknown[]) => log.push({ method, payload, extra }));
    return {
      connection,
      log,
      invoke: <T>(method: string, ...args: unknown[]) => within(connection.invoke<T>(method, ...args), 5000, method),
      /** What arrived, as [method, user or text, reason]. */
      seen: () => log.map((entry) => [entry.method, entry.method === 'ReceiveMessage' ? entry.payload.text : entry.payload.user, entry.payload.reason ?? null]),
    };
  }

  test('the member is replayed what the workflow said meanwhile, joins and leaves included, then goes on live', async () => {
    const workflow = `wf-${randomUUID().slice(0, 8)}`;
    const jane = await member('jane.smith');
    const john = await member('john.doe');
    const joined = await jane.invoke<WorkflowJoin>('JoinWorkflow', workflow);
    assert.deepEqual({ ...joined, position: { ...joined.position, epoch: '' } }, { workflowId: workflow, position: { group: `workflow:${workflow}`, offset: 0, epoch: '' } });
    await john.invoke('JoinWorkflow', workflow);
    await jane.invoke('SendMessage', 'before');
    await until(() => john.log.some((entry) => entry.payload.text === 'before'), 5000, "john gets 'before'");
    const last = john.log.at(-1)!.extra[0] as GroupPosition;
    assert.deepEqual(last, { group: `workflow:${workflow}`, offset: 3, epoch: joined.position.epoch }, "the two UserJoined were 1 and 2 (each to the others only), jane's message 3");
    await within(john.connection.stop(), 5000, 'john drops off');

    await until(() => jane.log.some((entry) => entry.method === 'UserLeft'), 5000, 'UserLeft (disconnected) at jane');
    await jane.invoke('SendMessage', 'while you were away');
    const admin = await member('admin');
    await admin.invoke('JoinWorkflow', workflow);
    await admin.invoke('SendMessage', 'hello from admin');
    await admin.invoke('LeaveWorkflow', workflow);

    const back = await member('john.doe');
    const result = await back.invoke<WorkflowJoin>('JoinWorkflow', workflow, last);
    assert.deepEqual(
      back.seen(),
      [
        ['UserLeft', 'john.doe', 'disconnected'],
        ['ReceiveMessage', 'while you were away', null],
        ['UserJoined', 'admin', null],
        ['ReceiveMessage', 'hello from admin', null],
        ['UserLeft', 'admin', 'left'],
      ],
      'as they were sent, in order',
    );
    assert.deepEqual(result, { workflowId: workflow, position: { ...last, offset: last.offset + 5 }, recovered: true, replayed: 5 });
    assert.deepEqual(
      back.log.map((entry) => (entry.extra[0] as GroupPosition).offset),
      [4, 5, 6, 7, 8],
    );
    await until(() => jane.log.some((entry) => entry.method === 'UserJoined' && entry.payload.connectionId === back.connection.connectionId), 5000, 'jane sees john again');
    await jane.invoke('SendMessage', 'welcome back');
    await until(() => back.log.length === 6, 5000, 'the live message');
    assert.deepEqual(back.seen().at(-1), ['ReceiveMessage', 'welcome back', null]);
    assert.equal((back.log.at(-1)!.extra[0] as GroupPosition).offset, 10, 'john’s own UserJoined (9) went to the others only');
    // Joining again changes nothing and answers where the workflow stands.
    assert.deepEqual(await back.invoke('JoinWorkflow', workflow, last), { workflowId: workflow, position: { ...last, offset: 10 } });
  });

  test('a position of another epoch is not recovered: nothing replayed, live from there; a message to everyone has no position', async () => {
    const workflow = `wf-${randomUUID().slice(0, 8)}`;
    const jane = await member('jane.smith');
    await jane.invoke('JoinWorkflow', workflow);
    await jane.invoke('SendMessage', 'one');
    const back = await member('john.doe');
    const result = await back.invoke<WorkflowJoin>('JoinWorkflow', workflow, { offset: 1, epoch: 'gone' });
    assert.equal(result.recovered, false);
    assert.equal(result.replayed, 0);
    assert.equal(result.position.offset, 2);
    await jane.invoke('SendMessage', 'two');
    await until(() => back.log.length === 1, 5000, 'the live message');
    assert.deepEqual(back.seen(), [['ReceiveMessage', 'two', null]]);
    assert.deepEqual(back.log[0]!.extra, [{ group: `workflow:${workflow}`, offset: 4, epoch: result.position.epoch }]);
    await assert.rejects(back.invoke('JoinWorkflow', 'wf-other', { offset: 'x', epoch: 'e' }), /HubException: fromPosition is the last position the client received/);

    const outsider = await member('admin');
    await outsider.invoke('SendMessage', 'to everyone');
    await until(() => outsider.log.length === 1, 5000, 'the message to everyone');
    assert.deepEqual(outsider.log[0]!.extra, [], 'no position outside a workflow');
  });
});
