/**
 * Builds what hub code sees of one connection: `this.context`, and `this.clients` in methods and
 * in `onConnected`. The connection creates each the first time a hub asks for it, not with the
 * connection, because thousands of idle connections should cost as little memory as possible;
 * for the same reason `items` is a Map only once used. What can change during the connection's
 * life is read through rather than copied: stateful reconnect replaces the request with the new
 * WebSocket's, and the protocol is chosen by the handshake.
 * @module
 */
import type { HttpConnection } from '../connections/http-connection.js';
import type { HubLifetimeManager } from '../lifetime/hub-lifetime-manager.js';
import type { HubCallerContext } from './hub-caller-context.js';
import { createHubCallerClients, type HubCallerClients } from './hub-clients.js';

/** What the context reads from its connection, which keeps its state private behind this. */
export interface CallerContextSource {
  readonly userIdentifier: string | undefined;
  /** The hub protocol's name, or '' before the handshake. */
  readonly protocolName: string;
  /** Fires when the connection ends (already aborted once it has). */
  readonly connectionAborted: AbortSignal;
  abort(): void;
}

/** The context of the connection `source` over `http`. */
export function createCallerContext(http: HttpConnection, source: CallerContextSource): HubCallerContext {
  let items: Map<unknown, unknown> | undefined;
  return {
    connectionId: http.connectionId,
    userIdentifier: source.userIdentifier,
    user: http.principal,
    get items() {
      return (items ??= new Map());
    },
    get request() {
      return http.request;
    },
    transport: http.transportKind ?? 'WebSockets',
    get protocol() {
      return source.protocolName;
    },
    get connectionAborted() {
      return source.connectionAborted;
    },
    abort: () => source.abort(),
  };
}

/** What a connection's clients are built from (the mapped hub). */
export interface CallerClientsHost {
  readonly lifetime: HubLifetimeManager;
  readonly options: { readonly clientResultTimeout: number };
}

/**
 * The `this.clients` of hub methods on connection `connectionId`. With `releaseSlot`, a method
 * gives its invocation slot back before it waits for a client result, so the connection can go
 * on reading (ASP.NET does the same; otherwise parallelism 1 deadlocks).
 */
export function createCallerClients(host: CallerClientsHost, connectionId: string, releaseSlot?: () => void): HubCallerClients<unknown> {
  const timeout = host.options.clientResultTimeout;
  const settings = releaseSlot === undefined ? { timeout, allowed: true } : { timeout, allowed: true, beforeWait: releaseSlot };
  return createHubCallerClients(host.lifetime, connectionId, settings);
}

/** The `this.clients` of `onConnected`: client results are not allowed there, as in ASP.NET. */
export function createConnectingClients(host: CallerClientsHost, connectionId: string): HubCallerClients<unknown> {
  return createHubCallerClients(host.lifetime, connectionId, { timeout: 0, allowed: false });
}
