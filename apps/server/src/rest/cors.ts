/**
 * CORS for the REST routes, with the same allowed origins as the hubs (CORS_ORIGINS).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Requested-With';

/** What to do with a request after CORS: go on, or it was answered (a preflight). */
export type CorsStep = 'continue' | 'answered';

/**
 * Adds CORS headers for an allowed cross-origin caller and answers preflights. Same-origin
 * requests (Origin matching Host) and requests without Origin pass untouched; a cross-origin
 * request from an origin not allowed gets no CORS headers (the browser refuses it), and its
 * preflight is answered 403.
 */
export function applyRestCors(origins: readonly string[], req: IncomingMessage, res: ServerResponse, methods: readonly string[]): CorsStep {
  const origin = req.headers.origin;
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
  if (origin === undefined || isSameOrigin(origin, req)) {
    if (!preflight) return 'continue';
    res.writeHead(204);
    res.end();
    return 'answered';
  }
  const allowed = origins.includes('*') || origins.includes(origin);
  if (!allowed) {
    if (!preflight) return 'continue';
    res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', Vary: 'Origin' });
    res.end(`Origin '${origin}' is not allowed.`);
    return 'answered';
  }
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Vary', 'Origin');
  if (!preflight) return 'continue';
  res.writeHead(204, {
    'Access-Control-Allow-Methods': [...methods, 'OPTIONS'].join(', '),
    'Access-Control-Allow-Headers': ALLOWED_HEADERS,
    'Access-Control-Max-Age': '600',
  });
  res.end();
  return 'answered';
}

function isSameOrigin(origin: string, req: IncomingMessage): boolean {
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
