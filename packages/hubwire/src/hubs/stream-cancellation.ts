/**
 * The cancellation of one server stream, which never lands before the stream has started.
 * @module
 */

/**
 * Cancels one server stream (a CancelInvocation, or the end of the connection).
 *
 * ASP.NET always calls a streaming method and its first `MoveNextAsync` before a cancel can take
 * effect, so the method's cancellation logic runs even when the StreamInvocation and its
 * CancelInvocation arrive in one read. In JavaScript an `async *` method's body only starts with
 * the first `next()`, and a listener added to an already aborted signal never fires; so a cancel
 * that comes before the first `next()` is held until that call has started the body, and then
 * aborts the signal the body has already subscribed to.
 */
export class StreamCancellation {
  readonly #controller = new AbortController();
  #started = false;
  #requested = false;

  /** The signal the streaming method sees as `this.invocation.signal`. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True once a cancel was asked for, whether or not the signal has fired yet. */
  get requested(): boolean {
    return this.#requested;
  }

  /** Cancels the stream: at once if it has started, otherwise right after it starts. */
  abort(): void {
    this.#requested = true;
    if (this.#started) this.#controller.abort();
  }

  /** The producer has been asked for its first item; a held cancel now fires. */
  started(): void {
    if (this.#started) return;
    this.#started = true;
    if (this.#requested) this.#controller.abort();
  }
}
