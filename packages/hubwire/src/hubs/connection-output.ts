/**
 * How bytes leave a connection: the slow-consumer limit on what waits in the transport, the waits
 * of whoever is held back by that backlog (a server stream, a recoverable group's queue for a
 * slow member), with stateful reconnect the numbered replay buffer with its
 * stall-until-acknowledged rule, and the coalescing of what one read produces into one write.
 * @module
 */
import type { HttpConnection } from '../connections/http-connection.js';
import type { Transport } from '../transports/transport.js';
import type { ProtocolTraffic } from './hub-meter.js';
import { MessageBuffer } from './message-buffer.js';

// How often a wait held back by a slow client looks at the backlog again.
const BACKLOG_POLL_MS = 5;

/** Runs `fn` once after `ms` without keeping the process alive; returns a way to cancel it. */
export type BacklogScheduler = (fn: () => void, ms: number) => () => void;

/**
 * Real timers, on purpose even when the hub runs on a fake clock: what the poll waits for is a
 * real socket draining, which real time moves, not the clock that drives the hub's policies.
 */
const realTimers: BacklogScheduler = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

interface BacklogWaiter {
  readonly below: () => boolean;
  readonly resolve: () => void;
}

function byteLength(payload: Buffer | string): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
}

/** Several framed messages as one payload: text stays text (JSON), anything else becomes one Buffer. */
function joinPayloads(first: Buffer | string, more: readonly (Buffer | string)[]): Buffer | string {
  if (typeof first === 'string' && more.every((payload) => typeof payload === 'string')) return first + more.join('');
  const buffers = [first, ...more].map((payload) => (typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload));
  return Buffer.concat(buffers);
}

/**
 * Who is told when a client falls too far behind. An object with a method, not a callback: a
 * closure would cost every connection, idle or not, a function and its context.
 */
export interface OverflowListener {
  outputOverflowed(bufferedBytes: number): void;
}

/** The outbound side of one hub connection. */
export class ConnectionOutput {
  readonly #http: Pick<HttpConnection, 'transport'>;
  readonly #limit: number;
  readonly #overflow: OverflowListener;
  readonly #schedule: BacklogScheduler;
  /** Binary frames (MessagePack) or text frames (JSON). */
  binary = false;
  /** Set on every write; the heartbeat reads and clears it to decide on keep-alive pings. */
  wroteSinceTick = false;
  /** Bytes handed to transports so far (the send timeout compares it with what they still buffer). */
  written = 0;
  /** Where the bytes sent are counted (the protocol's tally), once the handshake chose one. */
  traffic: ProtocolTraffic | undefined;
  #replay: MessageBuffer | undefined;
  /** Trackable messages waiting for room in the replay buffer (the client has not acked). */
  // Both lists exist only while used: most connections never stall nor make anyone wait.
  #stalled: { payload: Buffer | string; size: number }[] | undefined;
  #stalledBytes = 0;
  /** Waits for the backlog to shrink; one poll serves them all, and only while there are some. */
  #waiters: BacklogWaiter[] | undefined;
  #cancelPoll: (() => void) | undefined;
  #ended = false;
  /**
   * While {@link ConnectionOutput.hold} is on (the connection handles one read), messages wait
   * here and go out as one transport send when it ends. The first waits in a field of its own:
   * a read that answers one message costs no array.
   */
  #holding = false;
  #heldFirst: Buffer | string | undefined;
  #heldMore: (Buffer | string)[] | undefined;
  #heldBytes = 0;

