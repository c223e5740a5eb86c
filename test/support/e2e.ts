/**
 * Helpers for end-to-end tests with the official client: bounded-concurrency starts, one-shot
 * message waits, inboxes that record what a client received, and access to raw sockets.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect, type signalR } from './signalr-client.js';
import { within } from './wait.js';

type HubConnection = signalR.HubConnection;

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order.
 * After a failure no new item starts; it rejects with the first error once in-flight calls end.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  return results;
}

/**
 * Builds and starts an official client on `url` within `ms`. If the start times out, a late
 * success is stopped at once, so no connection outlives the test.
 */
export async function connectWithin(url: string, ms = 5000, what = 'client start'): Promise<HubConnection> {
  const starting = connect(url);
  try {
    return await within(starting, ms, what);
  } catch (error) {
    starting.then((late) => late.stop(), () => undefined).catch(() => undefined);
    throw error;
  }
}

/** Starts `count` official clients on `url`, `limit` at a time, each start bounded. */
export async function connectMany(url: string | ((index: number) => string), count: number, limit = 20, ms = 5000): Promise<HubConnection[]> {
  const started: HubConnection[] = [];
  try {
    return await mapLimit(Array.from({ length: count }, (_, i) => i), limit, async (i) => {
      const target = typeof url === 'string' ? url : url(i);
      const connection = await connectWithin(target, ms, `client ${i} to start`);
      started.push(connection);
      return connection;
    });
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

/** Stops every connection (in parallel, bounded); never throws, so it is safe in `after`. */
export async function stopAll(connections: Iterable<HubConnection>, ms = 5000, limit = 50): Promise<void> {
  await mapLimit([...connections], limit, (connection) => within(connection.stop(), ms, 'client stop').catch(() => undefined));
}

/** Resolves with the arguments of the next invocation of `method` on `connection`. */
export function nextMessage(connection: HubConnection, method: string, ms = 5000): Promise<unknown[]> {
  let handler: ((...args: unknown[]) => void) | undefined;
  const received = new Promise<unknown[]>((resolve) => {
    handler = (...args: unknown[]) => {
      connection.off(method, handler!);
      resolve(args);
    };
    connection.on(method, handler);
  });
  return within(received, ms, `'${method}' to arrive`).finally(() => connection.off(method, handler!));
}

/** Records the first argument of every invocation of `method` a connection receives. */
export class Inbox {
  readonly received: unknown[] = [];

  constructor(connection: HubConnection, method: string) {
    connection.on(method, (value: unknown) => this.received.push(value));
  }

  has(value: unknown): boolean {
    return this.received.includes(value);
  }

  /** What arrived, without the markers tests use to flush (strings starting with `marker:`). */
  get messages(): unknown[] {
    return this.received.filter((item) => !(typeof item === 'string' && item.startsWith('marker:')));
  }

  clear(): void {
    this.received.length = 0;
  }
}

/** The arguments of the first call of a callback that `register` installs (e.g. `onclose`), bounded. */
export function onceCallback<A extends unknown[]>(register: (callback: (...args: A) => void) => void, ms = 5000, what = 'callback'): Promise<A> {
  return within(new Promise<A>((resolve) => register((...args: A) => resolve(args))), ms, what);
}

/**
 * Tracks the sockets a `node:http` server hands to 'upgrade' (the WebSocket connections), so a
 * test can cut them without a WebSocket close frame, as a network failure would.
 */
export class UpgradedSockets {
  readonly #sockets = new Set<Duplex>();

  constructor(server: Server) {
    server.on('upgrade', (_req: unknown, socket: Duplex) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  get size(): number {
    return this.#sockets.size;
  }

  /** Destroys every open upgraded socket (TCP close, no WebSocket close frame). */
  destroyAll(): number {
    const count = this.#sockets.size;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    return count;
  }
}

/**
 * A WebSocket peer on a raw TCP socket that completes the upgrade and the JSON hub handshake,
 * then stops reading: it never answers pings or a Close, like a client that vanished from the
 * network without the server noticing.
 */
export class SilentPeer {
  readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
  }

  static async connect(port: number, path: string, ms = 5000): Promise<SilentPeer> {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    try {
      await within(once(socket, 'connect'), ms, 'silent peer TCP connect');
      const key = randomBytes(16).toString('base64');
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      const [upgrade] = (await within(once(socket, 'data'), ms, 'silent peer upgrade')) as [Buffer];
      if (!upgrade.toString('latin1').startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${upgrade.toString('latin1').split('\r\n')[0]}`);
      socket.write(maskedTextFrame('{"protocol":"json","version":1}\u001e'));
      const [reply] = (await within(once(socket, 'data'), ms, 'silent peer handshake')) as [Buffer];
      if (!reply.toString('latin1').includes('{}\u001e')) throw new Error('handshake failed');
      socket.pause();
      return new SilentPeer(socket);
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A client→server WebSocket text frame (masked, as clients must send). Payload under 126 bytes. */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  if (payload.length >= 126) throw new Error('payload too long for this helper');
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}
