/**
 * One hub method call as the hub instance sees it: its binding (`this.context`, `this.clients`,
 * `this.groups`, `this.presence`) and `this.invocation`, in a single object. Every invocation
 * passes here, so it costs one allocation: what a method may never ask for — its `clients` when
 * it holds a slot, its `signal` — is made on first use, from getters on the prototype rather
 * than closures built per call.
 * @module
 */
import type { Presence } from '../lifetime/presence.js';
import type { GroupManager } from './group-manager.js';
import type { HubCallerClients } from './hub-clients.js';
import type { HubCallerContext } from './hub-caller-context.js';
import type { HubBinding, HubInvocation } from './hub.js';

/** An invocation slot a call may give back early, before it waits for a client result. */
export interface InvocationSlot {
  release(): void;
}

/** What a call reads of its connection (the dispatcher's target). */
export interface CallTarget {
  readonly context: HubCallerContext;
  readonly callerClients: HubCallerClients<unknown>;
  callerClientsReleasing(releaseSlot: () => void): HubCallerClients<unknown>;
}

/** The hub-wide parts of a binding. */
export interface CallScope {
  readonly groups: GroupManager;
  readonly presence: Presence;
}

/** A call's binding and its `this.invocation`. */
export class HubCall implements HubBinding, HubInvocation {
  readonly invocationId: string | undefined;
  readonly methodName: string;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly #target: CallTarget;
  readonly #scope: CallScope;
  readonly #slot: InvocationSlot | undefined;
  /** A server stream's own cancellation; plain calls share the connection's signal. */
  readonly #cancellation: { readonly signal: AbortSignal } | undefined;
  #clients: HubCallerClients<unknown> | undefined;

  constructor(
    target: CallTarget,
    scope: CallScope,
    invocationId: string | undefined,
    methodName: string,
    headers: Readonly<Record<string, string>> | undefined,
    slot: InvocationSlot | undefined,
    cancellation?: { readonly signal: AbortSignal },
  ) {
    this.#target = target;
    this.#scope = scope;
    this.invocationId = invocationId;
    this.methodName = methodName;
    this.headers = headers;
    this.#slot = slot;
    this.#cancellation = cancellation;
  }

  get context(): HubCallerContext {
    return this.#target.context;
  }

  /** A method holding a slot gets clients that give it back before waiting for a client result. */
  get clients(): HubCallerClients<unknown> {
    if (this.#clients !== undefined) return this.#clients;
    const slot = this.#slot;
    return (this.#clients = slot === undefined ? this.#target.callerClients : this.#target.callerClientsReleasing(() => slot.release()));
  }

  get groups(): GroupManager {
    return this.#scope.groups;
  }

  get presence(): Presence {
    return this.#scope.presence;
  }

  get invocation(): HubInvocation {
    return this;
  }

  get signal(): AbortSignal {
    return this.#cancellation?.signal ?? this.#target.context.connectionAborted;
  }
}
