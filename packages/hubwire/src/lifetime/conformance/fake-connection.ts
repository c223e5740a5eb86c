/**
 * Test helpers of the lifetime-manager conformance suite: connections that record what they are
 * sent, protocols that count their serializations, and bounded waits.
 * @module
 */
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import { jsonHubProtocol } from '../../protocol/json/json-hub-protocol.js';
import type { HubMessage } from '../../protocol/messages.js';
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

/** A connection that records the target of each message it is sent (parsed from its bytes). */
export class FakeConnection implements LifetimeConnection {
  readonly targets: string[] = [];
  readonly seen: SerializedMessage[] = [];
  #waiters: (() => void)[] = [];

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
    for (const hub of parsed.messages) if ('target' in hub) this.targets.push(hub.target);
    for (const wake of this.#waiters.splice(0)) wake();
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
