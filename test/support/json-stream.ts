/**
 * Reading a JSON-protocol WebSocket as a stream of hub messages, for byte-exact conformance
 * tests on top of {@link RawClient}.
 * @module
 */
import assert from 'node:assert/strict';
import { RS, type RawClient } from './raw-client.js';
import { within } from './wait.js';

/** Frames several text-protocol messages (objects are JSON-encoded, strings sent as they are). */
export function framed(...messages: (string | object)[]): string {
  return messages.map((message) => (typeof message === 'string' ? message : JSON.stringify(message)) + RS).join('');
}

/** The exact text of a Ping message, without its separator. */
export const PING_TEXT = '{"type":6}';

/**
 * The server's messages in order, whatever frames they came in. Every frame is checked to be a
 * text frame holding whole messages only (SignalR §0.1 #5 and #7).
 */
export class JsonStream {
  readonly client: RawClient;
  readonly #messages: string[] = [];

  constructor(client: RawClient) {
    this.client = client;
  }

  /** The next message's exact text (without the record separator), waiting up to `ms`. */
  async next(ms = 5000): Promise<string> {
    while (this.#messages.length === 0) {
      const frame = await this.client.next(ms);
      assert.equal(frame.binary, false, `JSON protocol frames must be text frames; got a binary one: ${JSON.stringify(frame.text)}`);
      assert.ok(frame.text.endsWith(RS), `a frame must hold whole messages only; got ${JSON.stringify(frame.text)}`);
      this.#messages.push(...frame.text.slice(0, -1).split(RS));
    }
    return this.#messages.shift()!;
  }

  /** The next message that is not a Ping. */
  async nextNonPing(ms = 5000): Promise<string> {
    for (;;) {
      const message = await this.next(ms);
      if (message !== PING_TEXT) return message;
    }
  }

  /** The next message, parsed. */
  async nextJson(ms = 5000): Promise<Record<string, unknown>> {
    return JSON.parse(await this.next(ms)) as Record<string, unknown>;
  }

  /** Messages already received and not read yet (after the socket closed, everything it got). */
  get pending(): number {
    return this.#messages.length + this.client.buffered.length;
  }

  send(text: string, binary = false): void {
    this.client.send(binary ? Buffer.from(text, 'utf8') : text, binary);
  }

  /** Waits for the socket to close and returns its close code. */
  async closed(ms = 5000): Promise<number> {
    const { code } = await within(this.client.closed, ms, 'the socket to close');
    return code;
  }
}

/**
 * A WebSocket ping/pong round trip. The server's `ws` parses frames in order and emits each data
 * frame before answering a later ping, so once the pong is back the server has received (and
 * handed to the hub connection) everything sent before. Proves receipt without sleeping.
 */
export async function roundTrip(client: RawClient, ms = 5000): Promise<void> {
  const pong = new Promise<void>((resolve) => client.socket.once('pong', () => resolve()));
  client.socket.ping();
  await within(pong, ms, 'a pong');
}
