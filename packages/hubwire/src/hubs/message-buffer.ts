/**
 * Stateful reconnect bookkeeping for one connection (ASP.NET's MessageBuffer): numbers the
 * trackable messages sent and keeps their bytes until the client acknowledges them, numbers those
 * received to drop duplicates replayed after a reconnect, and says when an Ack is due.
 * @module
 */
import { ProtocolError } from '../core/errors.js';

interface Sent {
  readonly sequenceId: number;
  readonly bytes: Buffer | string;
  readonly size: number;
}

/** Sequence numbers and the replay buffer of one stateful-reconnect connection. */
export class MessageBuffer {
  readonly #limit: number;
  #sent: Sent[] = [];
  #sentHead = 0;
  #bufferedBytes = 0;
  #totalSent = 0;
  /** The sequence id the next trackable message from the client will have. */
  #nextReceived = 1;
  /** The highest sequence id received and processed. */
  #latestReceived = 0;
  #lastAcked = 0;

  /** `limit`: unacknowledged bytes kept before further sends must wait for an Ack. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Bytes sent and not yet acknowledged. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** Whether a message of `size` bytes may go out now (the buffer is empty or has room). */
  hasRoomFor(size: number): boolean {
    return this.#bufferedBytes === 0 || this.#bufferedBytes + size <= this.#limit;
  }

  /** Records a trackable message sent (or queued while the transport is down). */
  track(bytes: Buffer | string, size: number): void {
    this.#sent.push({ sequenceId: ++this.#totalSent, bytes, size });
    this.#bufferedBytes += size;
  }

  /** The client acknowledged every message up to `sequenceId`. */
  acknowledge(sequenceId: number): void {
    while (this.#sentHead < this.#sent.length && this.#sent[this.#sentHead]!.sequenceId <= sequenceId) {
      this.#bufferedBytes -= this.#sent[this.#sentHead]!.size;
      this.#sentHead++;
    }
    if (this.#sentHead > 64 && this.#sentHead * 2 > this.#sent.length) {
      this.#sent = this.#sent.slice(this.#sentHead);
      this.#sentHead = 0;
    }
  }

  /**
   * For a resumed transport: the id to announce in our Sequence message (the oldest
   * unacknowledged message, or one past the last sent when none is), and the bytes to replay.
   */
  replay(): { sequenceId: number; messages: (Buffer | string)[] } {
    const pending = this.#sent.slice(this.#sentHead);
    return { sequenceId: pending[0]?.sequenceId ?? this.#totalSent + 1, messages: pending.map((sent) => sent.bytes) };
  }

  /**
   * Numbers a trackable message from the client; false for a duplicate (replayed after a
   * reconnect but processed before), which must be dropped.
   */
  receive(): boolean {
    const sequenceId = this.#nextReceived++;
    if (sequenceId <= this.#latestReceived) return false;
    this.#latestReceived = sequenceId;
    return true;
  }

  /** The client's Sequence message: its replay starts at `sequenceId`. */
  resetSequence(sequenceId: number): void {
    if (sequenceId > this.#nextReceived) {
      throw new ProtocolError('Sequence ID greater than amount of messages we\u2019ve received.');
    }
    this.#nextReceived = sequenceId;
  }

  /** The Ack to send, if anything was processed since the last one. */
  ackDue(): number | undefined {
    if (this.#latestReceived <= this.#lastAcked) return undefined;
    this.#lastAcked = this.#latestReceived;
    return this.#latestReceived;
  }
}
