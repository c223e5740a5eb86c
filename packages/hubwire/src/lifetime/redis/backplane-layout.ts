/**
 * The seam between the Redis backplane's machinery (redis-lifetime-manager.ts: the local index,
 * channel subscriptions, publishing, presence, outages) and its **layout**: which channels carry
 * what, how a message is encoded, and what a node does with what it receives. Two layouts sit
 * behind it: Hubwire's own (hubwire-layout.ts) and ASP.NET Core's (aspnet-layout.ts), so a
 * Hubwire node can share a Redis with .NET servers.
 * @module
 */
import type { Logger } from '../../core/logger.js';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import type { SerializedMessage } from '../../protocol/serialized-message.js';
import type { Audience, ClientResultOptions } from '../hub-lifetime-manager.js';
import type { MemoryLifetimeManager } from '../memory/memory-lifetime-manager.js';

/** Which backplane layout a node speaks: its own, or ASP.NET Core's (`Microsoft.AspNetCore.SignalR.StackExchangeRedis`). */
export type BackplaneLayoutName = 'hubwire' | 'aspnet';

/** The channels both layouts have, under one base (`<prefix>:<Hub>` or ASP.NET's hub type name). */
export interface ChannelNames {
  readonly base: string;
  readonly all: string;
  group(name: string): string;
  user(id: string): string;
  connection(id: string): string;
}

/** The channel names under `base`: `<base>:all`, `<base>:group:<name>`, `<base>:user:<id>`, `<base>:connection:<id>`. */
export function channelNames(base: string): ChannelNames {
  return {
    base,
    all: `${base}:all`,
    group: (name) => `${base}:group:${name}`,
    user: (id) => `${base}:user:${id}`,
    connection: (id) => `${base}:connection:${id}`,
  };
}

/** What a layout may use of the manager around it. */
export interface LayoutHost {
  /** This node's id: the Hubwire layout's sender field, ASP.NET's server name. */
  readonly nodeId: string;
  readonly channels: ChannelNames;
  /** Every protocol a connection of the hub may speak. */
  readonly protocols: readonly HubProtocol[];
  /** The node's own connections, groups and users, and local delivery. */
  readonly local: MemoryLifetimeManager;
  readonly logger: Logger | undefined;
  /** How long a group change for a connection of another node waits for its ack (ms). */
  readonly groupTimeout: number;
  /** Whether this node is subscribed to `channel` right now, so that its own publication there comes back to it. */
  hears(channel: string): boolean;
  /** Publishes; a failure is counted and logged, never thrown. Resolves with the receiver count, or undefined when it failed. */
  publish(channel: string, payload: Buffer): Promise<number | undefined>;
  /** Publishes, throwing what Redis throws; with `exact`, 0 means nobody subscribes anywhere (a Redis Cluster asks every node). */
  publishOrThrow(channel: string, payload: Buffer, exact?: boolean): Promise<number>;
  /** Counts and logs a publish failure that the caller turns into an error of its own. */
  publishFailed(text: string, error: unknown): void;
  /** Subscribers of `channel` over the whole Redis. */
  subscriberCount(channel: string): Promise<number>;
  /** The manager's own group change of a local connection (index, channel subscription, presence). */
  addToGroup(connectionId: string, group: string): Promise<void>;
  removeFromGroup(connectionId: string, group: string): Promise<void>;
  /** Logs a payload the layout could not read (once per message; delivery goes on). */
  dropped(channel: string, error: unknown): void;
}

/** What differs between backplane layouts. The manager subscribes; the layout decides what a channel's messages mean. */
export interface BackplaneLayout {
  /** The layout's name in log lines: `Hubwire`, `ASP.NET`. */
  readonly name: string;
  /** Channels the node listens on as long as it runs (`all` and the layout's control channels), each with its listener. */
  readonly fixedChannels: ReadonlyMap<string, (payload: Buffer) => void>;
  /** A message on the channel of a group with a local member. */
  onGroup(group: string, payload: Buffer): void;
  /** A message on the channel of a user with a local connection. */
  onUser(user: string, payload: Buffer): void;
  /** A message on a local connection's channel. */
  onConnection(connectionId: string, payload: Buffer): void;
  /**
   * Delivers a send to every connection of `audience`, on this node and the others. `bytes` is the
   * message framed in every protocol of the hub (`serialized` holds the same bytes). Resolves when
   * the local recipients have it queued.
   */
  send(audience: Audience, serialized: SerializedMessage, bytes: ReadonlyMap<string, Buffer>): Promise<void>;
  /** Adds or removes a connection that is not on this node; resolves once its node has done it. */
  changeRemoteGroup(action: 'add' | 'remove', connectionId: string, group: string): Promise<void>;
  /** A client-result call for a connection that is not on this node. */
  invokeRemote(connectionId: string, target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown>;
  /** Fails what is pending (the backplane is closing). */
  close(): void;
}
