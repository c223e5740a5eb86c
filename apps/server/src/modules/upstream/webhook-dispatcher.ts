/**
 * Lifecycle webhooks delivered at least once, within bounds: a queue of at most `queueLimit`
 * deliveries (a new one past it is dead-lettered at once, so a hanging upstream cannot grow the
 * process), at most `concurrency` requests in flight, bounded exponential retries on what may pass
 * (network errors, timeouts, 408, 429, 5xx), and the last dead letters kept for operators.
 *
 * Each delivery has one id for all its attempts (`X-Hubwire-Event-Id`, with `X-Hubwire-Attempt`),
 * so a receiver that saw an attempt whose answer was lost drops the retry.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from 'hubwire';
import { parseRetryAfter, retryDelay, type BackoffOptions } from './backoff.js';
import { postUpstream, UpstreamFailure, type UpstreamResponse } from './upstream-client.js';
import { upstreamHeaders } from './upstream-headers.js';
import { redactedTarget, type UpstreamSettings } from './upstream-settings.js';
import type { DeadLetter, UpstreamCategory, UpstreamEvent, UpstreamRequest, WebhookDelivery, WebhookDispatcher } from './upstream-types.js';

/** The dead letters kept (the oldest go first). */
export const DEAD_LETTER_LIMIT = 1000;
/**
 * Dead letters logged one by one per second; past it they are counted and told in one line the
 * next time one is logged, so a flood (mass disconnects against a hanging upstream) costs the
 * log a line a second, not a line an event. The list keeps every one of them.
 */
export const DEAD_LETTER_LOG_PER_SECOND = 10;

/** What the dispatcher logs with (pino's shape). */
export interface DispatcherLogger {
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/** How a dispatcher is built. */
export interface DispatcherOptions {
  readonly settings: UpstreamSettings;
  /** The access keys the requests are signed with. */
  readonly keys: readonly string[];
  readonly logger: DispatcherLogger;
  /** Retry timers run on it (a fake one in tests). */
  readonly clock: Clock;
  /** Attempts per delivery, the first included. */
  readonly maxAttempts: number;
  /** One request's timeout (ms). */
  readonly timeoutMs: number;
  /** Deliveries held at once: waiting, in flight and waiting for a retry. */
  readonly queueLimit: number;
  /** Requests in flight at once. Default 8. */
  readonly concurrency?: number;
  readonly backoff?: BackoffOptions;
  /** The jitter's source. Default Math.random. */
  readonly random?: () => number;
  /** The request itself; tests replace it. Default {@link postUpstream}. */
  readonly post?: (request: UpstreamRequest, timeoutMs: number, signal: AbortSignal) => Promise<UpstreamResponse>;
}

interface Job {
  readonly delivery: WebhookDelivery;
  readonly url: string;
  readonly target: string;
  readonly body: Uint8Array;
  attempts: number;
  timer?: TimerHandle;
  controller?: AbortController;
  /** Dead-lettered by close() while in flight: its attempt's outcome no longer counts. */
  abandoned?: boolean;
}

/** What an attempt came to. */
type Outcome = { readonly kind: 'done' } | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number } | { readonly kind: 'final'; readonly reason: string };

/**
 * The server's {@link WebhookDispatcher}.
 *
 * @example
 * ```ts
 * const dispatcher = new Dispatcher({ settings, keys, logger, clock: systemClock, maxAttempts: 5, timeoutMs: 10_000, queueLimit: 10_000 });
 * if (dispatcher.wants('chat', 'connections', 'connected')) dispatcher.enqueue({ category: 'connections', event: 'connected', connection }, {});
 * await dispatcher.close(5000);
 * ```
 */
