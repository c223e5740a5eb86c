/**
 * Server-to-client invocations that await the client's answer ("client results"), for one
 * connection: ids, pending calls, cancellation and the errors ASP.NET reports.
 * @module
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { HubError, HubwireError } from '../core/errors.js';
import type { ClientResultOptions } from '../lifetime/hub-lifetime-manager.js';
import type { CompletionMessage } from '../protocol/messages.js';

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly dispose: () => void;
}

/** The pending client-result calls of one connection. */
export class ClientResults {
  readonly #connectionId: string;
  readonly #clock: Clock;
  readonly #pending = new Map<string, Pending>();
  #nextId = 0;

  constructor(connectionId: string, clock: Clock) {
    this.#connectionId = connectionId;
    this.#clock = clock;
  }

  /**
   * Registers a call and returns its invocation id and the promise of its result. Server ids are
   * `s1`, `s2`, … so they never collide with the ids clients choose for their upload streams.
   */
  start(options: ClientResultOptions): { invocationId: string; result: Promise<unknown> } {
    const invocationId = `s${++this.#nextId}`;
    const result = new Promise<unknown>((resolve, reject) => {
      const { signal, timeout } = options;
      if (signal?.aborted) {
        reject(canceled());
        return;
      }
      let timer: TimerHandle | undefined;
      const onAbort = () => this.#settle(invocationId, undefined, canceled());
      const dispose = () => {
        timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
      };
      this.#pending.set(invocationId, { resolve, reject, dispose });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout !== undefined && timeout > 0) {
        timer = this.#clock.setTimeout(
          () => this.#settle(invocationId, undefined, new HubwireError('HUB_ERR_CLIENT_RESULT', `Client result timed out after ${timeout} ms.`)),
          timeout,
        );
      }
    });
    return { invocationId, result };
  }

  /** Whether `invocationId` is a call waiting for this connection's answer. */
  has(invocationId: string): boolean {
    return this.#pending.has(invocationId);
  }

  /** The client answered: its result, or its error text as a HubError. */
  complete(message: CompletionMessage): void {
    if (message.error !== undefined) this.#settle(message.invocationId, undefined, new HubError(message.error));
    else this.#settle(message.invocationId, message.result, undefined);
  }

  /** The call was never sent (the write failed): forget it with that error. */
  fail(invocationId: string, error: Error): void {
    this.#settle(invocationId, undefined, error);
  }

  /** The connection ended: every pending call fails. */
  disconnected(): void {
    for (const id of [...this.#pending.keys()]) {
      this.#settle(id, undefined, new HubwireError('HUB_ERR_CLIENT_RESULT', `Connection '${this.#connectionId}' disconnected.`));
    }
  }

  #settle(invocationId: string, value: unknown, error: Error | undefined): void {
    const pending = this.#pending.get(invocationId);
    if (pending === undefined) return;
    this.#pending.delete(invocationId);
    pending.dispose();
    if (error !== undefined) pending.reject(error);
    else pending.resolve(value);
  }
}

function canceled(): Error {
  return new HubwireError('HUB_ERR_CLIENT_RESULT', 'Invocation canceled by the server.');
}
