/**
 * Keeps a compressing transport's `bufferedAmount` in the units its connection counts: the bytes
 * of the messages it was handed. The hub layer compares what it wrote (message bytes) with what
 * is still buffered (the socket's bytes) to find a send that does not finish; with compressed
 * frames on the socket, that difference would grow by every byte compression saved, and a client
 * that stopped reading would look as if it kept up. So each compressed frame's saving is kept
 * until the socket has flushed past it, and added back to what the socket reports.
 * @module
 */

/** Savings of compressed frames that may still sit in the socket's buffer. */
export class CompressedBacklog {
  // Bytes handed to the socket so far, and where each compressed frame ends in that stream.
  #written = 0;
  #ends: number[] = [];
  #savings: number[] = [];
  #head = 0;
  #saved = 0;

  /** An uncompressed frame of `bytes` went to the socket. */
  wrote(bytes: number): void {
    this.#written += bytes;
  }

  /** A compressed frame of `frameBytes` went to the socket for a message of `messageBytes`. */
  wroteCompressed(frameBytes: number, messageBytes: number): void {
    this.#written += frameBytes;
    const saved = messageBytes - frameBytes;
    if (saved <= 0) return;
    this.#ends.push(this.#written);
    this.#savings.push(saved);
    this.#saved += saved;
  }

  /** `socketBuffered` (what the socket still holds) in message bytes. */
  buffered(socketBuffered: number): number {
    if (this.#saved === 0) return socketBuffered;
    const flushed = this.#written - socketBuffered;
    while (this.#head < this.#ends.length && this.#ends[this.#head]! <= flushed) {
      this.#saved -= this.#savings[this.#head]!;
      this.#head++;
    }
    if (this.#head === this.#ends.length) {
      this.#ends = [];
      this.#savings = [];
      this.#head = 0;
    } else if (this.#head >= 1024) {
      // A client that never quite catches up: drop the passed entries now and then.
      this.#ends = this.#ends.slice(this.#head);
      this.#savings = this.#savings.slice(this.#head);
      this.#head = 0;
    }
    return socketBuffered + this.#saved;
  }
}
