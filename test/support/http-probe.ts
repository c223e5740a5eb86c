/**
 * Raw HTTP probes for the transport endpoints: WebSocket upgrades whose refusal (status, headers,
 * body) must be inspected, and negotiate calls.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { within } from './wait.js';

/** What the server answered to an upgrade request: 101, or the refusal it sent instead. */
export interface UpgradeAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * Sends a WebSocket upgrade request to `url` (`http://…`) and reports the answer. A 101 socket is
 * destroyed at once; use RawClient for connections that should live.
 */
export async function probeUpgrade(url: string, headers: Record<string, string> = {}, ms = 5000): Promise<UpgradeAnswer> {
  const req = request(url, {
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      ...headers,
    },
  });
  const answer = new Promise<UpgradeAnswer>((resolve, reject) => {
    req.once('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', reject);
    });
    req.once('error', reject);
  });
  req.end();
  try {
    return await within(answer, ms, `upgrade answer from ${url}`);
  } finally {
    req.destroy();
  }
}

/** A negotiate answer: status, headers, raw text and (when it parses) the JSON body. */
export interface NegotiateAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Record<string, unknown> | undefined;
}

/** `POST {hubUrl}/negotiate?{query}` with the headers the official client sends. */
export async function negotiate(hubUrl: string, query = 'negotiateVersion=1', init: RequestInit = {}): Promise<NegotiateAnswer> {
  const url = `${hubUrl}/negotiate${query === '' ? '' : `?${query}`}`;
  const res = await within(
    fetch(url, { method: 'POST', ...init, headers: { 'X-Requested-With': 'XMLHttpRequest', ...(init.headers as Record<string, string> | undefined) } }),
    5000,
    `negotiate at ${url}`,
  );
  const text = await within(res.text(), 5000, 'negotiate body');
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** A bounded `fetch` returning status, headers and the body text. */
export async function httpCall(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await within(fetch(url, init), 5000, `${init.method ?? 'GET'} ${url}`);
  const text = await within(res.text(), 5000, 'response body');
  return { status: res.status, headers: res.headers, text };
}
