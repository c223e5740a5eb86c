/**
 * Writing the web app's raw answers: the security headers every page and file carries, HEAD
 * without a body, and 304 for a fresh conditional GET.
 * @module
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Headers on every answer of the web app module. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Writes a whole answer (no body for HEAD). */
export function sendBody(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...COMMON_HEADERS, ...headers });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A plain-text 404. */
export function sendNotFound(req: IncomingMessage, res: ServerResponse): void {
  sendBody(req, res, 404, 'text/plain; charset=utf-8', 'Not Found', { 'Cache-Control': 'no-cache' });
}

/** Whether the request's `If-None-Match` names `etag` (or `*`). */
export function isFresh(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed === etag || trimmed.replace(/^W\//, '') === etag.replace(/^W\//, '');
  });
}

/** The `style-src` source of an inline stylesheet (its SHA-256, so no 'unsafe-inline' is needed). */
export function styleHash(css: string): string {
  return `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`;
}
