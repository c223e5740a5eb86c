/**
 * Raw clients for the HTTP transports: an event stream read byte-exact, polls and sends, for
 * conformance tests of Server-Sent Events and long polling.
 * @module
 */
import { request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { RS } from './raw-client.js';
import { within } from './wait.js';

/** An HTTP answer with its body as bytes. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
}

/**
 * One request over node:http (not fetch: headers arrive exactly as sent, and a pending request
 * can be cut with `abort`). Resolves when the whole answer has arrived.
 */
export function httpRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer; signal?: AbortSignal } = {},
): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(init.body);
  });
}

/** A long poll with the cache-buster the official client adds. */
export function poll(hubUrl: string, token: string, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<HttpAnswer> {
  return httpRequest(`${hubUrl}?id=${token}&_=${Date.now()}`, init);
}

/** A POST of `body` (framed messages) to a connection, as the official client sends it. */
export function send(hubUrl: string, token: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return within(
    httpRequest(`${hubUrl}?id=${token}`, { method: 'POST', body, headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...headers } }),
    5000,
    'a POST answer',
  );
}

/**
 * A POST whose body is written by the test piece by piece, to hold a body half-sent while other
 * requests arrive. `status` resolves with the answer's status once the server has answered.
 */
export class StreamedPost {
  readonly status: Promise<number>;
  readonly #req: ClientRequest;

  constructor(url: string) {
    this.#req = request(url, { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
    this.status = new Promise<number>((resolve, reject) => {
      this.#req.once('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      this.#req.once('error', reject);
    });
    this.status.catch(() => undefined);
  }

  write(text: string): void {
    this.#req.write(text);
  }

  end(text = ''): void {
    this.#req.end(text);
  }
}

/** The hub messages of a text payload (split on the record separator), as texts. */
export function messagesOf(payload: string): string[] {
  if (payload === '') return [];
  if (!payload.endsWith(RS)) throw new Error(`a payload must hold whole messages only; got ${JSON.stringify(payload)}`);
  return payload.slice(0, -1).split(RS);
}

/**
 * An open `text/event-stream` response, read byte-exact. Events are what lies between blank
 * lines (`\r\n\r\n`), after the `:\r\n` preamble.
 */
export class EventStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Everything received so far, preamble included. */
  raw = '';
  /** Resolves when the server ends the response (or it breaks). */
  readonly ended: Promise<void>;
  readonly #res: IncomingMessage;
  #read = 0;
  #waiter: (() => void) | undefined;
  #done = false;

  private constructor(res: IncomingMessage) {
    this.#res = res;
    this.status = res.statusCode ?? 0;
    this.headers = res.headers;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.raw += chunk;
      this.#wake();
    });
    this.ended = new Promise<void>((resolve) => {
      const finish = (): void => {
        this.#done = true;
        this.#wake();
        resolve();
      };
      res.once('end', finish);
      res.once('close', finish);
      res.once('error', finish);
    });
  }

  /** Opens a stream; rejects with the answer when it is not a 200 event stream. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
    const res = await within(
      new Promise<IncomingMessage>((resolve, reject) => {
        const req = request(url, { headers: { Accept: 'text/event-stream', ...headers } }, resolve);
        req.once('error', reject);
        req.end();
      }),
      5000,
      `event stream ${url}`,
    );
    return new EventStream(res);
  }

  /** The raw text of the next event (its lines, without the terminating blank line). */
  async nextEvent(ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const start = this.#read === 0 && this.raw.startsWith(':\r\n') ? 3 : this.#read;
      const end = this.raw.indexOf('\r\n\r\n', start);
      if (end !== -1) {
        this.#read = end + 4;
        return this.raw.slice(start, end);
      }
      if (this.#done) throw new Error(`the stream ended while waiting for an event; unread: ${JSON.stringify(this.raw.slice(start))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${ms} ms; unread: ${JSON.stringify(this.raw.slice(start))}`);
      await within(new Promise<void>((resolve) => (this.#waiter = resolve)), left, 'an event').catch(() => undefined);
      this.#waiter = undefined;
    }
  }

  /** The hub messages of the next event: its `data:` lines joined by `\n`, split on RS. */
  async nextMessages(ms = 5000): Promise<string[]> {
    const event = await this.nextEvent(ms);
    const data = event
      .split('\r\n')
      .map((line) => {
        if (!line.startsWith('data: ')) throw new Error(`unexpected event line ${JSON.stringify(line)}`);
        return line.slice('data: '.length);
      })
      .join('\n');
    return messagesOf(data);
  }

  /** Whether unread bytes remain (beyond the preamble). */
  get unread(): string {
    const start = this.#read === 0 && this.raw.startsWith(':\r\n') ? 3 : this.#read;
    return this.raw.slice(start);
  }

  /** Waits for the server to end the stream. */
  async waitEnd(ms = 5000): Promise<void> {
    await within(this.ended, ms, 'the event stream to end');
  }

  /** Cuts the stream from the client side, as a closed EventSource does. */
  close(): void {
    this.#res.destroy();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}
