/**
 * Turns invocation messages into hub method calls and their results into Completion messages.
 * @module
 */
import type { Logger } from '../core/logger.js';
import type { MetricLabels, Metrics } from '../core/metrics.js';
import { MessageType, type HubMessage, type InvocationMessage, type StreamInvocationMessage } from '../protocol/messages.js';
import * as texts from './error-messages.js';
import type { GroupManager } from './group-manager.js';
import type { HubCallerClients } from './hub-clients.js';
import type { HubCallerContext } from './hub-caller-context.js';
import { bindHub, type Hub } from './hub.js';
import type { HubMethod } from './method-table.js';

/** The connection as the dispatcher needs it. */
export interface DispatchTarget {
  readonly context: HubCallerContext;
  readonly callerClients: HubCallerClients<unknown>;
  /** Sends one message to this connection only. */
  write(message: HubMessage): void;
}

/** What a dispatcher is built from (once per mapped hub). */
export interface HubDispatcherInit {
  readonly hubName: string;
  readonly methods: ReadonlyMap<string, HubMethod>;
  readonly createHub: () => Hub<unknown>;
  readonly groups: GroupManager;
  readonly detailedErrors: boolean;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly labels: MetricLabels;
}

/** Runs hub methods and lifecycle hooks for one mapped hub. */
export class HubDispatcher {
  readonly #init: HubDispatcherInit;

  constructor(init: HubDispatcherInit) {
    this.#init = init;
  }

  #hubFor(target: DispatchTarget): Hub<unknown> {
    const hub = this.#init.createHub();
    bindHub(hub, { context: target.context, clients: target.callerClients, groups: this.#init.groups });
    return hub;
  }

  /** Runs `onConnected`; a throw propagates so the connection closes with an error. */
  async onConnected(target: DispatchTarget): Promise<void> {
    await this.#hubFor(target).onConnected();
  }

  /** Runs `onDisconnected`; a throw is logged, never propagated. */
  async onDisconnected(target: DispatchTarget, error: Error | undefined): Promise<void> {
    try {
      await this.#hubFor(target).onDisconnected(error);
    } catch (failure) {
      this.#init.logger.error({ hub: this.#init.hubName, connectionId: target.context.connectionId, err: failure }, 'onDisconnected threw');
    }
  }

  /**
   * Runs one Invocation. Blocking invocations (with an id) get exactly one Completion;
   * fire-and-forget ones get nothing back, not even on error.
   */
  async invoke(target: DispatchTarget, message: InvocationMessage): Promise<void> {
    const { methods, detailedErrors, metrics, labels } = this.#init;
    const id = message.invocationId;
    metrics.increment('invocations', labels);
    const method = methods.get(message.target.toLowerCase());
    if (method === undefined) {
      this.#fail(target, id, texts.methodDoesNotExist(message.target));
      return;
    }
    const streamCount = message.streamIds?.length ?? 0;
    if (streamCount > 0) {
      this.#fail(target, id, texts.streamCountMismatch(message.target, streamCount, 0));
      return;
    }
    if (message.arguments.length !== method.parameterCount) {
      this.#fail(target, id, texts.argumentCountMismatch(message.target, message.arguments.length, method.parameterCount, detailedErrors));
      return;
    }
    let result: unknown;
    try {
      result = await method.fn.apply(this.#hubFor(target), message.arguments as unknown[]);
    } catch (error) {
      this.#init.logger.warn({ hub: this.#init.hubName, connectionId: target.context.connectionId, method: method.name, err: error }, 'hub method failed');
      this.#fail(target, id, texts.invocationFailed(message.target, error, detailedErrors));
      return;
    }
    if (id === undefined) return;
    try {
      target.write({ type: MessageType.Completion, invocationId: id, hasResult: result !== undefined, result });
    } catch (error) {
      // The result cannot be serialized: the caller still gets its one Completion.
      this.#init.logger.warn({ hub: this.#init.hubName, connectionId: target.context.connectionId, method: method.name, err: error }, 'hub method result not serializable');
      this.#fail(target, id, texts.invocationFailed(message.target, error, detailedErrors));
    }
  }

  /** Runs one StreamInvocation. Server-to-client streaming is not implemented yet. */
  async stream(target: DispatchTarget, message: StreamInvocationMessage): Promise<void> {
    const method = this.#init.methods.get(message.target.toLowerCase());
    this.#fail(
      target,
      message.invocationId,
      method === undefined ? texts.methodDoesNotExist(message.target) : texts.nonStreamingMethodStreamed(message.target),
    );
  }

  #fail(target: DispatchTarget, invocationId: string | undefined, error: string): void {
    this.#init.metrics.increment('invocationErrors', this.#init.labels);
    if (invocationId !== undefined) {
      target.write({ type: MessageType.Completion, invocationId, hasResult: false, error });
    }
  }
}
