/**
 * A node's own publications coming back to it. In ASP.NET's layout a message carries no sender,
 * so the publishing node serves its own connections when its publication arrives through its own
 * subscription, like every other node; `send()` still resolves only once its local recipients
 * have the message (the lifetime-manager contract), by waiting for that copy here.
 * @module
 */

/** One publication waiting for its copy. */
export interface Echo {
  readonly channel: string;
  readonly payload: Buffer;
  /** Resolves when the copy arrived, when the wait was given up ({@link OwnEchoes.cancel}), or after the longest wait. */
  readonly arrived: Promise<void>;
}

interface Waiting extends Echo {
  readonly done: () => void;
}

/**
 * Publications waiting for their copy, per channel. Redis delivers one publisher's messages on a
 * channel in order, so a copy that arrives settles its publication and every earlier one of the
 * channel (those copies are lost, e.g. across a reconnect). A payload is recognised by its bytes:
 * another server publishing the very same bytes in between can only settle a wait early.
 */
export class OwnEchoes {
  readonly #longestWait: number;
  readonly #waiting = new Map<string, Waiting[]>();

  /** @param longestWait ms after which a wait ends without its copy (the message is delivered whenever the copy comes). */
  constructor(longestWait: number) {
    this.#longestWait = longestWait;
  }

  /** Starts waiting for the copy of `payload` on `channel`; call it before publishing. */
  expect(channel: string, payload: Buffer): Echo {
    let done!: () => void;
    const arrived = new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#settle(channel, waiting), this.#longestWait);
      done = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    const waiting: Waiting = { channel, payload, arrived, done };
    const list = this.#waiting.get(channel);
    if (list === undefined) this.#waiting.set(channel, [waiting]);
    else list.push(waiting);
    return waiting;
  }

  /** A payload arrived on `channel` (after it was delivered): settles the wait for it, if it is this node's. */
  heard(channel: string, payload: Buffer): void {
    const list = this.#waiting.get(channel);
    if (list === undefined) return;
    const index = list.findIndex((waiting) => waiting.payload.equals(payload));
    if (index < 0) return;
    for (const waiting of list.splice(0, index + 1)) waiting.done();
    if (list.length === 0) this.#waiting.delete(channel);
  }

  /** Stops waiting (the publish failed: no copy will come). */
  cancel(echo: Echo): void {
    this.#settle(echo.channel, echo as Waiting);
  }

  /** Ends every wait. */
  close(): void {
    for (const list of this.#waiting.values()) for (const waiting of list) waiting.done();
    this.#waiting.clear();
  }

  #settle(channel: string, waiting: Waiting): void {
    const list = this.#waiting.get(channel);
    const index = list?.indexOf(waiting) ?? -1;
    if (index >= 0) {
      list!.splice(index, 1);
      if (list!.length === 0) this.#waiting.delete(channel);
    }
    waiting.done();
  }
}
