/**
 * What a page shows of a hub connection — state, transport, protocol and why it was lost —
 * derived from the `@hubwire/client` state, kept apart from React so it is tested alone.
 * @module
 */
import type { HubState, TransportName } from '@hubwire/client';

/** A hub connection as the UI shows it. */
export interface HubStatus {
  /** The hub's path, e.g. `/hubs/events`. */
  readonly path: string;
  /** `idle`: not started (logged out, or the page asked for no connection). */
  readonly state: HubState | 'idle';
  /** The transport while connected. */
  readonly transport: TransportName | undefined;
  /** The hub protocol (`json`, `messagepack`). */
  readonly protocol: string | undefined;
  /** Why the connection was lost or refused, while it is not connected. */
  readonly error: string | undefined;
}

/** What {@link statusOf} reads of a hub client. */
export interface HubLike {
  readonly state: HubState;
  readonly transport: TransportName | undefined;
  readonly protocol: string;
}

/** The status of a hub that is not started. */
export function idleStatus(path: string): HubStatus {
  return { path, state: 'idle', transport: undefined, protocol: undefined, error: undefined };
}

/**
 * The status of `hub` now. `error` is the reason of the last state change; it is kept while the
 * connection is down (a later change without a reason, e.g. reconnecting → connecting, keeps the
 * earlier one) and dropped once connected.
 */
export function statusOf(path: string, hub: HubLike, error: Error | undefined, previous?: HubStatus): HubStatus {
  const connected = hub.state === 'connected';
  const reason = connected ? undefined : (error !== undefined ? describeError(error) : previous?.error);
  return { path, state: hub.state, transport: connected ? hub.transport : undefined, protocol: hub.protocol, error: reason };
}

/** A short reason for the UI: the server's refusal or the network error, without stack noise. */
export function describeError(error: Error): string {
  const text = error.message.replace(/^Error: /, '').trim();
  // The official client wraps a refused negotiate as "Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'".
  const status = /Status code '(\d{3})'/.exec(text)?.[1];
  if (status === '401') return 'refused: not logged in or the token expired (401)';
  if (status === '403') return 'refused: your roles do not allow this hub (403)';
  if (status === '404') return 'this server has no such hub (404)';
  if (status === '503') return 'the server is shutting down (503)';
  return text === '' ? error.name : text;
}

/** A label such as `connected · WebSockets · json`. */
export function statusLabel(status: HubStatus): string {
  const parts: string[] = [status.state === 'idle' ? 'not connected' : status.state];
  if (status.transport !== undefined) parts.push(status.transport);
  if (status.state === 'connected' && status.protocol !== undefined) parts.push(status.protocol);
  return parts.join(' · ');
}

/** Whether two statuses show the same (the indicator re-renders only on a change). */
export function sameStatus(a: HubStatus, b: HubStatus): boolean {
  return a.path === b.path && a.state === b.state && a.transport === b.transport && a.protocol === b.protocol && a.error === b.error;
}
