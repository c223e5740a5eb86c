/**
 * How bytes leave a connection: the slow-consumer limit on what waits in the transport, the wait
 * of a server stream held back by that backlog, and, with stateful reconnect, the numbered replay
 * buffer with its stall-until-acknowledged rule.
 * @module
 */
import type { HttpConnection } from '../connections/http-connection.js';
import type { Transport } from '../transports/transport.js';
import { MessageBuffer } from './message-buffer.js';

// How often a server stream held back by a slow client looks at the backlog again.
const BACKLOG_POLL_MS = 5;

function byteLength(payload: Buffer | string): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
}

/** The outbound side of one hub connection. */
export class ConnectionOutput {
  readonly #http: HttpConnection;
  readonly #limit: number;
  readonly #onOverflow: (bufferedBytes: number) => void;
  /** Binary frames (MessagePack) or text frames (JSON). */
  binary = false;
  /** Set on every write; the heartbeat reads and clears it to decide on keep-alive pings. */
  wroteSinceTick = false;
  /** Bytes handed to transports so far (the send timeout compares it with what they still buffer). */
  written = 0;
  #replay: MessageBuffer | undefined;
  /** Trackable messages waiting for room in the replay buffer (the client has not acked). */
  #stalled: { payload: Buffer | string; size: number }[] = [];
  #stalledBytes = 0;

  /** `limit`: bytes that may wait for a slow client; past it `onOverflow` is called instead of sending. */
  constructor(http: HttpConnection, limit: number, onOverflow: (bufferedBytes: number) => void) {
    this.#http = http;
    this.#limit = limit;
    this.#onOverflow = onOverflow;
  }

  /** Stateful reconnect's bookkeeping, when it is on. */
  get replay(): MessageBuffer | undefined {
    return this.#replay;
  }

  /** Turns stateful reconnect on: trackable messages are numbered and kept until acknowledged. */
  enableReplay(bufferSize: number): void {
    this.#replay = new MessageBuffer(bufferSize);
  }

  /** Sends a message that is never replayed (Ping, Ack, Close) or any message without replay. */
  send(payload: Buffer | string): void {
    const transport = this.#http.transport;
    if (transport === undefined) return;
    const size = byteLength(payload);
    if (transport.bufferedAmount + size > this.#limit) {
      this.#onOverflow(transport.bufferedAmount);
      return;
    }
    transport.send(payload, this.binary);
    this.written += size;
    this.wroteSinceTick = true;
  }

  /**
   * Sends a trackable message (Invocation, StreamItem, Completion). With stateful reconnect it is
   * numbered and kept until acknowledged; when the replay buffer is full it waits for Acks, and a
   * client that never acks overflows `limit` like any slow consumer.
   */
  sendTrackable(payload: Buffer | string): void {
    const replay = this.#replay;
    if (replay === undefined) {
      this.send(payload);
      return;
    }
    const size = byteLength(payload);
    if (this.#stalled.length > 0 || !replay.hasRoomFor(size)) {
      this.#stalled.push({ payload, size });
      this.#stalledBytes += size;
      if (replay.bufferedBytes + this.#stalledBytes > this.#limit) this.#onOverflow(replay.bufferedBytes + this.#stalledBytes);
      return;
    }
    replay.track(payload, size);
    // With no transport (waiting for the client to resume) the message waits in the buffer.
    this.send(payload);
  }

  /**
   * Undefined while the transport holds less than half the limit; otherwise a promise that
   * resolves once its backlog is under a quarter of the limit, or `connection` has closed.
   */
  whenWritable(connection: { readonly state: string }): Promise<void> | undefined {
    const highWater = this.#limit / 2;
    if (connection.state === 'closed' || this.#backlog() < highWater) return undefined;
    // Transports report no drain event, so look again every few milliseconds; this only runs
    // while a stream is held back by a slow client.
    return new Promise((resolve) => {
      const check = () => {
        if (connection.state === 'closed' || this.#backlog() < highWater / 2) resolve();
        else setTimeout(check, BACKLOG_POLL_MS).unref();
      };
      setTimeout(check, BACKLOG_POLL_MS).unref();
    });
  }

  #backlog(): number {
    return this.#http.transport?.bufferedAmount ?? 0;
  }

  /** The client acknowledged up to `sequenceId`: free the buffer and send what was waiting. */
  acknowledge(sequenceId: number): void {
    this.#replay?.acknowledge(sequenceId);
    this.#drainStalled();
  }

  /**
   * A resumed transport: sends it the Sequence message `sequence(id)` builds, then every
   * unacknowledged message, then what was waiting. Returns how many messages were replayed.
   */
  replayTo(transport: Transport, sequence: (sequenceId: number) => Buffer | string): number {
    const { sequenceId, messages } = this.#replay!.replay();
    transport.send(sequence(sequenceId), this.binary);
    for (const message of messages) transport.send(message, this.binary);
    this.#drainStalled();
    return messages.length;
  }

  /** The connection ended: drop what was waiting. */
  clear(): void {
    this.#stalled = [];
    this.#stalledBytes = 0;
  }

  #drainStalled(): void {
    const replay = this.#replay;
    if (replay === undefined) return;
    while (this.#stalled.length > 0 && replay.hasRoomFor(this.#stalled[0]!.size)) {
      const { payload, size } = this.#stalled.shift()!;
      this.#stalledBytes -= size;
      replay.track(payload, size);
      this.send(payload);
    }
  }
}
