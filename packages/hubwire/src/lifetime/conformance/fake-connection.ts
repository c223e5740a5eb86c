/**
 * Test helpers of the lifetime-manager conformance suite: connections that record what they are
 * sent, protocols that count their serializations, and bounded waits.
 * @module
 */
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import { jsonHubProtocol } from '../../protocol/json/json-hub-protocol.js';
import { MessageType, type HubMessage, type InvocationMessage } from '../../protocol/messages.js';
import type { SerializedMessage } from '../../protocol/serialized-message.js';
import type { ClientResultOptions, LifetimeConnection } from '../hub-lifetime-manager.js';

/** The JSON protocol under its own name, counting how often it serializes. */
export function countingJson(): HubProtocol & { writes: number } {
  const protocol = {
    name: 'json',
    version: 1,
    transferFormat: 'Text' as const,
    writes: 0,
    parse: jsonHubProtocol.parse,
    write(message: HubMessage) {
      protocol.writes++;
      return jsonHubProtocol.write(message);
    },
  };
  return protocol;
}

/**
 * A connection that records the target of each message it is sent (parsed from its bytes). Its
 * outbound backlog is whatever the test sets (`setBacklog`), for the slow-consumer policies.
 */
export class FakeConnection implements LifetimeConnection {
  readonly targets: string[] = [];
  readonly seen: SerializedMessage[] = [];
  /** Every invocation it was sent, parsed (arguments included). */
  readonly invocations: InvocationMessage[] = [];
  /** The reason given to `closeAsSlow`, once called. */
  closedAsSlow: string | undefined;
  #waiters: (() => void)[] = [];
  #backlog = 0;
  #backlogWaiters: { readonly bytes: number; readonly resolve: () => void }[] = [];

  constructor(
    readonly connectionId: string,
    readonly userIdentifier: string | undefined = undefined,
    readonly protocol: HubProtocol = jsonHubProtocol,
    readonly fail = false,
  ) {}

  /** Answers `<connection id>:<target>`; tests replace it for other answers. */
  async invokeClient(target: string, _args: readonly unknown[], _options: ClientResultOptions): Promise<unknown> {
    return `${this.connectionId}:${target}`;
  }

  writeSerialized(message: SerializedMessage): void {
    if (this.fail) throw new Error('broken socket');
    this.seen.push(message);
    const parsed = this.protocol.parse(message.get(this.protocol), null);
    for (const hub of parsed.messages) {
      if ('target' in hub) this.targets.push(hub.target);
      if (hub.type === MessageType.Invocation) this.invocations.push(hub);
    }
    for (const wake of this.#waiters.splice(0)) wake();
  }

  outboundBacklog(): number {
    return this.#backlog;
  }

  whenBacklogBelow(bytes: number): Promise<void> {
    if (this.#backlog < bytes || this.closedAsSlow !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.#backlogWaiters.push({ bytes, resolve }));
  }

  closeAsSlow(reason: string): void {
    this.closedAsSlow = reason;
    for (const waiter of this.#backlogWaiters.splice(0)) waiter.resolve();
  }

  /** Sets the bytes "waiting" on this connection, waking `whenBacklogBelow` waiters it satisfies. */
  setBacklog(bytes: number): void {
    this.#backlog = bytes;
    const waiting = this.#backlogWaiters;
    this.#backlogWaiters = waiting.filter((waiter) => bytes >= waiter.bytes);
    for (const waiter of waiting) if (bytes < waiter.bytes) waiter.resolve();
  }

  /** Resolves once `condition` holds (checked after each message); rejects after `ms` with `what`. */
  async until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.connectionId}: timed out waiting for ${what}; got ${JSON.stringify(this.targets)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** How many messages with `target` arrived. */
  count(target: string): number {
    return this.targets.filter((seen) => seen === target).length;
  }

  /** Resolves once `target` has arrived `times` times; rejects after `ms`. */
  async received(target: string, times = 1, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.count(target) < times) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.connectionId} got '${target}' ${this.count(target)} times, expected ${times}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
