/**
 * Small helpers for the plain answers of the HTTP surface.
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { EdgeRefusal } from '../connections/edge-limits.js';

/** Answers with a `text/plain` body (ASP.NET's error answers are all text/plain). */
export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Answers a limit's refusal: 429, `Retry-After` in seconds, the limit's text. */
export function sendTooManyRequests(res: ServerResponse, refusal: EdgeRefusal): void {
  res.setHeader('Retry-After', String(refusal.retryAfterSeconds));
  sendText(res, 429, refusal.text);
}

/** Answers with a status alone: no body, no Content-Type (ASP.NET's 401 and 403). */
export function sendStatus(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}

/** Answers 200 with a JSON body. */
export function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache' });
  res.end(text);
}

/**
 * Refuses a WebSocket upgrade with a plain HTTP answer, before any 101: a `text/plain` body, or
 * with `text` undefined the status alone (as {@link sendStatus}).
 */
export function rejectUpgrade(socket: Duplex, status: number, text: string | undefined, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const body = text ?? '';
  const contentType = text === undefined ? '' : 'Content-Type: text/plain; charset=utf-8\r\n';
  // Nobody reads an upgrade socket: one whose client goes on sending would never see its end,
  // and would stay open (holding up shutdown) once answered. Destroy it when the answer is out.
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n${contentType}Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`);
}
