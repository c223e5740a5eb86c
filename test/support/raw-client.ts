/**
 * A hand-driven WebSocket client for byte-exact protocol tests.
 * @module
 */
import WebSocket from 'ws';
import { within } from './wait.js';

export const RS = '\u001e';

/** One frame the server sent. */
export interface Frame {
  readonly text: string;
  readonly binary: boolean;
  readonly data: Buffer;
}

/** A raw WebSocket with an awaitable queue of received frames. */
export class RawClient {
  readonly socket: WebSocket;
  readonly #frames: Frame[] = [];
  #waiter: (() => void) | undefined;
  /** Resolves with the close code once the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data: Buffer, binary: boolean) => {
      this.#frames.push({ text: data.toString('utf8'), binary, data });
      this.#waiter?.();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.#waiter?.();
      });
    });
  }

  /** Opens a socket to `url` (rejects with the HTTP status when the upgrade is refused). */
  static async connect(url: string, headers: Record<string, string> = {}): Promise<RawClient> {
    const socket = new WebSocket(url, { headers });
    // Listen before 'open': frames the server sends right after the 101 (a stateful-reconnect
    // Sequence) can arrive in the same read and be emitted before an awaited 'open' resumes.
    const client = new RawClient(socket);
    await within(
      new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('unexpected-response', (_req, res) => {
          reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }));
          socket.terminate();
        });
        socket.once('error', reject);
      }),
      5000,
      `connect to ${url}`,
    );
    return client;
  }

  /** Opens a socket and completes the JSON handshake. */
  static async handshaken(url: string, protocol = 'json', version = 1): Promise<RawClient> {
    const client = await RawClient.connect(url);
    client.send(`{"protocol":"${protocol}","version":${version}}${RS}`);
    const reply = await client.next();
    if (!reply.text.startsWith(`{}${RS}`)) throw new Error(`handshake failed: ${reply.text}`);
    return client;
  }

  send(data: string | Buffer, binary = typeof data !== 'string'): void {
    this.socket.send(data, { binary });
  }

  /** The next frame, waiting up to `ms`. */
  async next(ms = 5000): Promise<Frame> {
    const deadline = Date.now() + ms;
    while (this.#frames.length === 0) {
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error('socket closed while waiting for a frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${ms} ms`);
      await within(new Promise<void>((resolve) => (this.#waiter = resolve)), left, 'a frame').catch(() => undefined);
      this.#waiter = undefined;
    }
    return this.#frames.shift()!;
  }

  /** The next hub messages (one frame may hold several), parsed from JSON. */
  async nextMessages(ms = 5000): Promise<Record<string, unknown>[]> {
    const frame = await this.next(ms);
    return frame.text
      .split(RS)
      .filter((part) => part.length > 0)
      .map((part) => JSON.parse(part) as Record<string, unknown>);
  }

  /** Frames received and not yet read. */
  get buffered(): readonly Frame[] {
    return this.#frames;
  }

  close(): void {
    this.socket.terminate();
  }
}
