/**
 * The hub class of a serverless hub: no methods of its own. Every client invocation reaches
 * `fallbackMethod`, which forwards it upstream (category `messages`) and answers with what the
 * upstream answers; connects and disconnects are queued on the webhook dispatcher as Azure's
 * `connections/connected` (body `{}`) and `connections/disconnected` (body `{"Error": …}`).
 *
 * Each serverless hub gets a class of its own: a hub class has one lifetime manager over all its
 * paths, and the Redis backplane names its channels after the class, so two serverless hubs
 * sharing a class would share their audiences.
 * @module
 */
import { Hub, HubError, type HubClass } from 'hubwire';
import { connectionFacts } from '../upstream/upstream-headers.js';
import type { WebhookDispatcher } from '../upstream/upstream-types.js';
import type { InvocationForwarder } from './invocation-forwarder.js';

/** What a serverless hub is given. */
export interface ServerlessHubServices {
  /** The hub's name (`chat` for `/hubs/chat`), lower-case, as upstream requests name it. */
  readonly hub: string;
  readonly forwarder: InvocationForwarder;
  readonly dispatcher: WebhookDispatcher;
}

/**
 * The base of every serverless hub class: forwards what clients invoke and reports connects and
 * disconnects.
 */
export abstract class ServerlessHub extends Hub {
  readonly #services: ServerlessHubServices;

  constructor(services: ServerlessHubServices) {
    super();
    this.#services = services;
  }

  override onConnected(): void {
    this.#services.dispatcher.enqueue({ category: 'connections', event: 'connected', connection: connectionFacts(this.context, this.#services.hub) }, {});
  }

  override onDisconnected(error?: Error): void {
    // Azure's body: the error text of an abnormal end, empty when the client or server closed on purpose
    // (as the lifecycle webhooks of code hubs send it).
    this.#services.dispatcher.enqueue({ category: 'connections', event: 'disconnected', connection: connectionFacts(this.context, this.#services.hub) }, { Error: error?.message ?? '' });
  }

  /**
   * The `fallbackMethod` of the hub's mapping: any method a client invokes. Resolves with the
   * upstream's result; throws a HubError (its text reaches the client) when the upstream answered
   * an error or did not answer. A fire-and-forget send is forwarded the same way, its outcome
   * only logged (by the forwarder). Static, so that it is no hub method a client could name.
   */
  static readonly fallbackMethod = async function (this: ServerlessHub, method: string, args: unknown[]): Promise<unknown> {
    const services = this.#services;
    const { invocationId, signal } = this.invocation;
    const outcome = await services.forwarder.forward({
      connection: connectionFacts(this.context, services.hub),
      protocol: this.context.protocol,
      target: method,
      arguments: args,
      invocationId,
      signal,
    });
    if (invocationId === undefined) return undefined;
    if (!outcome.ok) throw new HubError(outcome.error);
    return outcome.result;
  };
}

/**
 * A class of its own for the serverless hub `services.hub`, and the factory `mapHub` creates its
 * instances with.
 *
 * @example
 * ```ts
 * const { hubClass, create } = serverlessHubClass({ hub: 'chat', forwarder, dispatcher });
 * hubwire.mapHub('/hubs/chat', hubClass, { create, fallbackMethod: ServerlessHub.fallbackMethod });
 * ```
 */
export function serverlessHubClass(services: ServerlessHubServices): { readonly hubClass: HubClass<ServerlessHub>; readonly create: () => ServerlessHub } {
  const named = class extends ServerlessHub {};
  // The backplane's channels are named after the class: the same on every node, unlike any code hub's.
  Object.defineProperty(named, 'name', { value: `ServerlessHub_${services.hub}` });
  return { hubClass: named, create: () => new named(services) };
}
