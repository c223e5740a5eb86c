/**
 * ASP.NET Core's backplane layout (`Microsoft.AspNetCore.SignalR.StackExchangeRedis`), so Hubwire
 * nodes and .NET servers can serve one hub from one Redis (protocol reference §14). With P the
 * channel prefix of the hub (on .NET its type's full name, `MyApp.Hubs.ChatHub`):
 *
 * - `P:all`, `P:group:<g>`, `P:user:<u>`, `P:connection:<id>` carry invocation envelopes
 *   `[excludedIds, {protocol: framed bytes}]`; a 4-item envelope is a client-result call.
 * - `P:internal:groups` carries group commands for connections of other servers, acknowledged on
 *   `P:internal:ack:<server>`; client results come back on `P:internal:return:<server>`.
 *
 * A message names no sender, so the publishing node cannot tell its own copy from another's: it
 * does not serve its local connections first, but when its publication comes back through its
 * own subscription, like every other server (ASP.NET does the same). That costs local recipients
 * a Redis round trip; `send()` still resolves once they have it (own-echoes.ts). Only a failed
 * publish (Redis away) or a channel this node does not hear yet is served directly.
 * @module
 */
import { HubwireError } from '../../core/errors.js';
import { SerializedMessage } from '../../protocol/serialized-message.js';
import type { Audience, ClientResultOptions } from '../hub-lifetime-manager.js';
import { AspNetRemoteCalls } from './aspnet-remote-calls.js';
import { decodeAck, decodeGroupCommand, decodeInvocation, encodeAck, encodeGroupCommand, encodeInvocation, GroupAction, type AspNetGroupCommand, type AspNetInvocation } from './aspnet-wire.js';
import type { BackplaneLayout, LayoutHost } from './backplane-layout.js';
import { OwnEchoes } from './own-echoes.js';
import { PendingAcks } from './pending-acks.js';
import { ReencodingMessage } from './reencoding-message.js';
import { acknowledgeWhenApplied, changeGroupElsewhere } from './remote-group-change.js';

/** Options of the `aspnet` layout (`redisLifetimeManager({ layout: 'aspnet', channelPrefix })`). */
export interface AspNetLayoutOptions {
  /**
   * The channel prefix P of a hub, from its Hubwire name (the class name). It must be what the
   * .NET servers of the same hub use: their hub type's full name, namespace included
   * (`MyApp.Hubs.ChatHub`, nested classes with `+`), plus StackExchange.Redis'
   * `ConfigurationOptions.ChannelPrefix` in front if they set one. Default: the hub name.
   *
   * @example
   * ```ts
   * redisLifetimeManager({ layout: 'aspnet', channelPrefix: (hub) => `MyApp.Hubs.${hub}` });
   * ```
   */
  readonly channelPrefix?: (hubName: string) => string;
}

/** How long `send()` waits for its own publication to come back before it resolves anyway (ms). */
const LONGEST_ECHO_WAIT = 2000;

/** ASP.NET's layout for one hub on one node. */
export class AspNetLayout implements BackplaneLayout {
  readonly name = 'ASP.NET';
  readonly fixedChannels: ReadonlyMap<string, (payload: Buffer) => void>;
  readonly #host: LayoutHost;
  readonly #groupsChannel: string;
  readonly #acks: PendingAcks;
  readonly #echoes = new OwnEchoes(LONGEST_ECHO_WAIT);
  readonly #calls: AspNetRemoteCalls;