export class Dispatcher implements WebhookDispatcher {
  readonly #options: DispatcherOptions;
  readonly #concurrency: number;
  readonly #random: () => number;
  readonly #post: NonNullable<DispatcherOptions['post']>;
  /** Ready to be sent, oldest first. */
  readonly #ready: Job[] = [];
  readonly #inFlight = new Set<Job>();
  readonly #retrying = new Set<Job>();
  readonly #deadLetters: DeadLetter[] = [];
  /** The second the log's count is for, how many were logged in it, and how many were not since the last line. */
  #logWindow = { second: -1, logged: 0, unlogged: 0 };
  #closing = false;
  #idle: (() => void) | undefined;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#concurrency = Math.max(1, options.concurrency ?? 8);
    this.#random = options.random ?? Math.random;
    this.#post = options.post ?? postUpstream;
  }

  wants(hub: string, category: UpstreamCategory, event: string): boolean {
    return this.#options.settings.match(hub, category, event) !== undefined;
  }

  enqueue(event: UpstreamEvent, body: Readonly<Record<string, unknown>>): void {
    try {
      const { settings } = this.#options;
      const { hub } = event.connection;
      const setting = settings.match(hub, event.category, event.event);
      if (setting === undefined) return;
      const url = settings.url(setting, hub, event.category, event.event);
      const job: Job = {
        delivery: { id: randomUUID(), event, body },
        url,
        target: redactedTarget(url),
        body: Buffer.from(JSON.stringify(body)),
        attempts: 0,
      };
      if (this.#closing) return this.#deadLetter(job, 'shutting down');
      if (this.held >= this.#options.queueLimit) return this.#deadLetter(job, 'queue full');
      this.#ready.push(job);
      this.#pump();
    } catch (error) {
      // Never throws into a hub's connect or disconnect; a body that cannot be serialized is a bug.
      this.#options.logger.warn({ err: error instanceof Error ? error.name : 'error' }, 'webhook not queued');
    }
  }

  deadLetters(): readonly DeadLetter[] {
    return [...this.#deadLetters];
  }

  /** Deliveries held: waiting to be sent, in flight and waiting for a retry. */
  get held(): number {
    return this.#ready.length + this.#inFlight.size + this.#retrying.size;
  }

  /** How many of them are in flight. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  async close(ms: number): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      // No more retries; what has not had its first attempt still gets it within the deadline.
      for (const job of [...this.#retrying]) {
        job.timer?.cancel();
        this.#retrying.delete(job);
        this.#deadLetter(job, 'shutting down');
      }
    }
    if (this.held > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.#idle = resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, ms);
        }),
      ]);
      clearTimeout(timer);
    }
    for (const job of this.#ready.splice(0)) this.#deadLetter(job, 'shutting down');
    for (const job of [...this.#inFlight]) {
      job.abandoned = true;
      this.#inFlight.delete(job);
      job.controller?.abort();
      this.#deadLetter(job, 'shutting down');
    }
    this.#idle = undefined;
  }

  #pump(): void {
    while (this.#inFlight.size < this.#concurrency && this.#ready.length > 0) {
      const job = this.#ready.shift()!;
      this.#inFlight.add(job);
      void this.#attempt(job);
    }
    if (this.held === 0) this.#idle?.();
  }

  async #attempt(job: Job): Promise<void> {
    job.attempts += 1;
    job.controller = new AbortController();
    const { delivery } = job;
    const request: UpstreamRequest = {
      url: job.url,
      headers: {
        ...upstreamHeaders(delivery.event, this.#options.keys),
        'Content-Type': 'application/json; charset=utf-8',
        'X-Hubwire-Event-Id': delivery.id,
        'X-Hubwire-Attempt': String(job.attempts),
      },
      body: job.body,
    };
    let outcome: Outcome;
    try {
      outcome = classify(await this.#post(request, this.#options.timeoutMs, job.controller.signal), this.#options.clock.now());
    } catch (error) {
      const reason = error instanceof UpstreamFailure ? error.reason : 'network error';
      outcome = reason === 'aborted' || reason === 'invalid URL' ? { kind: 'final', reason } : { kind: 'retry', reason };
    }
    if (job.abandoned === true) return;
    this.#inFlight.delete(job);
    job.controller = undefined;
    if (outcome.kind === 'done') {
      this.#options.logger.debug({ webhook: describe(job) }, 'webhook delivered');
    } else if (outcome.kind === 'final' || job.attempts >= this.#options.maxAttempts || this.#closing) {
      this.#deadLetter(job, outcome.reason);
    } else {
      this.#retryLater(job, outcome);
    }
    this.#pump();
  }

  #retryLater(job: Job, outcome: { readonly retryAfterMs?: number }): void {
    const delay = retryDelay(job.attempts, this.#random, this.#options.backoff, outcome.retryAfterMs);
    this.#retrying.add(job);
    job.timer = this.#options.clock.setTimeout(() => {
      if (!this.#retrying.delete(job)) return;
      job.timer = undefined;
      this.#ready.push(job);
      this.#pump();
    }, delay);
  }

  #deadLetter(job: Job, reason: string): void {
    const letter: DeadLetter = { ...describe(job), reason, at: new Date(this.#options.clock.now()).toISOString() };
    this.#deadLetters.push(letter);
    if (this.#deadLetters.length > DEAD_LETTER_LIMIT) this.#deadLetters.shift();
    const window = this.#logWindow;
    const second = Math.floor(this.#options.clock.now() / 1000);
    if (second !== window.second) {
      window.second = second;
      window.logged = 0;
    }
    if (window.logged >= DEAD_LETTER_LOG_PER_SECOND) {
      window.unlogged += 1;
      return;
    }
    window.logged += 1;
    const unlogged = window.unlogged;
    window.unlogged = 0;
    this.#options.logger.warn(unlogged === 0 ? { webhook: letter } : { webhook: letter, unlogged }, 'webhook dead-lettered');
  }
}

/** What an answer means: 2xx delivered; 408, 429 and 5xx may pass later; anything else is final. */
function classify(response: UpstreamResponse, now: number): Outcome {
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'done' };
  const reason = `HTTP ${status}`;
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers['retry-after'], now);
    return retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs };
  }
  return { kind: 'final', reason };
}

function describe(job: Job): Omit<DeadLetter, 'reason' | 'at'> {
  const { delivery } = job;
  return {
    id: delivery.id,
    hub: delivery.event.connection.hub,
    category: delivery.event.category,
    event: delivery.event.event,
    connectionId: delivery.event.connection.connectionId,
    target: job.target,
    attempts: job.attempts,
  };
}
