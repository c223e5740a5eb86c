/**
 * A WebSocket class for the official client (its `WebSocket` option) that records the header of
 * every frame the server sends — RSV1 (compressed), opcode and payload length as they are on the
 * wire — by reading the TCP stream beside `ws`, and the extensions the handshake agreed. The
 * client still parses and inflates as it always does.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import WebSocket, { type ClientOptions } from 'ws';
import type { signalR } from './signalr-client.js';
import { completeFrameHeader } from './frame-header.js';

/** One server frame as it crossed the wire. */
export interface WireFrame {
  readonly rsv1: boolean;
  readonly opcode: number;
  /** The payload's length on the wire (compressed, for an RSV1 frame). */
  readonly length: number;
}

/** One tapped socket. */
export class TappedFrames {
  readonly socket: WebSocket;
  readonly frames: WireFrame[] = [];
  /** The `Sec-WebSocket-Extensions` the server accepted, with its parameters ('' for none). */
  extensions = '';
  #input: Buffer = Buffer.alloc(0);

  constructor(socket: WebSocket) {
    this.socket = socket;
    socket.once('upgrade', (response: IncomingMessage) => {
      // ws' own `extensions` names the extensions only; the header has the parameters.
      this.extensions = String(response.headers['sec-websocket-extensions'] ?? '');
      response.socket.on('data', (chunk: Buffer) => this.#read(chunk));
    });
  }

  /** The data frames (text and binary), without control frames. */
  get dataFrames(): WireFrame[] {
    return this.frames.filter((frame) => frame.opcode === 1 || frame.opcode === 2);
  }

  #read(chunk: Buffer): void {
    this.#input = this.#input.length === 0 ? chunk : Buffer.concat([this.#input, chunk]);
    for (;;) {
      const header = completeFrameHeader(this.#input);
      if (header === undefined) return;
      const { first, length, offset } = header;
      this.frames.push({ rsv1: (first & 0x40) !== 0, opcode: first & 0x0f, length });
      this.#input = this.#input.subarray(offset + length);
    }
  }
}

/** Hands the official client a frame-recording WebSocket class and keeps every socket it opened. */
export class FrameTap {
  readonly sockets: TappedFrames[] = [];
  readonly WebSocket: typeof WebSocket;

  /** `wsOptions` go to every socket (e.g. `{ perMessageDeflate: false }` for a client that offers nothing). */
  constructor(wsOptions: ClientOptions = {}) {
    const tap = this;
    this.WebSocket = class FrameTappingWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[], options?: ClientOptions) {
        super(address, protocols, { ...options, ...wsOptions });
        tap.sockets.push(new TappedFrames(this));
      }
    } as unknown as typeof WebSocket;
  }

  /** Client options opening WebSockets through this tap (the option is `@internal` in the typings). */
  options(options: signalR.IHttpConnectionOptions = {}): signalR.IHttpConnectionOptions {
    return { transport: 1 as signalR.HttpTransportType, ...options, WebSocket: this.WebSocket } as signalR.IHttpConnectionOptions;
  }

  get last(): TappedFrames {
    const socket = this.sockets[this.sockets.length - 1];
    if (socket === undefined) throw new Error('no socket was opened through this tap');
    return socket;
  }
}
