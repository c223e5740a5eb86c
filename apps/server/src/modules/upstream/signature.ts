/**
 * `X-ASRS-Signature`, as Azure SignalR signs upstream requests: for each access key,
 * `sha256=<hex HMAC-SHA256 of the connection id, keyed with the access key>`, comma-separated, so
 * an upstream holding either key of a rotation accepts the request.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature header value for `connectionId` with each key, in the keys' order.
 *
 * @example
 * ```ts
 * signConnectionId('abc', ['primary', 'secondary']); // 'sha256=5f…,sha256=9a…'
 * ```
 */
export function signConnectionId(connectionId: string, keys: readonly string[]): string {
  return keys.map((key) => `sha256=${hmacHex(key, connectionId)}`).join(',');
}

/**
 * What an upstream does with the header: true when one of its signatures is the HMAC of
 * `connectionId` with one of `keys`. Hex case is ignored (Azure's own validator ignores it), the
 * comparison is timing-safe, and a malformed header is simply false.
 *
 * @example
 * ```ts
 * verifySignature(req.headers['x-asrs-signature'], req.headers['x-asrs-connection-id'], [process.env.ACCESS_KEY]);
 * ```
 */
export function verifySignature(header: string | undefined, connectionId: string | undefined, keys: readonly string[]): boolean {
  if (header === undefined || connectionId === undefined || keys.length === 0) return false;
  const expected = keys.map((key) => Buffer.from(hmacHex(key, connectionId), 'utf8'));
  let valid = false;
  for (const part of header.split(',')) {
    const match = /^\s*sha256=([0-9a-fA-F]{64})\s*$/.exec(part);
    if (match === null) continue;
    const given = Buffer.from(match[1]!.toLowerCase(), 'utf8');
    // Every pair is compared, so the time taken says nothing about which one matched.
    for (const candidate of expected) valid = timingSafeEqual(candidate, given) || valid;
  }
  return valid;
}

function hmacHex(key: string, connectionId: string): string {
  return createHmac('sha256', key).update(connectionId, 'utf8').digest('hex');
}
