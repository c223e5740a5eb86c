/**
 * A MemoryLifetimeManager that also mirrors group membership and lets tests await the moment a
 * connection has been fully forgotten (its groups removed). Plug it in with the public
 * `lifetimeManager` option of createHubServer.
 * @module
 */
import { MemoryLifetimeManager, type LifetimeConnection } from 'hubwire';
import { within } from './wait.js';

export class RecordingLifetimeManager extends MemoryLifetimeManager {
  /** connectionId → groups it is in, for connections the manager knows. */
  readonly #membership = new Map<string, Set<string>>();
  readonly #gone = new Map<string, () => void>();
  readonly #goneSignals = new Map<string, Promise<void>>();
  /** Every lifetime event, in order (`connected:ID`, `disconnected:ID`). */
  readonly events: string[] = [];

  override async onConnected(connection: LifetimeConnection): Promise<void> {
    await super.onConnected(connection);
    this.#membership.set(connection.connectionId, new Set());
    this.events.push(`connected:${connection.connectionId}`);
  }

  override async onDisconnected(connection: LifetimeConnection): Promise<void> {
    await super.onDisconnected(connection);
    this.#membership.delete(connection.connectionId);
    this.events.push(`disconnected:${connection.connectionId}`);
    this.#signal(connection.connectionId);
  }

  override async addToGroup(connectionId: string, group: string): Promise<void> {
    await super.addToGroup(connectionId, group);
    this.#membership.get(connectionId)?.add(group);
  }

  override async removeFromGroup(connectionId: string, group: string): Promise<void> {
    await super.removeFromGroup(connectionId, group);
    this.#membership.get(connectionId)?.delete(group);
  }

  /** Whether the manager still holds `connectionId` as a member of `group`. */
  isMember(connectionId: string, group: string): boolean {
    return this.#membership.get(connectionId)?.has(group) ?? false;
  }

  /** Whether the manager still knows the connection. */
  knows(connectionId: string): boolean {
    return this.#membership.has(connectionId);
  }

  /** Resolves once the manager's onDisconnected for `connectionId` has completed. */
  disconnected(connectionId: string, ms = 5000): Promise<void> {
    return within(this.#signalFor(connectionId), ms, `lifetime onDisconnected of ${connectionId}`);
  }

  #signalFor(connectionId: string): Promise<void> {
    let signal = this.#goneSignals.get(connectionId);
    if (signal === undefined) {
      signal = new Promise<void>((resolve) => this.#gone.set(connectionId, resolve));
      this.#goneSignals.set(connectionId, signal);
    }
    return signal;
  }

  #signal(connectionId: string): void {
    void this.#signalFor(connectionId);
    this.#gone.get(connectionId)?.();
  }
}
