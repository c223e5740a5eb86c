/**
 * One load-generator connection: a raw `ws` socket plus a hand-written protocol
 * layer (SignalR JSON, Socket.IO, or none). Subclasses parse frames and report
 * echo replies and broadcasts to the load process through `ConnectionEvents`.
 */
import WebSocket from 'ws';
import type { BroadcastPayload } from '../lib/commands.js';

export interface ConnectionEvents {
  echoReply(conn: BenchConnection, value: unknown, error?: string): void;
  broadcast(conn: BenchConnection, payload: BroadcastPayload): void;
  /** A frame or close the protocol did not expect; `detail` says what. */
  problem(conn: BenchConnection, detail: string): void;
  closed(conn: BenchConnection, code: number): void;
}

/** Shorten a frame for error messages. */
export function excerpt(text: string, max = 200): string {
  const printable = text.replaceAll('\x1e', '\\x1e');
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}

export abstract class BenchConnection {
  /** Position in the load process's connection list. */
  index = -1;
  /** Set once the protocol handshake completed. */
  ready = false;
  /** The load process asked for this close (so it is not a server-side drop). */
  closeRequested = false;
  private settleOpen: ((error?: Error) => void) | undefined;
  protected readonly socket: WebSocket;

  constructor(
    url: string,
    protected readonly events: ConnectionEvents,
  ) {
    this.socket = new WebSocket(url, { perMessageDeflate: false });
    this.socket.on('open', () => this.onOpen());
    this.socket.on('message', (data, isBinary) => {
      if (isBinary) {
        this.onBinary(data as Buffer);
        return;
      }
      this.onText(data.toString());
    });
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', (code, reason) => {
      this.onSocketClosed();
      if (!this.ready) this.fail(new Error(`closed during handshake: ${code} ${reason.toString()}`));
      else if (!this.closeRequested) this.events.problem(this, `server closed the socket: ${code} ${reason.toString()}`);
      this.events.closed(this, code);
    });
  }

  /** Resolve once the protocol is ready to use, or reject after `timeoutMs`. */
  opened(timeoutMs: number): Promise<this> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`handshake timed out after ${timeoutMs} ms`)), timeoutMs);
      this.settleOpen = (error) => {
        clearTimeout(timer);
        this.settleOpen = undefined;
        if (error) {
          this.socket.terminate();
          reject(error);
        } else {
          resolve(this);
        }
      };
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  protected markReady(): void {
    this.ready = true;
    this.settleOpen?.();
  }

  protected fail(error: Error): void {
    if (this.settleOpen) this.settleOpen(error);
    else if (!this.closeRequested) this.events.problem(this, `socket error: ${error.message}`);
  }

  protected sendText(text: string): void {
    this.socket.send(text);
  }

  protected sendBinary(data: Uint8Array): void {
    this.socket.send(data, { binary: true });
  }

  /** A binary frame: unexpected unless the protocol is binary (MessagePack overrides this). */
  protected onBinary(data: Buffer): void {
    this.events.problem(this, `unexpected binary frame (${byteLength(data)} bytes)`);
  }

  /** Close with a close handshake; `terminate` afterwards if the server does not answer. */
  close(): void {
    this.closeRequested = true;
    this.onSocketClosed();
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(1000);
    }
  }

  terminate(): void {
    this.closeRequested = true;
    this.onSocketClosed();
    this.socket.terminate();
  }

  get isClosed(): boolean {
    return this.socket.readyState === WebSocket.CLOSED;
  }

  abstract sendEcho(value: unknown): void;
  protected abstract onOpen(): void;
  protected abstract onText(text: string): void;
  /** Release per-connection timers. */
  protected onSocketClosed(): void {}
}

function byteLength(data: WebSocket.RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}
