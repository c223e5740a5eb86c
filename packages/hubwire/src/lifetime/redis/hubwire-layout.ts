/**
 * Hubwire's own backplane layout (the default): channels `<prefix>:<Hub>:all`, `…:group:<name>`,
 * `…:user:<id>`, `…:connection:<id>` and `…:node:<node id>`, messages of wire.ts. Each message
 * names its sender, so the sending node serves its own recipients before it publishes and skips
 * its copy when it comes back; a send to several groups carries them all, so a connection in two
 * of them gets it once on every node.
 * @module
 */
import { HubwireError } from '../../core/errors.js';
import { SerializedMessage } from '../../protocol/serialized-message.js';
import type { Audience, ClientResultOptions } from '../hub-lifetime-manager.js';
import type { BackplaneLayout, LayoutHost } from './backplane-layout.js';
import { PendingAcks } from './pending-acks.js';
import { acknowledgeWhenApplied, changeGroupElsewhere } from './remote-group-change.js';
import { RemoteCalls } from './remote-calls.js';
import { decode, encode, type BackplaneMessage } from './wire.js';

/** The Hubwire layout of one hub on one node. */
export class HubwireLayout implements BackplaneLayout {
  readonly name = 'Hubwire';
  readonly fixedChannels: ReadonlyMap<string, (payload: Buffer) => void>;
  readonly #host: LayoutHost;
  readonly #acks: PendingAcks;
  readonly #calls: RemoteCalls;

  constructor(host: LayoutHost) {
    this.#host = host;
    this.#acks = new PendingAcks(host.groupTimeout);
    this.#calls = new RemoteCalls({
      nodeId: host.nodeId,
      connectionChannel: (id) => host.channels.connection(id),
      nodeChannel: (id) => this.#nodeChannel(id),
      publishOrThrow: (channel, payload) => host.publishOrThrow(channel, payload, true),
      publish: (channel, payload) => host.publish(channel, payload),
      publishFailed: (text, error) => host.publishFailed(text, error),
      invokeLocal: (id, target, args, options) => host.local.invokeConnection(id, target, args, options),
    });
    const { all } = host.channels;
    this.fixedChannels = new Map([
      [all, (payload: Buffer) => this.#read(all, payload, (message) => this.#receiveBroadcast(message, { kind: 'all', except: message.kind === 'invocation' ? message.except : undefined }))],
      [this.#nodeChannel(host.nodeId), (payload: Buffer) => this.#read(this.#nodeChannel(host.nodeId), payload, (message) => this.#receiveForNode(message))],
    ]);
  }

  onGroup(group: string, payload: Buffer): void {
    this.#read(this.#host.channels.group(group), payload, (message) => {
      if (message.kind !== 'invocation') return;
      // A send to several groups arrives once per group channel: the first of its groups with a
      // member here delivers to all of them (each connection once); the other copies are dropped.
      if (message.groups.find((name) => this.#host.local.hasGroup(name)) !== group) return;
      this.#receiveBroadcast(message, { kind: 'groups', names: message.groups, except: message.except });
    });
  }

  onUser(user: string, payload: Buffer): void {
    this.#read(this.#host.channels.user(user), payload, (message) => this.#receiveBroadcast(message, { kind: 'users', ids: [user] }));
  }

  onConnection(connectionId: string, payload: Buffer): void {
    this.#read(this.#host.channels.connection(connectionId), payload, (message) => this.#receiveForConnection(connectionId, message));
  }

  async send(audience: Audience, serialized: SerializedMessage, bytes: ReadonlyMap<string, Buffer>): Promise<void> {
    const host = this.#host;
    const { channels, local } = host;
    // Local recipients first, without waiting for Redis.
    local.deliver(audience, serialized);
    const payload = (groups: readonly string[], except: readonly string[] | undefined) =>
      encode({ kind: 'invocation', sender: host.nodeId, groups, except: except ?? [], bytes });
    switch (audience.kind) {
      case 'all':
        await host.publish(channels.all, payload([], audience.except));
        break;
      case 'connections': {
        const remote = [...new Set(audience.ids)].filter((id) => local.connection(id) === undefined);
        if (remote.length === 0) break;
        const encoded = payload([], undefined);
        await Promise.all(remote.map((id) => host.publish(channels.connection(id), encoded)));
        break;
      }
      case 'groups': {
        const names = [...new Set(audience.names)];
        const encoded = payload(names, audience.except);
        await Promise.all(names.map((name) => host.publish(channels.group(name), encoded)));
        break;
      }
      case 'users': {
        const encoded = payload([], undefined);
        await Promise.all([...new Set(audience.ids)].map((id) => host.publish(channels.user(id), encoded)));
        break;
      }
    }
  }

  invokeRemote(connectionId: string, target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown> {
    return this.#calls.invoke(connectionId, target, args, options);
  }

  /** Published on the connection's channel, acknowledged on this node's; PUBLISH answering 0 means no node has the connection. */
  async changeRemoteGroup(action: 'add' | 'remove', connectionId: string, group: string): Promise<void> {
    const host = this.#host;
    await changeGroupElsewhere(
      this.#acks,
      { action, connectionId, group, owner: 'node' },
      // An exact count: 0 must mean that no node has the connection.
      (ackId) =>
        host.publishOrThrow(host.channels.connection(connectionId), encode({ kind: action === 'add' ? 'group-add' : 'group-remove', sender: host.nodeId, ackId, connectionId, group }), true),
      (text, error) => host.publishFailed(text, error),
    );
  }

  close(): void {
    this.#calls.close();
    this.#acks.close(new HubwireError('HUB_ERR_SERVER_CLOSED', 'The Redis backplane was closed.'));
  }

  #nodeChannel(id: string): string {
    return `${this.#host.channels.base}:node:${id}`;
  }

  #read(channel: string, payload: Buffer, onMessage: (message: BackplaneMessage) => void): void {
    let message: BackplaneMessage;
    try {
      message = decode(payload);
    } catch (error) {
      this.#host.dropped(channel, error);
      return;
    }
    onMessage(message);
  }

  #receiveBroadcast(message: BackplaneMessage, audience: Audience): void {
    // The sending node served its own recipients before publishing.
    if (message.kind !== 'invocation' || message.sender === this.#host.nodeId) return;
    this.#host.local.deliver(audience, SerializedMessage.fromBytes(message.bytes));
  }

  #receiveForConnection(connectionId: string, message: BackplaneMessage): void {
    if (message.kind === 'invocation') {
      this.#receiveBroadcast(message, { kind: 'connections', ids: [connectionId] });
      return;
    }
    if (this.#calls.receiveForConnection(connectionId, message)) return;
    if (message.kind !== 'group-add' && message.kind !== 'group-remove') return;
    const host = this.#host;
    const change = message.kind === 'group-add' ? host.addToGroup(connectionId, message.group) : host.removeFromGroup(connectionId, message.group);
    const { sender, ackId } = message;
    acknowledgeWhenApplied(change, () => host.publish(this.#nodeChannel(sender), encode({ kind: 'ack', ackId })), host.logger, { connectionId, group: message.group, owner: 'node' });
  }

  #receiveForNode(message: BackplaneMessage): void {
    if (this.#calls.receiveForNode(message)) return;
    if (message.kind === 'ack') this.#acks.acknowledge(message.ackId);
  }
}
