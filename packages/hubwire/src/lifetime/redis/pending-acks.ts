/**
 * Group changes waiting for the acknowledgement of the node that owns the connection, each with
 * a timeout: shared by both backplane layouts (their ack messages differ, their waiting does not).
 * @module
 */

interface Pending {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

const noop = () => undefined;

/** Pending acks by id. Ids are Int32s from 1 (what ASP.NET's group commands carry), wrapping around. */
export class PendingAcks {
  readonly #timeout: number;
  readonly #pending = new Map<number, Pending>();
  #next = 1;

  /** @param timeout how long an ack may take (ms) before its wait fails. */
  constructor(timeout: number) {
    this.#timeout = timeout;
  }

  /**
   * A new id and the promise of its ack, which fails with `timedOut()` after the timeout. Register
   * before publishing: an ack may come back before the publish call has resolved.
   */
  create(timedOut: (timeout: number) => Error): { id: number; acked: Promise<void> } {
    const id = this.#next;
    this.#next = this.#next >= 0x7fff_ffff ? 1 : this.#next + 1;
    const acked = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(timedOut(this.#timeout));
      }, this.#timeout);
      this.#pending.set(id, { resolve, reject, timer });
    });
    // The caller may give up on it (a failed publish) without awaiting.
    acked.catch(noop);
    return { id, acked };
  }

  /** The ack of `id` arrived; unknown ids (another hub's, or late) are ignored. */
  acknowledge(id: number): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.forget(id);
    pending.resolve();
  }

  /** Stops waiting for `id`, settling nothing. */
  forget(id: number): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.#pending.delete(id);
  }

  /** Fails every wait with `error`. */
  close(error: Error): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(error);
    }
  }
}
