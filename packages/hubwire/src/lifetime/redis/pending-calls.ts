/**
 * The caller's half of client-result calls across nodes that both backplane layouts share:
 * calls waiting for their answer by id, each ended by its answer, its caller's signal, its
 * timeout or the backplane closing, and the publish that sends a call off. What a call looks
 * like on the wire stays with each layout (remote-calls.ts, aspnet-remote-calls.ts).
 * @module
 */
import { HubwireError } from '../../core/errors.js';
import { errorText } from './error-text.js';

interface PendingCall {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly dispose: () => void;
}

/** How long a call waits and what else its caller's cancel does. */
export interface CallWait {
  readonly signal?: AbortSignal | undefined;
  /** The caller's timeout (ms, 0: none): the figure in the timeout error. */
  readonly timeout: number;
  /** Added to `timeout` before the call gives up itself (ms). */
  readonly grace?: number;
  /** Runs after a cancel by the signal has failed the call (e.g. tells the other node). */
  readonly onAbort?: () => void;
}

const noop = () => undefined;

/** The error of a call its caller's signal canceled. */
export function invocationCanceled(): HubwireError {
  return new HubwireError('HUB_ERR_CLIENT_RESULT', 'Invocation canceled by the server.');
}

/** This node's calls for connections elsewhere, by call id, until each is answered or given up. */
export class PendingCalls<K> {
  readonly #calls = new Map<K, PendingCall>();

  /**
   * Registers call `id` and resolves with its answer ({@link settle}); fails it on the signal
   * and after the timeout (plus grace). The promise never counts as unhandled.
   */
  wait(id: K, wait: CallWait): Promise<unknown> {
    const { signal, timeout, grace = 0, onAbort } = wait;
    const result = new Promise<unknown>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const aborted = () => {
        this.settle(id, undefined, invocationCanceled());
        onAbort?.();
      };
      const dispose = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
      };
      this.#calls.set(id, { resolve, reject, dispose });
      signal?.addEventListener('abort', aborted, { once: true });
      if (timeout > 0) {
        timer = setTimeout(() => this.settle(id, undefined, new HubwireError('HUB_ERR_CLIENT_RESULT', `Client result timed out after ${timeout} ms.`)), timeout + grace);
      }
    });
    result.catch(noop);
    return result;
  }

  /**
   * Sends call `id` off with `publish` (the receiver count, exact). A failed publish or one
   * nobody receives (no node has the connection) ends the call and throws the caller's error.
   */
  async send(id: K, connectionId: string, target: string, publish: () => Promise<number>, publishFailed: (text: string, error: unknown) => void): Promise<void> {
    let receivers: number;
    try {
      receivers = await publish();
    } catch (error) {
      this.settle(id, undefined, undefined);
      publishFailed('Redis publish of a client-result call failed', error);
      throw new HubwireError('HUB_ERR_BACKPLANE', `Connection '${connectionId}' is not on this node, and Redis is unreachable to invoke '${target}' on it: ${errorText(error)}`, { cause: error });
    }
    if (receivers === 0) {
      this.settle(id, undefined, undefined);
      throw new HubwireError('HUB_ERR_CLIENT_RESULT', `Connection '${connectionId}' does not exist.`);
    }
  }

  /** Ends a call: with its value, an error, or (neither) silently. An unknown id is ignored (answered already). */
  settle(id: K, value: unknown, error: Error | undefined): void {
    const call = this.#calls.get(id);
    if (call === undefined) return;
    this.#calls.delete(id);
    call.dispose();
    if (error !== undefined) call.reject(error);
    else call.resolve(value);
  }

  /** Fails every pending call (the backplane is closing). */
  close(): void {
    for (const [id, call] of this.#calls) {
      this.#calls.delete(id);
      call.dispose();
      call.reject(new HubwireError('HUB_ERR_SERVER_CLOSED', 'The Redis backplane was closed.'));
    }
  }
}
