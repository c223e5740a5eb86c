/**
 * A WebSocket class for the official client (its `WebSocket` option) that records every JSON hub
 * message the client sends and receives, and can prove the server has taken in everything the
 * client sent so far (a WebSocket ping/pong round trip), without sleeping.
 * @module
 */
import WebSocket from 'ws';
import { RS } from './raw-client.js';
import { signalR } from './signalr-client.js';
import { within } from './wait.js';

type Waiter = { readonly match: (message: Record<string, unknown>) => boolean; readonly resolve: (message: Record<string, unknown>) => void };

/** One tapped socket's traffic, as parsed JSON hub messages (the handshake excluded). */
export class TappedSocket {
  readonly socket: WebSocket;
  readonly sent: Record<string, unknown>[] = [];
  readonly received: Record<string, unknown>[] = [];
  #sentWaiters: Waiter[] = [];

  constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) this.received.push(...parse(data.toString('utf8')));
    });
  }

  /** @internal */
  recordSent(data: unknown): void {
    if (typeof data !== 'string') return;
    for (const message of parse(data)) {
      this.sent.push(message);
      this.#sentWaiters = this.#sentWaiters.filter((waiter) => {
        if (!waiter.match(message)) return true;
        waiter.resolve(message);
        return false;
      });
    }
  }

  /** Resolves with the first message the client sent (or sends) that `match`es, bounded. */
  whenSent(match: (message: Record<string, unknown>) => boolean, ms = 5000, what = 'a client message'): Promise<Record<string, unknown>> {
    const already = this.sent.find(match);
    if (already !== undefined) return Promise.resolve(already);
    return within(new Promise((resolve) => this.#sentWaiters.push({ match, resolve })), ms, what);
  }

  /**
   * A ping/pong round trip. The server's `ws` parses frames in order and emits each data frame
   * before it answers a later ping, so once the pong is back the server has received (and handed
   * to the hub connection) every message this socket sent before.
   */
  async roundTrip(ms = 5000): Promise<void> {
    const pong = new Promise<void>((resolve) => this.socket.once('pong', () => resolve()));
    this.socket.ping();
    await within(pong, ms, 'a pong');
  }
}

/** Hands the official client a recording WebSocket class and keeps every socket it opened. */
export class SocketTap {
  readonly sockets: TappedSocket[] = [];
  /** Pass as the `WebSocket` option of the official client's `withUrl`. */
  readonly WebSocket: typeof WebSocket;

  constructor() {
    const tap = this;
    this.WebSocket = class TappingWebSocket extends WebSocket {
      readonly #tapped: TappedSocket;

      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        this.#tapped = new TappedSocket(this);
        tap.sockets.push(this.#tapped);
      }

      override send(data: any, ...rest: any[]): void {
        this.#tapped.recordSent(data);
        (WebSocket.prototype.send as (...a: unknown[]) => void).call(this, data, ...rest);
      }
    } as unknown as typeof WebSocket;
  }

  /**
   * Client options that make the official client open its sockets through this tap. The client's
   * `WebSocket` option is honoured at runtime (HttpConnection) but marked `@internal`, so it is
   * missing from the published typings.
   */
  options(options: signalR.IHttpConnectionOptions = {}): signalR.IHttpConnectionOptions {
    return { transport: signalR.HttpTransportType.WebSockets, ...options, WebSocket: this.WebSocket } as signalR.IHttpConnectionOptions;
  }

  /** The most recently opened socket. */
  get last(): TappedSocket {
    const socket = this.sockets[this.sockets.length - 1];
    if (socket === undefined) throw new Error('no socket was opened through this tap');
    return socket;
  }
}

/** The hub messages in a text frame; the handshake (no `type`) is left out. */
function parse(text: string): Record<string, unknown>[] {
  return text
    .split(RS)
    .filter((part) => part.length > 0)
    .map((part) => JSON.parse(part) as Record<string, unknown>)
    .filter((message) => typeof message['type'] === 'number');
}

/**
 * Starts an official client on `url` whose socket traffic is tapped, and adds it to `open` so the
 * test can stop every client it started.
 */
export async function startTapped(url: string, open: Set<signalR.HubConnection>): Promise<{ connection: signalR.HubConnection; socket: TappedSocket }> {
  const tap = new SocketTap();
  const connection = new signalR.HubConnectionBuilder().withUrl(url, tap.options()).configureLogging(signalR.LogLevel.None).build();
  open.add(connection);
  await within(connection.start(), 5000, 'client start');
  return { connection, socket: tap.last };
}
