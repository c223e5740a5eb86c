/**
 * Writing JSON answers.
 * @module
 */
import type { ServerResponse } from 'node:http';

/** Writes `body` as JSON with `status` (no body for 204 and 304, or when `body` is undefined). */
export function sendJson(res: ServerResponse, status: number, body?: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (status === 204 || status === 304 || body === undefined) {
    res.writeHead(status, { 'Cache-Control': 'no-store', ...headers });
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(payload)),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

/** `{ "error": message }` with `status`. */
export function sendError(res: ServerResponse, status: number, message: string, extra: Readonly<Record<string, unknown>> = {}, headers: Readonly<Record<string, string>> = {}): void {
  sendJson(res, status, { error: message, ...extra }, headers);
}
