/**
 * The fan-out seam. A HubLifetimeManager knows which connections exist, which groups they are in
 * and which user each belongs to, and delivers messages to an {@link Audience}. The in-memory
 * implementation serves one process; a backplane implementation spreads the same contract over
 * several. Implementations never see sockets: only {@link LifetimeConnection}s.
 * @module
 */
import type { InvocationMessage } from '../protocol/messages.js';
import type { SerializedMessage } from '../protocol/serialized-message.js';
import type { Presence } from './presence.js';
import type { BacklogAware, GroupRecovery } from './recovery/recovery-types.js';

/**
 * Who a message goes to, as a plain value (so it can cross a backplane unchanged).
 *
 * @example
 * ```ts
 * const roomButMe: Audience = { kind: 'groups', names: ['room-1'], except: [connectionId] };
 * ```
 */
export type Audience =
  | { readonly kind: 'all'; readonly except?: readonly string[] }
  | { readonly kind: 'connections'; readonly ids: readonly string[] }
  | { readonly kind: 'groups'; readonly names: readonly string[]; readonly except?: readonly string[] }
  | { readonly kind: 'users'; readonly ids: readonly string[] };

/** Options of one client-result call (a server-to-client invocation awaiting the answer). */
export interface ClientResultOptions {
  readonly signal?: AbortSignal;
  /** Milliseconds before the call fails; 0 or undefined waits as long as the connection lives. */
  readonly timeout?: number;
}

/** A connection as the lifetime manager sees it: an id, a user and a way to write. */
export interface LifetimeConnection extends BacklogAware {
  readonly connectionId: string;
  /** The user this connection belongs to, if authenticated. */
  readonly userIdentifier: string | undefined;
  /**
   * The name of the hub protocol the connection speaks (`json`, `messagepack`), when known: a
   * backplane answering another server's client-result call in ASP.NET's layout answers in it.
   */
  readonly protocolName?: string;
  /**
   * Queues a serialized message for this connection. Never throws and never waits: a connection
   * that cannot keep up deals with it itself (its outbound buffer policy).
   */
  writeSerialized(message: SerializedMessage): void;
  /** Invokes a client method on this connection and resolves with the client's answer. */
  invokeClient(target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown>;
}

/**
 * A change of a local connection's group membership, as a lifetime manager reports it (see
 * {@link GroupChangeListener}).
 */
export interface LocalGroupChange {
  readonly connection: LifetimeConnection;
  readonly group: string;
  readonly change: 'joined' | 'left';
}

/**
 * Told once per effective change of the local index: `joined` when the connection was not yet a
 * member, `left` when it was; never for the removal from every group at disconnect. A manager
 * over several nodes reports on the node that holds the connection only, whichever node or hub
 * context asked. It is called synchronously, before the add or remove resolves; what it throws is
 * the caller's to handle (the manager logs and swallows it).
 */
export type GroupChangeListener = (change: LocalGroupChange) => void;

/** The contract every fan-out implementation fulfils. */
export interface HubLifetimeManager {
  /** A connection finished its handshake. */
  onConnected(connection: LifetimeConnection): Promise<void>;
  /** A connection ended: forget it and remove it from every group. */
  onDisconnected(connection: LifetimeConnection): Promise<void>;
  /**
   * Delivers `message` once to every connection in `audience`. Resolves when the message is
   * queued for every local recipient; one failing recipient never fails the send.
   */
  send(audience: Audience, message: InvocationMessage): Promise<void>;
  /**
   * Invokes a client method on one connection and resolves with its result ("client results").
   * Rejects with `Connection '<id>' does not exist.` for an unknown connection.
   */
  invokeConnection(connectionId: string, target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown>;
  /** Adds a connection to a group. Group names are case-sensitive. */
  addToGroup(connectionId: string, group: string): Promise<void>;
  /** Removes a connection from a group; removing a non-member is a no-op. */
  removeFromGroup(connectionId: string, group: string): Promise<void>;
  /** The number of connections this manager delivers to directly. */
  readonly localConnectionCount: number;
  /**
   * Who is connected, in which groups, on which node — over every node this manager's system
   * spans (one process for the memory manager, every node on the same Redis for the backplane).
   */
  readonly presence: Presence;
  /**
   * Recoverable groups (docs/recovery.md), when the hub declared any (`mapHub(…, { recovery })`).
   * A manager that has them routes a send to exactly one recoverable group to
   * `recovery.publish`, and joins of such a group to its engine.
   */
  readonly recovery?: GroupRecovery;
  /** Releases what the manager holds (a backplane's connections); `HubServer.close()` calls it last. */
  close?(): Promise<void>;
}
