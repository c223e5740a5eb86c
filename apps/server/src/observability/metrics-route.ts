/**
 * `GET /metrics`: the Prometheus text format of the app's registries, optionally behind a
 * bearer token (`METRICS_TOKEN`). Without the right `Authorization: Bearer <token>` it answers
 * 401 with `WWW-Authenticate: Bearer`, so a scraper configured without the token fails loudly.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RawHandler } from '../app-context.js';
import { sendError } from '../rest/respond.js';

/** The content type of Prometheus' text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether `req` carries `Bearer <token>`, compared in constant time. */
function authorized(req: IncomingMessage, expected: Buffer): boolean {
  const header = req.headers.authorization;
  if (header === undefined) return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match !== null && timingSafeEqual(digest(match[1]!), expected);
}

/**
 * The handler of `GET /metrics`.
 * @example
 * ```ts
 * routes.addRaw('GET', '/metrics', metricsHandler({ token: config.metrics.token, text: () => prometheusText(registries) }));
 * ```
 */
export function metricsHandler(options: { readonly token?: string; readonly text: () => Promise<string> }): RawHandler {
  const expected = options.token === undefined ? undefined : digest(options.token);
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (expected !== undefined && !authorized(req, expected)) {
      sendError(res, 401, req.headers.authorization === undefined ? 'A bearer token is required.' : 'The bearer token is not the metrics token.', {}, { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    const text = await options.text();
    res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
}
