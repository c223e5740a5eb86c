/**
 * Group membership, as hubs and hub contexts see it, with the recoverable groups' joins and
 * publishes (docs/recovery.md).
 * @module
 */
import { HubwireError } from '../core/errors.js';
import type { HubLifetimeManager } from '../lifetime/hub-lifetime-manager.js';
import type {
  GroupRecovery,
  PublishedMessage,
  PublishOptions,
  PublishResult,
  RecoverOptions,
  RecoveryResult,
  StreamPosition,
} from '../lifetime/recovery/recovery-types.js';

/**
 * Adds connections to and removes them from groups. Membership lasts until the connection ends;
 * a client that reconnects gets a new connection id and must join again — for a recoverable
 * group (declared in `mapHub(…, { recovery })`) with {@link GroupManager.recover}, which replays
 * what it missed meanwhile.
 *
 * @example
 * ```ts
 * await this.groups.add(this.context.connectionId, 'room-1');
 * await this.clients.group('room-1').receiveMessage('welcome');
 * ```
 */
export interface GroupManager {
  /**
   * Adds the connection to the group. Resolves once later group sends reach it. For a
   * recoverable group this is a live join from now: nothing is replayed.
   */
  add(connectionId: string, group: string): Promise<void>;
  /** Removes the connection from the group; a non-member is ignored. */
  remove(connectionId: string, group: string): Promise<void>;
  /**
   * Adds a connection of this node to a recoverable group and sends it, in order, every message
   * it missed after `options.since` (the last {@link GroupPosition} its client received), then
   * the live ones, with no gap and no duplicate between the two. When the history cannot cover
   * the gap (older than the group's window, another epoch, a position ahead of the history) the
   * answer says `recovered: false` and `options.onMissed` runs first — send a snapshot there: it
   * reaches the client before any live message of the group. Without `since` it is a live join
   * that answers the group's position.
   *
   * Rejects with a HubwireError `HUB_ERR_RECOVERY` for a group no spec of the hub matches or a
   * connection that is not on this node, and `HUB_ERR_BACKPLANE` when the history cannot be read;
   * the connection is then not in the group.
   *
   * @example
   * ```ts
   * class OrgsHub extends Hub<OrgClient> {
   *   async joinOrganization(orgId: string, from?: { offset: number; epoch: string }) {
   *     const result = await this.groups.recover(this.context.connectionId, `org:${orgId}`, {
   *       since: from,
   *       onMissed: () => this.clients.caller.receiveSnapshot(loadSnapshot(orgId)),
   *     });
   *     return { recovered: result.recovered, position: result.position };
   *   }
   * }
   * ```
   */
  recover(connectionId: string, group: string, options?: RecoverOptions): Promise<RecoveryResult>;
  /**
   * Publishes one entry to a recoverable group: one or more messages at one position (members
   * get them in order, each with the same position argument). `options.offset` makes the entry
   * take an application's own sequence number: one already passed is a duplicate and nothing is
   * sent; one past the next leaves a hole (a client behind it is not recovered). A plain
   * `clients.group(g).method(…)` to a recoverable group is a publish of one message.
   *
   * @example
   * ```ts
   * const { position, duplicate } = await hubwire.hubContext(CampaignsHub).groups.publish(
   *   `campaign:${id}`,
   *   [{ target: 'receiveCampaignEvent', arguments: [event] }, { target: 'receiveArtifact', arguments: [artifact] }],
   *   { offset: event.sequence },
   * );
   * ```
   */
  publish(group: string, messages: readonly PublishedMessage[], options?: PublishOptions): Promise<PublishResult>;
  /**
   * Where a recoverable group's history stands: its newest entry's offset and its epoch (offset
   * 0 for a group never published to).
   *
   * @example
   * ```ts
   * const { offset, epoch } = await this.groups.position(`org:${orgId}`);
   * ```
   */
  position(group: string): Promise<StreamPosition>;
}

/** The {@link GroupManager} over a lifetime manager. */
export function createGroupManager(lifetime: HubLifetimeManager): GroupManager {
  return {
    add: (connectionId, group) => lifetime.addToGroup(connectionId, requireGroupName(group)),
    remove: (connectionId, group) => lifetime.removeFromGroup(connectionId, requireGroupName(group)),
    recover: async (connectionId, group, options) => recoveryOf(lifetime, group).recover(connectionId, group, options),
    publish: async (group, messages, options) => recoveryOf(lifetime, group).publish(group, messages, options),
    position: async (group) => recoveryOf(lifetime, group).position(group),
  };
}

/** The lifetime manager's recovery engine, when `group` is one of its recoverable groups. */
function recoveryOf(lifetime: HubLifetimeManager, group: string): GroupRecovery {
  requireGroupName(group);
  const recovery = lifetime.recovery;
  if (recovery === undefined || !recovery.isRecoverable(group)) {
    throw new HubwireError('HUB_ERR_RECOVERY', `Group '${group}' is not recoverable: declare it in mapHub(…, { recovery }).`);
  }
  return recovery;
}

function requireGroupName(group: string): string {
  if (typeof group !== 'string' || group.length === 0) throw new TypeError('A group name must be a non-empty string.');
  return group;
}
