/**
 * The long-polling transport: server→client bytes wait in a queue until the client's next poll
 * takes all of them; client→server over POSTs.
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../core/clock.js';
import { PostedBodies } from './posted-bodies.js';
import type { PostReceivingTransport, TransportEvents } from './transport.js';

/** ASP.NET's `LongPolling.PollTimeout`: an idle poll is answered 200 empty after this (ms). */
export const DEFAULT_POLL_TIMEOUT_MS = 90_000;

/** The cache headers ASP.NET puts on every poll answer, so no proxy replays one. */
const NO_CACHE = { 'Cache-Control': 'no-cache, no-store', Pragma: 'no-cache', Expires: 'Thu, 01 Jan 1970 00:00:00 GMT' } as const;

/**
 * How a poll ended: with queued bytes, empty after the poll timeout, 204 because a newer poll
 * replaced it, 204 because the connection is over, or without an answer (the client went away,
 * or the transport was aborted).
 */
export type PollOutcome = 'data' | 'timeout' | 'replaced' | 'ended' | 'gone';

/** What a long-polling transport needs from its endpoint. */
export interface LongPollingOptions {
  /** Schedules the poll timeout (a FakeClock in tests). */
  readonly clock: Clock;
  /** How long a poll is held without data before it is answered 200 empty (ms). */
  readonly pollTimeout: number;
}

interface PendingPoll {
  readonly res: ServerResponse;
  readonly timer: TimerHandle;
  readonly settle: (outcome: PollOutcome) => void;
}

/** `open` → `closing` (ended; the client still collects what is queued, then a 204) → `done`. */
type State = 'open' | 'closing' | 'done';

/** A {@link PostReceivingTransport} over successive poll requests. */
export class LongPollingTransport implements PostReceivingTransport {
  readonly kind = 'LongPolling' as const;
  /** Every poll is a sign of life: the hub layer sends no Pings and runs no client timeout. */
  readonly inherentKeepAlive = true;
  readonly #events: TransportEvents;
  readonly #clock: Clock;
  readonly #pollTimeout: number;
  readonly #bodies: PostedBodies;
  #queue: Buffer[] = [];
  #queued = 0;
  #poll: PendingPoll | undefined;
  #state: State = 'open';
  #idleSince: number;
  #flushScheduled = false;
  #closeReported = false;
  /** Ended by a failed application: the poll that would get 204 gets 500 instead. */
  #failed = false;

  /** Answers the first poll at once with 200 and no body: the client sends its handshake after it. */
  constructor(firstPoll: ServerResponse, events: TransportEvents, options: LongPollingOptions) {
    this.#events = events;
    this.#clock = options.clock;
    this.#pollTimeout = options.pollTimeout;
    this.#bodies = new PostedBodies(events);
    this.#idleSince = options.clock.now();
    respond(firstPoll, 200, 'application/octet-stream', Buffer.alloc(0));
  }

  /** Bytes waiting for a poll: what the slow-consumer limit measures. */
  get bufferedAmount(): number {
    return this.#queued;
  }

  get idleSince(): number | undefined {
    return this.#poll === undefined ? this.#idleSince : undefined;
  }

  get draining(): boolean {
    return this.#state === 'closing';
  }

