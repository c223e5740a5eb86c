/**
 * The official client's `HttpConnection` used directly, without a `HubConnection`: what talks to
 * raw connection endpoints (`mapConnection`), as ASP.NET's `MapConnectionHandler` is reached.
 *
 * `@microsoft/signalr` does not export `HttpConnection` from its package root. Its CommonJS build
 * has it at `dist/cjs/HttpConnection.js` (the package has no `exports` map, so the path may be
 * required), and the ES build's declarations describe it.
 * @module
 */
import { createRequire } from 'node:module';
import type { HttpConnection as HttpConnectionClass } from '@microsoft/signalr/dist/esm/HttpConnection.js';
import { signalR } from './signalr-client.js';
import { until, within } from './wait.js';

const require = createRequire(import.meta.url);

/** The official client's transport-level connection class. */
export const HttpConnection = (require('@microsoft/signalr/dist/cjs/HttpConnection.js') as { HttpConnection: typeof HttpConnectionClass }).HttpConnection;
export type HttpConnection = HttpConnectionClass;

/** An official HttpConnection with what it received and how it closed. */
export class RawClientConnection {
  readonly connection: HttpConnection;
  /** Everything received, in order (strings for text, ArrayBuffers for binary). */
  readonly received: (string | ArrayBuffer)[] = [];
  /** Resolves with the error the connection closed with (undefined for a clean close). */
  readonly closed: Promise<Error | undefined>;

  constructor(url: string, options: signalR.IHttpConnectionOptions = {}) {
    this.connection = new HttpConnection(url, { logger: signalR.LogLevel.None, ...options });
    this.connection.onreceive = (data) => this.received.push(data);
    this.closed = new Promise((resolve) => (this.connection.onclose = (error) => resolve(error)));
  }

  /** Starts a connection on `url` with `transport` and `format`, bounded. */
  static async start(
    url: string,
    transport: signalR.HttpTransportType,
    format: signalR.TransferFormat = signalR.TransferFormat.Text,
    options: signalR.IHttpConnectionOptions = {},
  ): Promise<RawClientConnection> {
    const client = new RawClientConnection(url, { transport, ...options });
    await within(client.connection.start(format), 5000, `HttpConnection.start over ${signalR.HttpTransportType[transport]}`);
    return client;
  }

  /** All text received so far, joined (the server may batch or split). */
  get text(): string {
    return this.received.map((data) => (typeof data === 'string' ? data : Buffer.from(data).toString('utf8'))).join('');
  }

  /** All bytes received so far, joined. */
  get bytes(): Buffer {
    return Buffer.concat(this.received.map((data) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data))));
  }

  /** Waits until the received text is at least `length` characters. */
  async textOf(length: number, ms = 5000): Promise<string> {
    await until(() => this.text.length >= length, ms, `${length} characters`);
    return this.text;
  }

  /** Waits until `length` bytes have arrived. */
  async bytesOf(length: number, ms = 5000): Promise<Buffer> {
    await until(() => this.bytes.length >= length, ms, `${length} bytes`);
    return this.bytes;
  }

  send(data: string | ArrayBuffer): Promise<void> {
    return within(this.connection.send(data), 5000, 'HttpConnection.send');
  }

  stop(): Promise<void> {
    return within(this.connection.stop(), 5000, 'HttpConnection.stop');
  }
}

