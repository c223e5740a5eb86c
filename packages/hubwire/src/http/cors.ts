/**
 * CORS for the hub endpoints. Browsers' SignalR requests include credentials by default, so an
 * allowed origin is echoed (never `*`) with `Access-Control-Allow-Credentials`.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Which cross-origin callers may use the hubs. */
export interface CorsOptions {
  /**
   * Allowed origins: `'*'` for any, a list of exact origins (`https://app.example.com`), or a
   * predicate that may be async.
   */
  origins: '*' | readonly string[] | ((origin: string) => boolean | Promise<boolean>);
  /** Allow cookies and Authorization on cross-origin requests. Default true. */
  credentials?: boolean;
  /** Request headers a preflight may allow. Default: the ones the SignalR clients send. */
  allowedHeaders?: readonly string[];
  /** How long browsers may cache a preflight, in seconds. Default 600. */
  maxAge?: number;
}

const DEFAULT_ALLOWED_HEADERS = ['X-Requested-With', 'X-SignalR-User-Agent', 'Authorization', 'Content-Type'];
const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';

/** Whether `origin` may call the hubs. */
export async function isOriginAllowed(cors: CorsOptions, origin: string): Promise<boolean> {
  if (cors.origins === '*') return true;
  if (typeof cors.origins === 'function') return Boolean(await cors.origins(origin));
  return cors.origins.includes(origin);
}

/** Outcome of applying CORS to a request. */
export type CorsOutcome = 'continue' | 'answered';

/**
 * Adds CORS headers for an allowed origin and answers preflights. A request from an origin that
 * is not allowed is answered 403; a request without an Origin header is not cross-origin and
 * passes untouched.
 */
export async function applyCors(cors: CorsOptions | undefined, req: IncomingMessage, res: ServerResponse): Promise<CorsOutcome> {
  const origin = req.headers.origin;
  if (cors === undefined || origin === undefined) return 'continue';
  if (!(await isOriginAllowed(cors, origin))) {
    res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', Vary: 'Origin' });
    res.end(`Origin '${origin}' is not allowed.`);
    return 'answered';
  }
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  if (cors.credentials !== false) res.setHeader('Access-Control-Allow-Credentials', 'true');
  if (req.method !== 'OPTIONS') return 'continue';
  res.writeHead(204, {
    'Access-Control-Allow-Methods': ALLOWED_METHODS,
    'Access-Control-Allow-Headers': (cors.allowedHeaders ?? DEFAULT_ALLOWED_HEADERS).join(', '),
    'Access-Control-Max-Age': String(cors.maxAge ?? 600),
  });
  res.end();
  return 'answered';
}
