/**
 * What an operator may do to a hub: send a test message to everyone, a group, a user or one
 * connection, and disconnect a connection on whichever node holds it. Both run the data plane's
 * operations (the same sends, the same cross-node close), with the operator's admin token
 * checked by the route instead of an access key.
 * @module
 */
import { closeConnection, sendToConnection, sendToGroup, sendToHub, sendToUser, type HubTarget } from '../data-plane/index.js';
import { NotFound } from '../../app-context.js';

/** Who a test message goes to: exactly one of these. */
export type SendTarget = { readonly all: true } | { readonly group: string } | { readonly user: string } | { readonly connection: string };

/** The body of `POST /api/operator/hubs/:hub/send`, checked by its schema. */
export interface TestMessage {
  readonly target: SendTarget;
  /** The client method to invoke. */
  readonly method: string;
  readonly args?: readonly unknown[];
}

/** What a send answers. */
export interface SendReceipt {
  readonly sent: true;
  readonly target: SendTarget;
  readonly method: string;
  /** Connections in the audience when it was sent (over every node). */
  readonly recipients: number;
}

/**
 * Sends `message` on `hub`. A connection that no node has is a `NotFound` (the data plane's
 * Azure-compatible send would accept it silently; an operator wants to know).
 */
export async function sendTestMessage(hub: HubTarget, message: TestMessage): Promise<SendReceipt> {
  const payload = { target: message.method, arguments: message.args ?? [] };
  const { target } = message;
  const presence = hub.context.presence;
  let recipients: number;
  if ('connection' in target) {
    if (!(await hub.connections.exists(hub.path, target.connection))) throw new NotFound(`Connection '${target.connection}' does not exist.`);
    recipients = 1;
    await sendToConnection(hub, target.connection, payload);
  } else if ('group' in target) {
    recipients = await presence.groupConnectionCount(target.group);
    await sendToGroup(hub, target.group, payload);
  } else if ('user' in target) {
    recipients = (await presence.userConnections(target.user)).length;
    await sendToUser(hub, target.user, payload);
  } else {
    recipients = await presence.connectionCount();
    await sendToHub(hub, payload);
  }
  return { sent: true, target, method: message.method, recipients };
}

/** Ends `connectionId` wherever it is (the client gets a Close and does not reconnect); `NotFound` when no node has it. */
export async function disconnect(hub: HubTarget, connectionId: string, reason: string | undefined): Promise<void> {
  await closeConnection(hub, connectionId, reason === undefined ? {} : { reason });
}