  constructor(host: LayoutHost) {
    this.#host = host;
    const { channels } = host;
    this.#groupsChannel = `${channels.base}:internal:groups`;
    this.#acks = new PendingAcks(host.groupTimeout);
    this.#calls = new AspNetRemoteCalls(host);
    this.fixedChannels = new Map([
      [channels.all, (payload: Buffer) => this.#deliver(channels.all, payload, (envelope) => ({ kind: 'all', except: envelope.excluded }))],
      [this.#groupsChannel, (payload: Buffer) => this.#onGroupCommand(payload)],
      [this.#ackChannel(host.nodeId), (payload: Buffer) => this.#onAck(payload)],
      [this.#calls.returnChannel, (payload: Buffer) => this.#calls.onReturn(payload)],
    ]);
  }

  onGroup(group: string, payload: Buffer): void {
    this.#deliver(this.#host.channels.group(group), payload, (envelope) => ({ kind: 'groups', names: [group], except: envelope.excluded }));
  }

  onUser(user: string, payload: Buffer): void {
    this.#deliver(this.#host.channels.user(user), payload, () => ({ kind: 'users', ids: [user] }));
  }

  onConnection(connectionId: string, payload: Buffer): void {
    this.#deliver(this.#host.channels.connection(connectionId), payload, () => ({ kind: 'connections', ids: [connectionId] }), (call) => this.#calls.serve(connectionId, call));
  }

  /**
   * One publication per channel, as ASP.NET: `all`; each group (a connection in two of the groups
   * gets it twice, on every server, as with `Clients.Groups` on .NET); each user; each connection
   * (`Clients([...])`), except a single local connection, which is written directly (`Client(id)`).
   */
  async send(audience: Audience, serialized: SerializedMessage, bytes: ReadonlyMap<string, Buffer>): Promise<void> {
    const { channels, local } = this.#host;
    switch (audience.kind) {
      case 'all':
        await this.#publish(channels.all, encodeInvocation({ excluded: audience.except ?? [], bytes }), audience, serialized);
        break;
      case 'connections': {
        const ids = [...new Set(audience.ids)];
        if (ids.length === 1 && local.connection(ids[0]!) !== undefined) {
          local.deliver(audience, serialized);
          break;
        }
        const payload = encodeInvocation({ excluded: [], bytes });
        await Promise.all(ids.map((id) => this.#publish(channels.connection(id), payload, { kind: 'connections', ids: [id] }, serialized)));
        break;
      }
      case 'groups': {
        const payload = encodeInvocation({ excluded: audience.except ?? [], bytes });
        await Promise.all([...new Set(audience.names)].map((name) => this.#publish(channels.group(name), payload, { kind: 'groups', names: [name], except: audience.except }, serialized)));
        break;
      }
      case 'users': {
        const payload = encodeInvocation({ excluded: [], bytes });
        await Promise.all([...new Set(audience.ids)].map((id) => this.#publish(channels.user(id), payload, { kind: 'users', ids: [id] }, serialized)));
        break;
      }
    }
  }

  invokeRemote(connectionId: string, target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown> {
    return this.#calls.invoke(connectionId, target, args, options);
  }

  /**
   * A group command on `P:internal:groups`, which every server reads and only the connection's
   * applies and acknowledges. Unlike ASP.NET (which waits ~30 s, then fails), a connection that
   * no server subscribes to is a no-op at once, as everywhere in Hubwire: the subscriber count of
   * its channel is asked beside the publish.
   */
  async changeRemoteGroup(action: 'add' | 'remove', connectionId: string, group: string): Promise<void> {
    const host = this.#host;
    await changeGroupElsewhere(
      this.#acks,
      { action, connectionId, group, owner: 'server' },
      async (ackId) => {
        const command: AspNetGroupCommand = { id: ackId, serverName: host.nodeId, action: action === 'add' ? GroupAction.Add : GroupAction.Remove, group, connectionId };
        const [subscribers] = await Promise.all([host.subscriberCount(host.channels.connection(connectionId)), host.publishOrThrow(this.#groupsChannel, encodeGroupCommand(command))]);
        return subscribers;
      },
      (text, error) => host.publishFailed(text, error),
    );
  }

  close(): void {
    this.#calls.close();
    this.#acks.close(new HubwireError('HUB_ERR_SERVER_CLOSED', 'The Redis backplane was closed.'));
    this.#echoes.close();
  }

  #ackChannel(server: string): string {
    return `${this.#host.channels.base}:internal:ack:${server}`;
  }

  /**
   * Publishes a send on one channel. Local recipients get it when the publication comes back; if
   * this node does not hear the channel now (its subscriber is reconnecting) or Redis refused the
   * publish, no copy will come, and they get it here instead. (A publish whose reply is lost
   * although Redis ran it would then reach them twice: a cut connection, not a normal case.)
   */
  async #publish(channel: string, payload: Buffer, localAudience: Audience, serialized: SerializedMessage): Promise<void> {
    const host = this.#host;
    const echo = host.hears(channel) ? this.#echoes.expect(channel, payload) : undefined;
    const receivers = await host.publish(channel, payload);
    if (echo === undefined || receivers === undefined) {
      if (echo !== undefined) this.#echoes.cancel(echo);
      host.local.deliver(localAudience, serialized);
      return;
    }
    await echo.arrived;
  }

  /** Reads an envelope and delivers it to the local part of the channel's audience (or hands a client-result call to `onCall`). */
  #deliver(channel: string, payload: Buffer, audience: (envelope: AspNetInvocation) => Audience, onCall?: (call: AspNetInvocation) => void): void {
    const host = this.#host;
    let envelope: AspNetInvocation;
    try {
      envelope = decodeInvocation(payload);
    } catch (error) {
      host.dropped(channel, error);
      return;
    }
    try {
      if (envelope.invocationId !== undefined && onCall !== undefined) onCall(envelope);
      else {
        const message = ReencodingMessage.needed(envelope.bytes, host.protocols) ? new ReencodingMessage(envelope.bytes, host.protocols) : SerializedMessage.fromBytes(envelope.bytes);
        host.local.deliver(audience(envelope), message);
      }
    } finally {
      this.#echoes.heard(channel, payload);
    }
  }

  #onGroupCommand(payload: Buffer): void {
    const host = this.#host;
    let command: AspNetGroupCommand;
    try {
      command = decodeGroupCommand(payload);
    } catch (error) {
      host.dropped(this.#groupsChannel, error);
      return;
    }
    // Every server reads every command; only the connection's acts (this one's own included).
    if (host.local.connection(command.connectionId) === undefined) return;
    const { connectionId, group } = command;
    const change =
      command.action === GroupAction.Add ? host.addToGroup(connectionId, group) : command.action === GroupAction.Remove ? host.removeFromGroup(connectionId, group) : Promise.resolve();
    // Acknowledged once done, whatever the action, as ASP.NET does.
    acknowledgeWhenApplied(change, () => host.publish(this.#ackChannel(command.serverName), encodeAck(command.id)), host.logger, { connectionId, group, owner: 'server' });
  }

  #onAck(payload: Buffer): void {
    let id: number;
    try {
      id = decodeAck(payload);
    } catch (error) {
      this.#host.dropped(this.#ackChannel(this.#host.nodeId), error);
      return;
    }
    this.#acks.acknowledge(id);
  }
}
