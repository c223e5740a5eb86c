/**
 * /hubs/chat with its members on two nodes: every feature behaves as on one node. The chat hub
 * keeps no state of its own beyond each connection's workflow list (in the connection's items);
 * everything else is groups and sends, which the backplane carries.
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import type { ChatMessage, MembershipChange } from '../../apps/server/src/modules/chat/chat-hub.js';
import { until, within } from '../support/wait.js';
import { signalR, startTestApp, type TestApp } from '../server/support.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

interface Member {
  readonly connection: signalR.HubConnection;
  readonly messages: ChatMessage[];
  readonly joined: MembershipChange[];
  readonly left: (MembershipChange & { reason: string })[];
}

describe('/hubs/chat across two nodes', () => {
  let a: TestApp;
  let b: TestApp;

  before(async () => {
    const env = { REDIS_URL, REDIS_PREFIX: `hubwire-test-${randomUUID()}` };
    a = await startTestApp(env);
    b = await startTestApp(env);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
  });

  async function member(app: TestApp, user: string, protocol?: 'messagepack'): Promise<Member> {
    const token = await app.token(user);
    const connection = await app.connect('/hubs/chat', {
      token,
      configure: protocol === undefined ? undefined : (builder) => builder.withHubProtocol(new MessagePackHubProtocol()),
    });
    const joined: MembershipChange[] = [];
    const left: (MembershipChange & { reason: string })[] = [];
    const messages: ChatMessage[] = [];
    connection.on('ReceiveMessage', (message: ChatMessage) => messages.push(message));
    connection.on('UserJoined', (change: MembershipChange) => joined.push(change));
    connection.on('UserLeft', (change: MembershipChange & { reason: string }) => left.push(change));
    return { connection, messages, joined, left };
  }

  test('a message outside any workflow reaches every connection of both nodes once', async () => {
    const onA = await member(a, 'jane.smith');
    const onB = await member(b, 'john.doe');
    const ack = (await within(onB.connection.invoke('SendMessage', 'hello everyone'), 5000, 'send')) as { messageId: string };
    await until(() => onA.messages.some((message) => message.messageId === ack.messageId) && onB.messages.some((message) => message.messageId === ack.messageId), 5000, 'the message on both nodes');
    const atA = onA.messages.filter((message) => message.messageId === ack.messageId);
    assert.equal(atA.length, 1);
    assert.deepEqual([atA[0]!.user, atA[0]!.text, atA[0]!.workflowId], ['john.doe', 'hello everyone', null]);
    await Promise.all([onA.connection.stop(), onB.connection.stop()]);
  });

  test('workflows span nodes: joins, messages, leaves and disconnects reach the members on the other node, and no one else', async () => {
    const workflow = `wf-${randomUUID().slice(0, 8)}`;
    const jane = await member(a, 'jane.smith');
    const outsider = await member(a, 'admin');
    const john = await member(b, 'john.doe');
    await within(jane.connection.invoke('JoinWorkflow', workflow), 5000, 'jane joins');
    await within(outsider.connection.invoke('JoinWorkflow', 'elsewhere'), 5000, 'outsider joins another workflow');
    await within(john.connection.invoke('JoinWorkflow', workflow), 5000, 'john joins');
    await until(() => jane.joined.some((change) => change.user === 'john.doe'), 5000, 'UserJoined on the other node');
    const joined = jane.joined.find((change) => change.user === 'john.doe')!;
    assert.deepEqual([joined.workflowId, joined.connectionId], [workflow, john.connection.connectionId]);
    assert.deepEqual(await john.connection.invoke('GetWorkflows'), [workflow]);
    assert.deepEqual(await jane.connection.invoke('GetWorkflows'), [workflow]);

    const fromJohn = (await within(john.connection.invoke('SendMessage', 'in the workflow'), 5000, 'john sends')) as { messageId: string };
    const fromJane = (await within(jane.connection.invoke('SendMessage', 'reply'), 5000, 'jane sends')) as { messageId: string };
    const ids = [fromJohn.messageId, fromJane.messageId];
    await until(() => ids.every((id) => jane.messages.some((m) => m.messageId === id) && john.messages.some((m) => m.messageId === id)), 5000, 'both messages at both members');
    for (const received of [jane.messages, john.messages]) {
      assert.deepEqual(received.filter((m) => ids.includes(m.messageId)).map((m) => [m.user, m.text, m.workflowId]), [['john.doe', 'in the workflow', workflow], ['jane.smith', 'reply', workflow]]);
    }
    // A marker in the outsider's own workflow: once it arrives, anything else sent before would have too.
    const marker = (await within(outsider.connection.invoke('SendMessage', 'marker'), 5000, 'marker')) as { messageId: string };
    await until(() => outsider.messages.some((m) => m.messageId === marker.messageId), 5000, 'the marker');
    assert.equal(outsider.messages.filter((m) => ids.includes(m.messageId)).length, 0, 'not a member: nothing of the workflow');

    await within(john.connection.invoke('LeaveWorkflow', workflow), 5000, 'john leaves');
    await until(() => jane.left.some((change) => change.user === 'john.doe' && change.reason === 'left'), 5000, 'UserLeft (left) on the other node');
    const after = (await within(jane.connection.invoke('SendMessage', 'alone now'), 5000, 'jane sends alone')) as { messageId: string };
    await until(() => jane.messages.some((m) => m.messageId === after.messageId), 5000, 'jane gets her own message');
    assert.equal(john.messages.some((m) => m.messageId === after.messageId), false, 'john left the workflow');

    await within(john.connection.invoke('JoinWorkflow', workflow), 5000, 'john joins again');
    await until(() => jane.joined.filter((change) => change.user === 'john.doe').length === 2, 5000, 'second UserJoined');
    await within(john.connection.stop(), 5000, 'john disconnects');
    await until(() => jane.left.some((change) => change.user === 'john.doe' && change.reason === 'disconnected'), 5000, 'UserLeft (disconnected) on the other node');
    assert.equal(jane.left.filter((change) => change.user === 'john.doe').length, 2);
  });

  test('a MessagePack member on one node and a JSON member on the other get the same message', async () => {
    const workflow = `wf-${randomUUID().slice(0, 8)}`;
    const json = await member(a, 'jane.smith');
    const binary = await member(b, 'john.doe', 'messagepack');
    await within(json.connection.invoke('JoinWorkflow', workflow), 5000, 'join');
    await within(binary.connection.invoke('JoinWorkflow', workflow), 5000, 'join');
    const ack = (await within(json.connection.invoke('SendMessage', 'über nodes ✓'), 5000, 'send')) as { messageId: string };
    await until(() => binary.messages.some((m) => m.messageId === ack.messageId), 5000, 'the message over MessagePack');
    const [sent] = json.messages.filter((m) => m.messageId === ack.messageId);
    assert.deepEqual(binary.messages.find((m) => m.messageId === ack.messageId), sent);
  });
});