  /**
   * `limit`: bytes that may wait for a slow client; past it `overflow` is told instead of
   * sending. `schedule`: the timer of the backlog polls (tests pass a fake one).
   */
  constructor(http: Pick<HttpConnection, 'transport'>, limit: number, overflow: OverflowListener, schedule: BacklogScheduler = realTimers) {
    this.#http = http;
    this.#limit = limit;
    this.#overflow = overflow;
    this.#schedule = schedule;
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
    const buffered = transport.bufferedAmount + this.#heldBytes;
    if (buffered + size > this.#limit) {
      this.#overflow.outputOverflowed(buffered);
      return;
    }
    if (this.#holding) this.#keep(payload, size);
    else transport.send(payload, this.binary);
    this.written += size;
    this.wroteSinceTick = true;
    this.traffic?.sent(size);
  }

  /**
   * From now until {@link ConnectionOutput.release}, messages are held and then written together,
   * in order, with one transport send (one WebSocket frame holding several records, which both
   * hub protocols allow). The connection holds while it handles one read, so a chunk of N
   * invocations answered at once costs one socket write, not N.
   */
  hold(): void {
    this.#holding = true;
  }

  /** Writes what was held, as one send, and stops holding. */
  release(): void {
    this.#holding = false;
    this.flush();
  }

  /** Writes what is held now (a Close must not overtake the answers before it). */
  flush(): void {
    const first = this.#heldFirst;
    if (first === undefined) return;
    const more = this.#heldMore;
    this.#heldFirst = undefined;
    this.#heldMore = undefined;
    this.#heldBytes = 0;
    const transport = this.#http.transport;
    if (transport === undefined) return;
    transport.send(more === undefined ? first : joinPayloads(first, more), this.binary);
  }

  #keep(payload: Buffer | string, size: number): void {
    this.#heldBytes += size;
    if (this.#heldFirst === undefined) this.#heldFirst = payload;
    else (this.#heldMore ??= []).push(payload);
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
    if ((this.#stalled !== undefined && this.#stalled.length > 0) || !replay.hasRoomFor(size)) {
      (this.#stalled ??= []).push({ payload, size });
      this.#stalledBytes += size;
      if (replay.bufferedBytes + this.#stalledBytes > this.#limit) this.#overflow.outputOverflowed(replay.bufferedBytes + this.#stalledBytes);
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
    if (connection.state === 'closed' || this.#transportBacklog() < highWater) return undefined;
    return this.#wait(() => connection.state === 'closed' || this.#transportBacklog() < highWater / 2);
  }

  /**
   * Bytes written and not yet taken by the client: what the transport buffers plus trackable
   * messages stalled behind a full stateful-reconnect buffer.
   */
  get backlog(): number {
    return this.#transportBacklog() + this.#heldBytes + this.#stalledBytes;
  }

  /** Resolves once {@link ConnectionOutput.backlog} is below `bytes`, or the connection ended. */
  whenBacklogBelow(bytes: number): Promise<void> {
    if (this.#ended || this.backlog < bytes) return Promise.resolve();
    return this.#wait(() => this.backlog < bytes);
  }

  #transportBacklog(): number {
    return this.#http.transport?.bufferedAmount ?? 0;
  }

  #wait(below: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      (this.#waiters ??= []).push({ below, resolve });
      // Transports report no drain event, so look again every few milliseconds; this only runs
      // while someone is held back by a slow client.
      this.#cancelPoll ??= this.#schedule(() => this.#poll(), BACKLOG_POLL_MS);
    });
  }

  #poll(): void {
    this.#cancelPoll = undefined;
    const waiting: BacklogWaiter[] = [];
    const ready: BacklogWaiter[] = [];
    for (const waiter of this.#waiters ?? []) (waiter.below() ? ready : waiting).push(waiter);
    this.#waiters = waiting.length > 0 ? waiting : undefined;
    if (waiting.length > 0) this.#cancelPoll = this.#schedule(() => this.#poll(), BACKLOG_POLL_MS);
    for (const waiter of ready) waiter.resolve();
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

  /** The connection ended: drop what was waiting, and let every backlog wait go on. */
  clear(): void {
    this.#ended = true;
    this.#holding = false;
    this.#heldFirst = undefined;
    this.#heldMore = undefined;
    this.#heldBytes = 0;
    this.#stalled = undefined;
    this.#stalledBytes = 0;
    this.#cancelPoll?.();
    this.#cancelPoll = undefined;
    const waiters = this.#waiters ?? [];
    this.#waiters = undefined;
    for (const waiter of waiters) waiter.resolve();
  }

  #drainStalled(): void {
    const replay = this.#replay;
    if (replay === undefined) return;
    // Read the field each time: a send that overflows ends the connection, which drops the list.
    while (this.#stalled !== undefined && this.#stalled.length > 0 && replay.hasRoomFor(this.#stalled[0]!.size)) {
      const { payload, size } = this.#stalled.shift()!;
      this.#stalledBytes -= size;
      replay.track(payload, size);
      this.send(payload);
    }
  }
}
