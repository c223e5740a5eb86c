/**
 * What one connection has open with its client besides plain invocations: the client's upload
 * streams, the server's streams (which a CancelInvocation aborts) and the server's calls waiting
 * for a client result. They share one id space on the wire — a Completion may end an upload or
 * answer a client-result call, and ASP.NET looks at uploads first — and they all end together
 * with the connection, which is why they are kept in one place. The connection creates this the
 * first time one of them is used, and each map only when needed, so idle connections pay nothing.
 * @module
 */
import type { Clock } from '../core/clock.js';
import type { ClientResultOptions } from '../lifetime/hub-lifetime-manager.js';
import { MessageType, type CompletionMessage, type HubMessage } from '../protocol/messages.js';
import { ClientResults } from './client-results.js';
import type { StreamCancellation } from './stream-cancellation.js';
import { UploadStream } from './upload-stream.js';

/** Uploads, server streams and client-result calls of one connection. */
export class ConnectionCalls {
  readonly #connectionId: string;
  readonly #clock: Clock;
  readonly #uploadCapacity: number;
  /** Input may wait for room in an upload; this lets it go on. */
  readonly #onSpace: () => void;
  #uploads: Map<string, UploadStream> | undefined;
  #streams: Map<string, StreamCancellation> | undefined;
  #results: ClientResults | undefined;

  constructor(connectionId: string, clock: Clock, uploadCapacity: number, onSpace: () => void) {
    this.#connectionId = connectionId;
    this.#clock = clock;
    this.#uploadCapacity = uploadCapacity;
    this.#onSpace = onSpace;
  }

  /** Server streams running on this connection, by invocation id. */
  get activeStreams(): Map<string, StreamCancellation> {
    return (this.#streams ??= new Map());
  }

  /** A CancelInvocation from the client. */
  cancelStream(invocationId: string): void {
    this.#streams?.get(invocationId)?.abort();
  }

  openUploads(streamIds: readonly string[]): UploadStream[] {
    const uploads = (this.#uploads ??= new Map());
    return streamIds.map((streamId) => {
      const stream = new UploadStream(streamId, this.#uploadCapacity, this.#onSpace);
      uploads.set(streamId, stream);
      return stream;
    });
  }

  closeUploads(streamIds: readonly string[]): void {
    for (const streamId of streamIds) {
      this.#uploads?.get(streamId)?.end();
      this.#uploads?.delete(streamId);
    }
    // Input may have been held up by one of these streams being full.
    this.#onSpace();
  }

  hasUpload(streamId: string): boolean {
    return this.#uploads?.has(streamId) === true;
  }

  /** True when the next item of this upload must wait until its method reads. */
  uploadIsFull(streamId: string): boolean {
    return this.#uploads?.get(streamId)?.isFull === true;
  }

  /** A StreamItem from the client; items for no open upload are dropped. */
  pushItem(streamId: string, item: unknown): void {
    this.#uploads?.get(streamId)?.push(item);
  }

  /**
   * Invokes a client method through `connection` and waits for its Completion. A write that
   * throws (the arguments cannot be serialized) fails the call instead of the caller.
   */
  invokeClient(connection: { write(message: HubMessage): void }, target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown> {
    const results = (this.#results ??= new ClientResults(this.#connectionId, this.#clock));
    const { invocationId, result } = results.start(options);
    // Already canceled: the call failed without being registered, and the client must not see it.
    if (!results.has(invocationId)) return result;
    try {
      connection.write({ type: MessageType.Invocation, invocationId, target, arguments: args });
    } catch (error) {
      results.fail(invocationId, error instanceof Error ? error : new Error(String(error)));
    }
    return result;
  }

  /**
   * Answers a client-result call if `message` is one, and says whether it was. Upload streams are
   * looked up first, as ASP.NET does: their ids are the client's.
   */
  completeClientResult(message: CompletionMessage): boolean {
    const results = this.#results;
    if (results === undefined || this.#uploads?.has(message.invocationId) || !results.has(message.invocationId)) return false;
    results.complete(message);
    return true;
  }

  /** A Completion in order: the end of an upload, else (late) an answer to a client-result call. */
  complete(message: CompletionMessage): void {
    const upload = this.#uploads?.get(message.invocationId);
    if (upload !== undefined) {
      upload.end(message.error);
      this.#uploads!.delete(message.invocationId);
    } else if (this.#results?.has(message.invocationId)) {
      this.#results.complete(message);
    }
  }

  /** The connection ended: streams are cancelled, uploads end, client-result calls fail. */
  closeAll(): void {
    for (const controller of this.#streams?.values() ?? []) controller.abort();
    for (const upload of this.#uploads?.values() ?? []) upload.end('The connection was closed.');
    this.#results?.disconnected();
  }
}

/** A stream id of `streamIds` that is open already or named twice, if any. */
export function reusedStreamId(streamIds: readonly string[], calls: ConnectionCalls | undefined): string | undefined {
  for (let i = 0; i < streamIds.length; i++) {
    const id = streamIds[i]!;
    if (calls?.hasUpload(id) || streamIds.indexOf(id) !== i) return id;
  }
  return undefined;
}
