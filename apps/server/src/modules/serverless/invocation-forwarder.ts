/**
 * A serverless hub's invocations, forwarded as Azure SignalR forwards them: category `messages`,
 * event = the invocation's target, `POST`ed to the first matching upstream item with the
 * `X-ASRS-*` headers and the invocation message as body; the answer becomes the invocation's
 * result. Network errors, timeouts, 408, 429 and 5xx are retried a few times with a short
 * exponential backoff, the whole within `attempts × timeoutMs`; the error a client gets names the
 * reason, never the URL (its query may hold a key).
 * @module
 */
import type { Clock } from 'hubwire';
import type { Logger } from 'pino';
import { postUpstream, UpstreamFailure, type UpstreamResponse } from '../upstream/upstream-client.js';
import { upstreamHeaders } from '../upstream/upstream-headers.js';
import { redactedTarget, type UpstreamSettings } from '../upstream/upstream-settings.js';
import type { ConnectionFacts, UpstreamEvent, UpstreamRequest } from '../upstream/upstream-types.js';
import { decodeAnswer, encodeInvocation, type InvocationOutcome } from './invocation-codec.js';

/** Attempts of one invocation (the first included): a client waits for all of them. */
export const INVOCATION_ATTEMPTS = 3;
/** The wait before the second attempt; it doubles for each next one. */
export const FIRST_BACKOFF_MS = 100;

/** What the forwarder needs. */
export interface ForwarderOptions {
  readonly settings: UpstreamSettings;
  /** The access keys requests are signed with. */
  readonly keys: readonly string[];
  /** How long one attempt may take (ms). */
  readonly timeoutMs: number;
  /** Backoff timers run on it (tests step a fake one). */
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default {@link INVOCATION_ATTEMPTS}. */
  readonly attempts?: number;
  /** Default {@link FIRST_BACKOFF_MS}. */
  readonly firstBackoffMs?: number;
  /** The exchange; tests may replace it. Default {@link postUpstream}. */
  readonly post?: (request: UpstreamRequest, timeoutMs: number, signal?: AbortSignal) => Promise<UpstreamResponse>;
}

/** One client invocation of a serverless hub. */
export interface ForwardedCall {
  readonly connection: ConnectionFacts;
  /** `json` or `messagepack`: the body is written in it and the answer read in it. */
  readonly protocol: string;
  readonly target: string;
  readonly arguments: readonly unknown[];
  /** Absent for fire-and-forget sends. */
  readonly invocationId?: string | undefined;
  /** Fires when the connection ends: retries stop. */
  readonly signal?: AbortSignal;
}

/**
 * Forwards invocations of serverless hubs to the upstream.
 *
 * @example
 * ```ts
 * const forwarder = new InvocationForwarder({ settings, keys, timeoutMs: 10_000, clock, logger });
 * const outcome = await forwarder.forward({ connection, protocol: 'json', target: 'Broadcast', arguments: ['hi'], invocationId: '1' });
 * if (!outcome.ok) throw new HubError(outcome.error);
 * ```
 */
export class InvocationForwarder {
  readonly #options: ForwarderOptions;
  readonly #post: NonNullable<ForwarderOptions['post']>;

  constructor(options: ForwarderOptions) {
    this.#options = options;
    this.#post = options.post ?? postUpstream;
  }

  /** Sends the invocation upstream (with retries) and resolves with what it means for the client. Never rejects. */
  async forward(call: ForwardedCall): Promise<InvocationOutcome> {
    const { settings, keys, timeoutMs, logger } = this.#options;
    const hub = call.connection.hub;
    const item = settings.match(hub, 'messages', call.target);
    if (item === undefined) return { ok: false, error: `There is no upstream for '${call.target}' of hub '${hub}'.` };
    const event: UpstreamEvent = { category: 'messages', event: call.target, connection: call.connection };
    const encoded = encodeInvocation(call.protocol, call);
    const url = settings.url(item, hub, 'messages', call.target);
    const request: UpstreamRequest = { url, headers: { ...upstreamHeaders(event, keys), 'Content-Type': encoded.contentType }, body: encoded.body };
    const attempts = this.#options.attempts ?? INVOCATION_ATTEMPTS;
    const deadline = this.#options.clock.now() + attempts * timeoutMs;
    let reason = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        const wait = (this.#options.firstBackoffMs ?? FIRST_BACKOFF_MS) * 2 ** (attempt - 2);
        if (this.#options.clock.now() + wait >= deadline) break;
        if (!(await this.#sleep(wait, call.signal))) return { ok: false, error: 'The connection ended before the upstream answered.' };
      }
      const left = Math.min(timeoutMs, deadline - this.#options.clock.now());
      if (left <= 0) break;
      let response: UpstreamResponse;
      try {
        response = await this.#post(request, left, call.signal);
      } catch (error) {
        reason = error instanceof UpstreamFailure ? error.reason : 'network error';
        if (reason === 'aborted') return { ok: false, error: 'The connection ended before the upstream answered.' };
        if (reason === 'invalid URL' || reason === 'response too large') break;
        continue;
      }
      if (response.status >= 200 && response.status < 300) {
        const outcome = decodeAnswer(call.protocol, response.body, response.headers['content-type']);
        if (!outcome.ok) logger.warn({ hub, target: call.target, upstream: redactedTarget(url), error: outcome.error }, 'serverless invocation answered with an error');
        return outcome;
      }
      reason = `HTTP ${response.status}`;
      if (!retried(response.status)) break;
    }
    logger.warn({ hub, target: call.target, connectionId: call.connection.connectionId, upstream: redactedTarget(url), reason }, 'serverless invocation failed upstream');
    return { ok: false, error: `The upstream did not answer '${call.target}' (${reason}).` };
  }

  /** Waits `ms` on the clock; false when `signal` fired first. */
  #sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    if (signal?.aborted === true) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = this.#options.clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = () => {
        timer.cancel();
        resolve(false);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Statuses worth another attempt: the upstream was busy or broken, not refusing. */
function retried(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
