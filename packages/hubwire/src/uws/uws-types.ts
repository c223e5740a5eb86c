/**
 * The part of uWebSockets.js' API that Hubwire uses, written out structurally so that the library
 * neither depends on nor loads uWebSockets.js: the app is the user's, made from whichever build
 * of uWebSockets.js they installed (the GitHub release, or the `@trufflesuite/uws-js-unofficial`
 * republish on npm).
 * @module
 */

/** What uWebSockets.js takes as a message or body: a string or bytes. */
export type UwsData = string | ArrayBuffer | Uint8Array;

/** uWebSockets.js' `HttpRequest`: valid only during the synchronous part of its handler. */
export interface UwsHttpRequest {
  getHeader(lowerCaseKey: string): string;
  getUrl(): string;
  getMethod(): string;
  getCaseSensitiveMethod?(): string;
  getQuery(): string | undefined;
  forEach(cb: (key: string, value: string) => void): void;
}

/** uWebSockets.js' `HttpResponse`. */
export interface UwsHttpResponse {
  writeStatus(status: string): UwsHttpResponse;
  writeHeader(key: string, value: string): UwsHttpResponse;
  write(chunk: UwsData): boolean;
  end(body?: UwsData, closeConnection?: boolean): UwsHttpResponse;
  close(): UwsHttpResponse;
  onWritable(handler: (offset: number) => boolean): UwsHttpResponse;
  onAborted(handler: () => void): UwsHttpResponse;
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): UwsHttpResponse;
  pause(): void;
  resume(): void;
  getRemoteAddressAsText(): ArrayBuffer;
  cork(cb: () => void): UwsHttpResponse;
  upgrade<T>(userData: T, secWebSocketKey: string, secWebSocketProtocol: string, secWebSocketExtensions: string, context: unknown): void;
}

/** uWebSockets.js' `WebSocket`; any call after its `close` handler ran throws. */
export interface UwsWebSocket<T> {
  send(message: UwsData, isBinary?: boolean, compress?: boolean): number;
  getBufferedAmount(): number;
  end(code?: number, shortMessage?: UwsData): void;
  close(): void;
  getUserData(): T;
  cork(cb: () => void): UwsWebSocket<T>;
}

/** uWebSockets.js' `WebSocketBehavior`, the options Hubwire sets. */
export interface UwsWebSocketBehavior<T> {
  maxPayloadLength?: number;
  idleTimeout?: number;
  maxBackpressure?: number;
  sendPingsAutomatically?: boolean;
  compression?: number;
  upgrade?: (res: UwsHttpResponse, req: UwsHttpRequest, context: unknown) => void;
  open?: (ws: UwsWebSocket<T>) => void;
  message?: (ws: UwsWebSocket<T>, message: ArrayBuffer, isBinary: boolean) => void;
  close?: (ws: UwsWebSocket<T>, code: number, message: ArrayBuffer) => void;
}

/** uWebSockets.js' `TemplatedApp` (what `uWS.App()` returns), the routes Hubwire adds. */
export interface UwsApp {
  ws<T>(pattern: string, behavior: UwsWebSocketBehavior<T>): UwsApp;
  any(pattern: string, handler: (res: UwsHttpResponse, req: UwsHttpRequest) => void): UwsApp;
}

/** Options of `HubServer.attachUws`. */
export interface UwsServeOptions {
  /** Answers the app's requests that are for no hub, synchronously (default: 404). */
  fallback?: (res: UwsHttpResponse, req: UwsHttpRequest) => void;
}
