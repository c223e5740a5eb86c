/**
 * ASP.NET's `TransportSendTimeout` for a transport without send completions: a send counts as
 * stuck when the bytes written up to it have not all left the process that long after. The
 * heartbeat leaves a checkpoint (bytes written so far) each tick while anything is buffered; a
 * checkpoint is done once that many bytes have been flushed. A client that reads slowly but
 * steadily finishes its checkpoints; one that stopped reading does not, and is closed after the
 * timeout instead of parking megabytes in the kernel and in Node for as long as it likes.
 * @module
 */

interface Checkpoint {
  readonly at: number;
  readonly written: number;
}

/** Watches one connection's outbound bytes for a send that does not complete. */
export class SendWatch {
  readonly #timeout: number;
  // One checkpoint per tick at most, and only while stuck: a handful (timeout / tick) at a time.
  #checkpoints: Checkpoint[] = [];

  /** `timeout` in ms; 0 switches the watch off. */
  constructor(timeout: number) {
    this.#timeout = timeout;
  }

  /**
   * Called on each heartbeat with the bytes written to the transport so far and those it still
   * buffers. Returns how long (ms) the oldest unfinished send has waited, once that reaches the
   * timeout; undefined otherwise.
   */
  check(now: number, written: number, buffered: number): number | undefined {
    if (this.#timeout === 0) return undefined;
    const flushed = written - buffered;
    let done = 0;
    while (done < this.#checkpoints.length && this.#checkpoints[done]!.written <= flushed) done++;
    if (done > 0) this.#checkpoints.splice(0, done);
    if (buffered > 0 && (this.#checkpoints.length === 0 || this.#checkpoints.at(-1)!.written < written)) {
      this.#checkpoints.push({ at: now, written });
    }
    const oldest = this.#checkpoints[0];
    if (oldest === undefined) return undefined;
    const waited = now - oldest.at;
    return waited >= this.#timeout ? waited : undefined;
  }
}
