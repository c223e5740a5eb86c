/**
 * One upstream `POST`, bounded: a timeout over the whole exchange (headers and body), a response
 * body of at most {@link MAX_RESPONSE_BYTES}, redirects not followed. Failures are
 * {@link UpstreamFailure}s whose messages name the reason and never the URL (its query may hold a
 * key).
 * @module
 */
import type { UpstreamRequest } from './upstream-types.js';

/** The largest response body read (1 MiB); a larger one is a failure. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** What the upstream answered. */
export interface UpstreamResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** Why an exchange failed without an answer. */
export type UpstreamFailureReason = 'timeout' | 'aborted' | 'response too large' | 'invalid URL' | (string & {});

/**
 * An upstream exchange that got no usable answer. `reason` is short and safe to log: `timeout`,
 * `aborted`, `response too large`, a socket error code (`ECONNREFUSED`, `ECONNRESET`, …).
 */
export class UpstreamFailure extends Error {
  constructor(readonly reason: UpstreamFailureReason) {
    super(`upstream request failed: ${reason}`);
    this.name = 'UpstreamFailure';
  }
}

/**
 * Sends `request` as a `POST` and reads the answer. Rejects with {@link UpstreamFailure} on a
 * network error, after `timeoutMs`, when `signal` aborts, or for a body over 1 MiB; any HTTP status
 * is an answer (the caller decides what to retry).
 *
 * @example
 * ```ts
 * const answer = await postUpstream({ url, headers, body: Buffer.from('{}') }, config.serverless.upstreamTimeoutMs);
 * if (answer.status >= 500) retry();
 * ```
 */
export async function postUpstream(request: UpstreamRequest, timeoutMs: number, signal?: AbortSignal): Promise<UpstreamResponse> {
  if (signal?.aborted === true) throw new UpstreamFailure('aborted');
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let response: Response;
    try {
      response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body as Uint8Array<ArrayBuffer>, redirect: 'manual', signal: controller.signal });
    } catch (error) {
      throw failure(error, timedOut);
    }
    const length = Number(response.headers.get('content-length') ?? '0');
    if (length > MAX_RESPONSE_BYTES) {
      await response.body?.cancel().catch(() => undefined);
      throw new UpstreamFailure('response too large');
    }
    const body = await readBounded(response);
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return { status: response.status, headers, body };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }

  async function readBounded(response: Response): Promise<Uint8Array> {
    if (response.body === null) return new Uint8Array(0);
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > MAX_RESPONSE_BYTES) {
          await reader.cancel().catch(() => undefined);
          throw new UpstreamFailure('response too large');
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof UpstreamFailure) throw error;
      throw failure(error, timedOut);
    }
    return Buffer.concat(chunks);
  }
}

/** A fetch error as a reason: only codes and fixed words, never the error's text (it may quote the URL). */
function failure(error: unknown, timedOut: boolean): UpstreamFailure {
  if (timedOut) return new UpstreamFailure('timeout');
  if (error instanceof Error && error.name === 'AbortError') return new UpstreamFailure('aborted');
  const cause = error instanceof Error ? (error.cause as { code?: unknown; name?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string' && /^[A-Z0-9_]+$/.test(cause.code)) return new UpstreamFailure(cause.code);
  if (error instanceof TypeError && /invalid url|failed to parse url/i.test(error.message)) return new UpstreamFailure('invalid URL');
  return new UpstreamFailure('network error');
}
