/**
 * Keeping secrets out of logs. Browsers cannot set headers on WebSockets or EventSource, so the
 * official clients put the access token in the URL (`?access_token=…`); any log line that
 * carries a request URL or its headers would otherwise write a usable credential.
 * @module
 */

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

// Query keys whose values are credentials, matched case-insensitively.
const SECRET_QUERY_KEYS = new Set(['access_token', 'token', 'id_token', 'refresh_token', 'api_key', 'apikey', 'key', 'sig', 'signature', 'password', 'secret', 'code']);

// Headers whose values are credentials (node lower-cases header names).
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token']);

/**
 * A request URL (path and query, or absolute) with the values of credential-bearing query
 * parameters replaced by `[redacted]`; everything else is kept byte for byte.
 *
 * @example
 * ```ts
 * redactUrl('/hubs/chat?id=abc&access_token=eyJhbGci…'); // '/hubs/chat?id=abc&access_token=[redacted]'
 * logger.info({ url: redactUrl(req.url) }, 'refused');
 * ```
 */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const question = url.indexOf('?');
  if (question === -1) return url;
  const hash = url.indexOf('#', question);
  const query = url.slice(question + 1, hash === -1 ? undefined : hash);
  let changed = false;
  const parts = query.split('&').map((part) => {
    const equals = part.indexOf('=');
    const rawKey = equals === -1 ? part : part.slice(0, equals);
    if (equals === -1 || !isSecretQueryKey(rawKey)) return part;
    changed = true;
    return `${rawKey}=${REDACTED}`;
  });
  if (!changed) return url;
  return `${url.slice(0, question + 1)}${parts.join('&')}${hash === -1 ? '' : url.slice(hash)}`;
}

function isSecretQueryKey(rawKey: string): boolean {
  let key = rawKey;
  try {
    key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
  } catch {
    // A malformed escape: judge the raw key.
  }
  return SECRET_QUERY_KEYS.has(key.toLowerCase());
}

/**
 * A copy of request headers with credential-bearing ones (`Authorization`, `Cookie`, …) replaced
 * by `[redacted]`, for logging.
 *
 * @example
 * ```ts
 * logger.debug({ headers: redactHeaders(req.headers) }, 'negotiate');
 * ```
 */
export function redactHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string | string[] | undefined> {
  const copy: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) copy[name] = SECRET_HEADERS.has(name.toLowerCase()) && value !== undefined ? REDACTED : value;
  return copy;
}
