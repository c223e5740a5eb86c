/**
 * Access to a hub's clients and groups from outside any hub method.
 * @module
 */
import type { DynamicClient } from './client-proxy.js';
import type { GroupManager } from './group-manager.js';
import type { HubClients } from './hub-clients.js';

/**
 * A hub's `clients` and `groups`, usable from background services, REST handlers and timers
 * (ASP.NET's `IHubContext<THub, T>`).
 *
 * @example
 * ```ts
 * const events = hubwire.hubContext(EventsHub);
 * setInterval(() => void events.clients.all.receiveEvent(nextEvent()), 5000);
 * ```
 */
export interface HubContext<TClient = DynamicClient> {
  readonly clients: HubClients<TClient>;
  readonly groups: GroupManager;
}
