/**
 * The `clients` of hubs and hub contexts: proxies addressing all connections, groups, users or
 * single connections.
 * @module
 */
import type { Audience, HubLifetimeManager } from '../lifetime/hub-lifetime-manager.js';
import { HubwireError } from '../core/errors.js';
import { MessageType } from '../protocol/messages.js';
import { createClientProxy, type ClientProxy, type DynamicClient, type SingleClientProxy } from './client-proxy.js';

/**
 * Every audience reachable from anywhere in the process.
 *
 * @example
 * ```ts
 * const chat = hubwire.hubContext(ChatHub);
 * await chat.clients.group('room-1').receiveMessage('system', 'maintenance at 10:00');
 * ```
 */
export interface HubClients<T = DynamicClient> {
  /** Every connection of the hub. */
  readonly all: ClientProxy<T>;
  /** Every connection but the given ones. */
  allExcept(excludedConnectionIds: readonly string[]): ClientProxy<T>;
  /** One connection; its proxy can also `invoke` and await the client's answer. */
  client(connectionId: string): SingleClientProxy<T>;
  /** Several connections. */
  clients(connectionIds: readonly string[]): ClientProxy<T>;
  /** The members of a group. */
  group(group: string): ClientProxy<T>;
  /** The members of any of the groups, each once. */
  groups(groups: readonly string[]): ClientProxy<T>;
  /** The members of a group but the given connections. */
  groupExcept(group: string, excludedConnectionIds: readonly string[]): ClientProxy<T>;
  /** Every connection of a user. */
  user(userId: string): ClientProxy<T>;
  /** Every connection of any of the users. */
  users(userIds: readonly string[]): ClientProxy<T>;
}

/** {@link HubClients} plus the audiences relative to the calling connection. */
export interface HubCallerClients<T = DynamicClient> extends HubClients<T> {
  /** The connection that invoked the hub method; its proxy can also `invoke`. */
  readonly caller: SingleClientProxy<T>;
  /** Every connection but the caller. */
  readonly others: ClientProxy<T>;
  /** The members of a group but the caller. */
  othersInGroup(group: string): ClientProxy<T>;
}

/** How client-result calls made through these clients behave. */
export interface ClientInvokeSettings {
  /** Default timeout of a client-result call (ms); 0 for none. */
  readonly timeout: number;
  /** False inside onConnected, where ASP.NET forbids client results. */
  readonly allowed: boolean;
  /** Called before waiting for a client's answer (gives the caller's invocation slot back). */
  readonly beforeWait?: () => void;
}

const ANYWHERE: ClientInvokeSettings = { timeout: 0, allowed: true };

function proxyFor<T>(lifetime: HubLifetimeManager, audience: Audience): ClientProxy<T> {
  return createClientProxy<T>((target, args) =>
    lifetime.send(audience, { type: MessageType.Invocation, target, arguments: args }),
  );
}

function singleProxyFor<T>(lifetime: HubLifetimeManager, connectionId: string, settings: ClientInvokeSettings): SingleClientProxy<T> {
  return createClientProxy<T>(
    (target, args) => lifetime.send({ kind: 'connections', ids: [connectionId] }, { type: MessageType.Invocation, target, arguments: args }),
    (target, args, signal) => {
      if (!settings.allowed) {
        return Promise.reject(new HubwireError('HUB_ERR_CLIENT_RESULT', 'Client results inside OnConnectedAsync Hub methods are not allowed.'));
      }
      settings.beforeWait?.();
      return lifetime.invokeConnection(connectionId, target, args, { signal, timeout: settings.timeout });
    },
  );
}

class DefaultHubClients<T> implements HubClients<T> {
  protected readonly lifetime: HubLifetimeManager;
  protected readonly settings: ClientInvokeSettings;
  #all: ClientProxy<T> | undefined;

  constructor(lifetime: HubLifetimeManager, settings: ClientInvokeSettings) {
    this.lifetime = lifetime;
    this.settings = settings;
  }

  get all(): ClientProxy<T> {
    return (this.#all ??= proxyFor<T>(this.lifetime, { kind: 'all' }));
  }

  allExcept(excludedConnectionIds: readonly string[]): ClientProxy<T> {
    return proxyFor(this.lifetime, { kind: 'all', except: [...excludedConnectionIds] });
  }
  client(connectionId: string): SingleClientProxy<T> {
    return singleProxyFor(this.lifetime, connectionId, this.settings);
  }
  clients(connectionIds: readonly string[]): ClientProxy<T> {
    return proxyFor(this.lifetime, { kind: 'connections', ids: [...connectionIds] });
  }
  group(group: string): ClientProxy<T> {
    return proxyFor(this.lifetime, { kind: 'groups', names: [group] });
  }
  groups(groups: readonly string[]): ClientProxy<T> {
    return proxyFor(this.lifetime, { kind: 'groups', names: [...groups] });
  }
  groupExcept(group: string, excludedConnectionIds: readonly string[]): ClientProxy<T> {
    return proxyFor(this.lifetime, { kind: 'groups', names: [group], except: [...excludedConnectionIds] });
  }
  user(userId: string): ClientProxy<T> {
    return proxyFor(this.lifetime, { kind: 'users', ids: [userId] });
  }
  users(userIds: readonly string[]): ClientProxy<T> {
    return proxyFor(this.lifetime, { kind: 'users', ids: [...userIds] });
  }
}

class DefaultHubCallerClients<T> extends DefaultHubClients<T> implements HubCallerClients<T> {
  readonly #connectionId: string;
  #caller: SingleClientProxy<T> | undefined;
  #others: ClientProxy<T> | undefined;

  constructor(lifetime: HubLifetimeManager, connectionId: string, settings: ClientInvokeSettings) {
    super(lifetime, settings);
    this.#connectionId = connectionId;
  }

  get caller(): SingleClientProxy<T> {
    return (this.#caller ??= this.client(this.#connectionId));
  }
  get others(): ClientProxy<T> {
    return (this.#others ??= this.allExcept([this.#connectionId]));
  }
  othersInGroup(group: string): ClientProxy<T> {
    return this.groupExcept(group, [this.#connectionId]);
  }
}

/** The clients of a hub context (no caller). */
export function createHubClients<T>(lifetime: HubLifetimeManager, settings: ClientInvokeSettings = ANYWHERE): HubClients<T> {
  return new DefaultHubClients<T>(lifetime, settings);
}

/** The clients of one connection's hub invocations. */
export function createHubCallerClients<T>(lifetime: HubLifetimeManager, connectionId: string, settings: ClientInvokeSettings = ANYWHERE): HubCallerClients<T> {
  return new DefaultHubCallerClients<T>(lifetime, connectionId, settings);
}
