/**
 * Group membership, as hubs and hub contexts see it.
 * @module
 */
import type { HubLifetimeManager } from '../lifetime/hub-lifetime-manager.js';

/**
 * Adds connections to and removes them from groups. Membership lasts until the connection ends;
 * a client that reconnects gets a new connection id and must join again.
 *
 * @example
 * ```ts
 * await this.groups.add(this.context.connectionId, 'room-1');
 * await this.clients.group('room-1').receiveMessage('welcome');
 * ```
 */
export interface GroupManager {
  /** Adds the connection to the group. Resolves once later group sends reach it. */
  add(connectionId: string, group: string): Promise<void>;
  /** Removes the connection from the group; a non-member is ignored. */
  remove(connectionId: string, group: string): Promise<void>;
}

/** The {@link GroupManager} over a lifetime manager. */
export function createGroupManager(lifetime: HubLifetimeManager): GroupManager {
  return {
    add: (connectionId, group) => lifetime.addToGroup(connectionId, requireGroupName(group)),
    remove: (connectionId, group) => lifetime.removeFromGroup(connectionId, requireGroupName(group)),
  };
}

function requireGroupName(group: string): string {
  if (typeof group !== 'string' || group.length === 0) throw new TypeError('A group name must be a non-empty string.');
  return group;
}