  send(payload: Buffer | string, _binary: boolean): void {
    if (this.#state !== 'open') return;
    // Bytes stay bytes (MessagePack); text is UTF-8. Shared broadcast Buffers are only referenced.
    const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    this.#scheduleFlush();
  }

  /**
   * Takes over a poll request. Resolves once it is answered (or the client left). A poll
   * pending from before is answered 204, as ASP.NET does.
   */
  poll(res: ServerResponse): Promise<PollOutcome> {
    // Gone while it was being authenticated: queued bytes wait for a poll that can take them.
    if (res.destroyed) return Promise.resolve('gone');
    this.#answer('replaced');
    if (this.#state === 'done') {
      this.#respondEnded(res);
      return Promise.resolve('ended');
    }
    if (this.#queued > 0) {
      this.#deliver(res);
      return Promise.resolve('data');
    }
    if (this.#state === 'closing') {
      this.#state = 'done';
      this.#respondEnded(res);
      return Promise.resolve('ended');
    }
    return new Promise<PollOutcome>((settle) => {
      const poll: PendingPoll = { res, settle, timer: this.#clock.setTimeout(() => this.#answer('timeout'), this.#pollTimeout) };
      this.#poll = poll;
      res.once('close', () => {
        if (this.#poll === poll) this.#answer('gone');
      });
    });
  }

  receive(body: AsyncIterable<Buffer>, binary?: boolean): Promise<void> {
    return this.#bodies.receive(body, binary);
  }

  /**
   * Ends after what was queued: the client collects it on its next poll, then gets 204 (500 when
   * `failed`, as ASP.NET answers the poll of an application that ended with an error).
   */
  close(failed = false): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#failed = failed;
    this.#bodies.stop();
    if (this.#queued > 0) return;
    if (this.#poll !== undefined) {
      this.#state = 'done';
      this.#answer('ended');
    }
    this.#reportClose(false);
  }

  /** The client ended the connection (DELETE): a pending poll gets 204, unsent bytes are dropped. */
  closeByClient(): void {
    if (this.#state === 'done') return;
    this.#finish();
    this.#answer('ended');
    this.#reportClose(true);
  }

  /** Ends at once: unsent bytes are dropped and a pending poll is cut without an answer. */
  abort(): void {
    if (this.#state === 'done') return;
    this.#finish();
    const poll = this.#poll;
    if (poll !== undefined) {
      this.#answer('gone');
      poll.res.destroy();
    }
    this.#reportClose(false);
  }

  pause(): void {
    this.#bodies.pause();
  }

  resume(): void {
    this.#bodies.resume();
  }

  #finish(): void {
    this.#state = 'done';
    this.#queue = [];
    this.#queued = 0;
    this.#bodies.stop();
  }

  // Several sends in one turn (a handshake answer and a Completion, a Close before close())
  // go out in one poll answer instead of one each.
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      const poll = this.#poll;
      if (poll === undefined || this.#queued === 0) return;
      // A client that left before its 'close' event was seen: keep the bytes for its next poll.
      if (poll.res.destroyed) {
        this.#answer('gone');
        return;
      }
      this.#poll = undefined;
      poll.timer.cancel();
      this.#deliver(poll.res);
      poll.settle('data');
    });
  }

  /** Answers `res` with everything queued. */
  #deliver(res: ServerResponse): void {
    const body = this.#queue.length === 1 ? this.#queue[0]! : Buffer.concat(this.#queue, this.#queued);
    this.#queue = [];
    this.#queued = 0;
    this.#idleSince = this.#clock.now();
    respond(res, 200, 'application/octet-stream', body);
    if (this.#state === 'closing') this.#reportClose(false);
  }

  /** Ends the pending poll, if any, without data: 200 empty, 204, or nothing when the client left. */
  #answer(outcome: Exclude<PollOutcome, 'data'>): void {
    const poll = this.#poll;
    if (poll === undefined) return;
    this.#poll = undefined;
    this.#idleSince = this.#clock.now();
    poll.timer.cancel();
    if (outcome === 'timeout') respond(poll.res, 200, 'text/plain', Buffer.alloc(0));
    else if (outcome === 'ended') this.#respondEnded(poll.res);
    else if (outcome !== 'gone') respond(poll.res, 204, 'text/plain');
    poll.settle(outcome);
  }

  /** The answer that tells the client the connection is over. */
  #respondEnded(res: ServerResponse): void {
    if (this.#failed) respond(res, 500, 'text/plain', Buffer.alloc(0));
    else respond(res, 204, 'text/plain');
  }

  #reportClose(graceful: boolean): void {
    if (this.#closeReported) return;
    this.#closeReported = true;
    this.#events.onClose(graceful);
  }
}

/** A poll answer; `body` undefined means none at all (204). */
function respond(res: ServerResponse, status: number, contentType: string, body?: Buffer): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, body === undefined ? { ...NO_CACHE, 'Content-Type': contentType } : { ...NO_CACHE, 'Content-Type': contentType, 'Content-Length': body.length });
  res.end(body);
}
