/**
 * A WebSocket client written on a raw TCP socket, for tests that must control how frames share
 * TCP writes (several frames in one `socket.write`, so the server reads them in one chunk).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { RS } from './raw-client.js';
import { completeFrameHeader } from './frame-header.js';
import { within } from './wait.js';

/** A client→server text frame, masked as clients must send it. */
export function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  let header: Buffer;
  if (payload.length < 126) header = Buffer.from([0x81, 0x80 | payload.length]);
  else if (payload.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x81;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(payload.length, 2);
  } else throw new Error('payload too long for this helper');
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([header, mask, masked]);
}

/** A WebSocket over a TCP socket the test writes to directly; server frames are parsed as they come. */
export class TcpWebSocket {
  readonly socket: Socket;
  #input = Buffer.alloc(0);
  readonly #messages: string[] = [];
  #waiter: (() => void) | undefined;
  #ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#input = Buffer.concat([this.#input, chunk]);
      this.#readFrames();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#waiter?.();
    });
  }

  /** Connects, upgrades `path` and completes the JSON hub handshake. */
  static async handshaken(port: number, path: string, ms = 5000): Promise<TcpWebSocket> {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    try {
      await within(once(socket, 'connect'), ms, 'TCP connect');
      const key = randomBytes(16).toString('base64');
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      const head = await within(readHead(socket), ms, 'the upgrade response');
      if (!head.text.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.text.split('\r\n')[0]}`);
      const client = new TcpWebSocket(socket);
      if (head.rest.length > 0) socket.emit('data', head.rest);
      client.write(maskedTextFrame(`{"protocol":"json","version":1}${RS}`));
      const reply = await client.next(ms);
      if (reply !== '{}') throw new Error(`handshake failed: ${reply}`);
      return client;
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }

  /** Writes `frames` in one `socket.write`. */
  write(...frames: Buffer[]): void {
    this.socket.write(Buffer.concat(frames));
  }

  /** The next hub message the server sent (without its record separator). */
  async next(ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    while (this.#messages.length === 0) {
      if (this.#ended) throw new Error('socket closed while waiting for a message');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${ms} ms`);
      await within(new Promise<void>((resolve) => (this.#waiter = resolve)), left, 'a message').catch(() => undefined);
      this.#waiter = undefined;
    }
    return this.#messages.shift()!;
  }

  /** The next message that is not a Ping. */
  async nextNonPing(ms = 5000): Promise<string> {
    for (;;) {
      const message = await this.next(ms);
      if (message !== '{"type":6}') return message;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  #readFrames(): void {
    for (;;) {
      const header = completeFrameHeader(this.#input);
      if (header === undefined) return;
      const { length, offset } = header;
      const opcode = header.first & 0x0f;
      const payload = this.#input.subarray(offset, offset + length);
      this.#input = this.#input.subarray(offset + length);
      // Text frames carry hub messages; close, ping and pong frames are not what tests read.
      if (opcode === 0x1) {
        this.#messages.push(...payload.toString('utf8').split(RS).filter((part) => part.length > 0));
        this.#waiter?.();
      }
    }
  }
}

/** Reads until the end of the HTTP response head; returns it and any bytes after it. */
async function readHead(socket: Socket): Promise<{ text: string; rest: Buffer }> {
  let buffered = Buffer.alloc(0);
  for (;;) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end !== -1) return { text: buffered.subarray(0, end).toString('latin1'), rest: buffered.subarray(end + 4) };
  }
}
