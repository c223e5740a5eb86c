/**
 * Calls of the server's REST API (same origin, `/api/...`): JSON in and out, the bearer token
 * when there is one, and the server's JSON errors (`{"error", "field"?}`) surfaced as
 * {@link ApiError}s whose message is the server's text.
 * @module
 */

/** A call the server refused or could not answer. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** The HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** The field a 400 names. */
  readonly field: string | undefined;
  /** The parsed error body, when it was JSON. */
  readonly body: unknown;

  constructor(status: number, message: string, field?: string, body?: unknown) {
    super(message);
    this.status = status;
    this.field = field;
    this.body = body;
  }
}

/** Options of one call. */
export interface RequestOptions {
  /** Sent as JSON. */
  readonly body?: unknown;
  /** The bearer token. */
  readonly token?: string | undefined;
  readonly signal?: AbortSignal;
  /** Extra headers (e.g. `Idempotency-Key`). */
  readonly headers?: Readonly<Record<string, string>>;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The text of a failed answer: the server's `error` (or `message`) field, else the status line. */
function failureMessage(status: number, statusText: string, body: unknown): string {
  if (typeof body === 'object' && body !== null) {
    const { error, message } = body as { error?: unknown; message?: unknown };
    if (typeof error === 'string' && error !== '') return error;
    if (typeof message === 'string' && message !== '') return message;
  }
  return `${status} ${statusText}`.trim();
}

/**
 * One call: resolves with the parsed JSON body (undefined for 204 or an empty body), rejects
 * with an {@link ApiError} for a non-2xx answer or an unreachable server.
 *
 * @example
 * ```ts
 * const me = await request<{ userId: string }>('GET', '/api/auth/me', { token });
 * ```
 */
export async function request<T = unknown>(method: HttpMethod, path: string, options: RequestOptions = {}, fetcher: typeof fetch = fetch): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.token !== undefined) headers['Authorization'] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetcher(path, { method, headers, body, signal: options.signal, credentials: 'same-origin' });
  } catch (error) {
    if ((error as { name?: unknown }).name === 'AbortError') throw error;
    throw new ApiError(0, 'The server cannot be reached.');
  }
  const text = await response.text();
  let parsed: unknown;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!response.ok) {
    const field = typeof (parsed as { field?: unknown } | undefined)?.field === 'string' ? (parsed as { field: string }).field : undefined;
    throw new ApiError(response.status, failureMessage(response.status, response.statusText, parsed), field, parsed);
  }
  return parsed as T;
}
