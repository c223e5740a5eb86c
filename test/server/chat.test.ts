import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Inbox, nextMessage } from '../support/e2e.js';
import { until, within } from '../support/wait.js';
import { logLine, signalR, startTestApp, type TestApp } from './support.js';
import { MAX_WORKFLOWS_PER_CONNECTION } from '../../apps/server/src/modules/chat/chat-hub.js';

type Connection = signalR.HubConnection;
interface Message {
  messageId: string;
  user: string;
  text: string;
  workflowId: string | null;
  timestamp: string;
}

describe('/hubs/chat', () => {
  let server: TestApp;
  let jane: Connection;
  let john: Connection;
  let admin: Connection;
  before(async () => {
    server = await startTestApp({ CHAT_MAX_MESSAGE_LENGTH: '50' });
    jane = await server.connect('/hubs/chat', { token: await server.token('jane.smith') });
    john = await server.connect('/hubs/chat', { token: await server.token('john.doe') });
    admin = await server.connect('/hubs/chat', { token: await server.token('admin') });
  });
  after(() => server.stop());

  /** Sends `text` from `from` and waits until each of `expected` got it; returns what each received. */
  async function send(from: Connection, text: string, expected: Connection[]): Promise<{ ack: { messageId: string; receivedAt: string }; got: Map<Connection, Message[]> }> {
    const inboxes = new Map([jane, john, admin].map((connection) => [connection, new Inbox(connection, 'ReceiveMessage')]));
    try {
      const ack = (await within(from.invoke('SendMessage', text), 5000, 'SendMessage')) as { messageId: string; receivedAt: string };
      const mine = (connection: Connection) => (inboxes.get(connection)!.received as Message[]).filter((message) => message.messageId === ack.messageId);
      await until(() => expected.every((connection) => mine(connection).length > 0), 5000, `'${text}' to arrive`);
      return { ack, got: new Map([jane, john, admin].map((connection) => [connection, mine(connection)])) };
    } finally {
      for (const connection of [jane, john, admin]) connection.off('ReceiveMessage');
    }
  }

  test('SendMessage without workflows goes to every connection and returns {messageId, receivedAt}', async () => {
    const { ack, got } = await send(jane, 'hello all', [jane, john, admin]);
    assert.match(ack.messageId, /^[0-9a-f-]{36}$/);
    assert.equal(new Date(ack.receivedAt).toISOString(), ack.receivedAt);
    const [message] = got.get(john)!;
    assert.deepEqual(message, { messageId: ack.messageId, user: 'jane.smith', text: 'hello all', workflowId: null, timestamp: ack.receivedAt });
  });

  test('JoinWorkflow tells the other members; messages then go only to the workflows joined', async () => {
    const janeSeesJoin = nextMessage(jane, 'UserJoined');
    await jane.invoke('JoinWorkflow', 'wf-1');
    await john.invoke('JoinWorkflow', 'wf-1');
    const [joined] = (await janeSeesJoin) as [{ workflowId: string; user: string; connectionId: string }];
    assert.deepEqual([joined.workflowId, joined.user, joined.connectionId], ['wf-1', 'john.doe', john.connectionId]);
    assert.deepEqual(await jane.invoke('GetWorkflows'), ['wf-1']);

    const adminInbox = new Inbox(admin, 'ReceiveMessage');
    const johnInbox = new Inbox(john, 'ReceiveMessage');
    const janeInbox = new Inbox(jane, 'ReceiveMessage');
    const ack = (await jane.invoke('SendMessage', 'in wf-1')) as { messageId: string };
    await until(() => johnInbox.received.length === 1 && janeInbox.received.length === 1, 5000, 'the workflow message');
    assert.equal((johnInbox.received[0] as Message).workflowId, 'wf-1');
    assert.equal((johnInbox.received[0] as Message).messageId, ack.messageId);
    // admin joined no workflow: its message goes to all; arriving at admin proves jane's did not.
    const adminAck = (await admin.invoke('SendMessage', 'from admin to all')) as { messageId: string };
    await until(() => adminInbox.received.length >= 1, 5000, "admin's own message");
    assert.deepEqual((adminInbox.received as Message[]).map((message) => message.messageId), [adminAck.messageId], 'admin is not in wf-1');
    for (const connection of [jane, john, admin]) connection.off('ReceiveMessage');
  });

  test('GetWorkflowMembers lists who is in a workflow the caller joined, itself included; another workflow is refused', async () => {
    // jane and john joined wf-1 in the test before; admin joined none.
    const answer = (await jane.invoke('GetWorkflowMembers', 'wf-1')) as { workflowId: string; members: { connectionId: string; user: string | null }[]; more: boolean };
    assert.equal(answer.workflowId, 'wf-1');
    assert.equal(answer.more, false);
    const byConnection = (members: { connectionId: string; user: string | null }[]) => Object.fromEntries(members.map((member) => [member.connectionId, member.user]));
    assert.deepEqual(byConnection(answer.members), { [jane.connectionId!]: 'jane.smith', [john.connectionId!]: 'john.doe' });
    await assert.rejects(admin.invoke('GetWorkflowMembers', 'wf-1'), /Join the workflow first to see who is in it\./);
    await assert.rejects(jane.invoke('GetWorkflowMembers', 'bad id!'), /HubException/);
  });

  test('a member of several workflows sends to each, with its workflowId', async () => {
    await jane.invoke('JoinWorkflow', 'wf-2');
    const inbox = new Inbox(jane, 'ReceiveMessage');
    const ack = (await jane.invoke('SendMessage', 'to both')) as { messageId: string };
    await until(() => inbox.received.length === 2, 5000, 'two copies');
    assert.deepEqual((inbox.received as Message[]).map((message) => message.workflowId).sort(), ['wf-1', 'wf-2']);
    assert.ok((inbox.received as Message[]).every((message) => message.messageId === ack.messageId));
    jane.off('ReceiveMessage');
    await jane.invoke('LeaveWorkflow', 'wf-2');
  });

  test('a connection may be in at most MAX_WORKFLOWS_PER_CONNECTION workflows; leaving one makes room', async () => {
    const temp = await server.connect('/hubs/chat', { token: await server.token('john.doe') });
    for (let i = 0; i < MAX_WORKFLOWS_PER_CONNECTION; i++) await temp.invoke('JoinWorkflow', `cap-${i}`);
    await assert.rejects(temp.invoke('JoinWorkflow', 'one-too-many'), /at most 50 workflows; leave one first/);
    // Joining one already joined is still fine, and leaving one makes room for another.
    await temp.invoke('JoinWorkflow', 'cap-0');
    await temp.invoke('LeaveWorkflow', 'cap-0');
    await temp.invoke('JoinWorkflow', 'one-too-many');
    assert.equal(((await temp.invoke('GetWorkflows')) as string[]).length, MAX_WORKFLOWS_PER_CONNECTION);
    await within(temp.stop(), 5000, 'stop');
  });

  test('LeaveWorkflow tells the remaining members; leaving twice changes nothing', async () => {
    const janeSeesLeave = nextMessage(jane, 'UserLeft');
    await john.invoke('LeaveWorkflow', 'wf-1');
    const [left] = (await janeSeesLeave) as [{ workflowId: string; user: string; reason: string }];
    assert.deepEqual([left.workflowId, left.user, left.reason], ['wf-1', 'john.doe', 'left']);
    await john.invoke('LeaveWorkflow', 'wf-1');
    assert.deepEqual(await john.invoke('GetWorkflows'), []);
  });

  test('a member that disconnects is announced with reason disconnected', async () => {
    const temp = await server.connect('/hubs/chat', { token: await server.token('john.doe') });
    await temp.invoke('JoinWorkflow', 'wf-1');
    const janeSeesLeave = nextMessage(jane, 'UserLeft');
    await within(temp.stop(), 5000, 'stop');
    const [left] = (await janeSeesLeave) as [{ reason: string; connectionId: string }];
    assert.equal(left.reason, 'disconnected');
  });

  test('invalid text or workflow ids fail the invocation', async () => {
    await assert.rejects(jane.invoke('SendMessage', ''), /A message needs some text/);
    await assert.rejects(jane.invoke('SendMessage', 42), /A message needs some text/);
    await assert.rejects(jane.invoke('SendMessage', 'x'.repeat(51)), /at most 50 characters/);
    await assert.rejects(jane.invoke('JoinWorkflow', ''), /A workflow id needs/);
    await assert.rejects(jane.invoke('JoinWorkflow', 'has spaces'), /A workflow id needs/);
    await assert.rejects(jane.invoke('LeaveWorkflow', null), /A workflow id needs/);
  });

  test('connects and disconnects are logged with connection id, user, hub and transport', async () => {
    const temp = await server.connect('/hubs/chat', { token: await server.token('jane.smith'), transport: signalR.HttpTransportType.ServerSentEvents });
    const id = temp.connectionId!;
    const connected = await logLine(server.logs, (line) => line.msg === 'client connected' && line['connectionId'] === id);
    assert.deepEqual([connected['user'], connected['hub'], connected['transport']], ['jane.smith', '/hubs/chat', 'ServerSentEvents']);
    await within(temp.stop(), 5000, 'stop');
    const disconnected = await logLine(server.logs, (line) => line.msg === 'client disconnected' && line['connectionId'] === id);
    assert.deepEqual([disconnected['user'], disconnected['hub'], disconnected['transport']], ['jane.smith', '/hubs/chat', 'ServerSentEvents']);
  });
});
