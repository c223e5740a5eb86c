/**
 * Access to a hub's clients, groups and presence from outside any hub method.
 * @module
 */
import type { Presence } from '../lifetime/presence.js';
import type { DynamicClient } from './client-proxy.js';
import type { GroupManager } from './group-manager.js';
import type { HubClients } from './hub-clients.js';

/**
 * A hub's `clients`, `groups` and `presence`, usable from background services, REST handlers
 * and timers (ASP.NET's `IHubContext<THub, T>`, plus presence).
 *
 * @example
 * ```ts
 * const events = hubwire.hubContext(EventsHub);
 * setInterval(() => void events.clients.all.receiveEvent(nextEvent()), 5000);
 * const watching = await events.presence.connectionCount(); // every node's connections
 * ```
 */
export interface HubContext<TClient = DynamicClient> {
  readonly clients: HubClients<TClient>;
  readonly groups: GroupManager;
  /** Who is connected and in which groups, over every node of the hub. */
  readonly presence: Presence;
}
