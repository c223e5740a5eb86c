/**
 * Client results across nodes: a `clients.client(id).invoke(...)` for a connection on another
 * node is published on that connection's channel, run there, and answered on the caller's node
 * channel. This file keeps both halves — the calls this node made and the calls it serves for
 * others — apart from the fan-out in redis-lifetime-manager.ts.
 * @module
 */
import { decode as unpack, Encoder } from '@msgpack/msgpack';
import { ErrorCodes, HubError, HubwireError, type ErrorCode } from '../../core/errors.js';
import type { ClientResultOptions } from '../hub-lifetime-manager.js';
import { errorText } from './error-text.js';
import { invocationCanceled, PendingCalls } from './pending-calls.js';
import { encode, type BackplaneMessage } from './wire.js';

// Where the layouts have always imported it from.
export { errorText };

/** What the remote calls need of the backplane around them. */
export interface RemoteCallsHost {
  readonly nodeId: string;
  /** The channel of a connection (where calls for it are published). */
  connectionChannel(connectionId: string): string;
  /** The channel of a node (where its answers arrive). */
  nodeChannel(nodeId: string): string;
  /** Publishes, throwing what Redis throws (the caller turns it into a clear error). */
  publishOrThrow(channel: string, payload: Buffer): Promise<number>;
  /** Publishes; a failure is counted and logged, never thrown. */
  publish(channel: string, payload: Buffer): Promise<unknown>;
  /** Counts and logs a publish failure that the caller will throw. */
  publishFailed(text: string, error: unknown): void;
  /** Runs a call on a local connection. */
  invokeLocal(connectionId: string, target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown>;
}

/** How an error of a client-result call crosses nodes, so the caller sees the same error. */
interface ErrorRecord {
  readonly type: 'hub' | 'hubwire' | 'other';
  readonly message: string;
  readonly code?: string;
  readonly typeName?: string;
}

const packer = new Encoder({ ignoreUndefined: true });
/** A remote node that died answers nothing: a call with a timeout gives up this much later itself. */
const REMOTE_RESULT_GRACE_MS = 2000;

/** Both halves of client-result calls across nodes, for one hub on one node. */
export class RemoteCalls {
  readonly #host: RemoteCallsHost;
  /** Calls this node made for connections elsewhere, by call id. */
  readonly #calls = new PendingCalls<number>();
  #nextCall = 1;
  /** Calls other nodes made for connections here, by `<sender>:<callId>`: their cancel switch. */
  readonly #served = new Map<string, AbortController>();

  constructor(host: RemoteCallsHost) {
    this.#host = host;
  }

  /**
   * A call for a connection on another node: published on the connection's channel, run there
   * with the caller's timeout, answered on this node's channel. The caller's signal cancels it
   * on both sides.
   */
  async invoke(connectionId: string, target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown> {
    const { signal, timeout = 0 } = options;
    const host = this.#host;
    if (signal?.aborted) throw invocationCanceled();
    let packed: Buffer;
    try {
      packed = Buffer.from(packer.encode(args));
    } catch (error) {
      throw new HubwireError('HUB_ERR_SERIALIZATION', `The arguments of '${target}' could not be sent to another node: ${errorText(error)}`, { cause: error });
    }
    const callId = this.#nextCall;
    this.#nextCall = (this.#nextCall % 0xffff_ffff) + 1;
    const result = this.#calls.wait(callId, {
      signal,
      timeout,
      grace: REMOTE_RESULT_GRACE_MS,
      onAbort: () => void host.publish(host.connectionChannel(connectionId), encode({ kind: 'cancel', sender: host.nodeId, callId })),
    });
    await this.#calls.send(
      callId,
      connectionId,
      target,
      () => host.publishOrThrow(host.connectionChannel(connectionId), encode({ kind: 'invoke', sender: host.nodeId, callId, target, timeout, args: packed })),
      (text, error) => host.publishFailed(text, error),
    );
    return result;
  }

  /** Handles `invoke` and `cancel` messages on a local connection's channel; false for others. */
  receiveForConnection(connectionId: string, message: BackplaneMessage): boolean {
    if (message.kind === 'invoke') {
      this.#serve(connectionId, message.sender, message.callId, message.target, message.timeout, message.args);
      return true;
    }
    if (message.kind === 'cancel') {
      this.#served.get(`${message.sender}:${message.callId}`)?.abort();
      return true;
    }
    return false;
  }

  /** Handles a `result` on this node's channel; false for other messages. */
  receiveForNode(message: BackplaneMessage): boolean {
    if (message.kind !== 'result') return false;
    let value: unknown;
    try {
      value = message.payload.length === 0 ? undefined : unpack(plain(message.payload));
    } catch (error) {
      this.#calls.settle(message.callId, undefined, new HubwireError('HUB_ERR_BACKPLANE', `A client result from another node could not be read: ${errorText(error)}`));
      return true;
    }
    this.#calls.settle(message.callId, message.ok ? value : undefined, message.ok ? undefined : toError(value as ErrorRecord));
    return true;
  }

  /** Fails this node's pending calls and cancels the ones it serves (the backplane is closing). */
  close(): void {
    this.#calls.close();
    for (const controller of this.#served.values()) controller.abort();
    this.#served.clear();
  }

  /** Runs another node's call on a connection here and publishes the answer. */
  #serve(connectionId: string, sender: string, callId: number, target: string, timeout: number, packedArgs: Buffer): void {
    const host = this.#host;
    const key = `${sender}:${callId}`;
    const controller = new AbortController();
    this.#served.set(key, controller);
    const answer = async (): Promise<Buffer> => {
      try {
        const args = unpack(plain(packedArgs)) as unknown[];
        const value = await host.invokeLocal(connectionId, target, args, { signal: controller.signal, timeout: timeout > 0 ? timeout : undefined });
        try {
          return encode({ kind: 'result', callId, ok: true, payload: Buffer.from(packer.encode(value)) });
        } catch (error) {
          throw new HubwireError('HUB_ERR_SERIALIZATION', `The client's result of '${target}' could not be sent to another node: ${errorText(error)}`, { cause: error });
        }
      } catch (error) {
        return encode({ kind: 'result', callId, ok: false, payload: Buffer.from(packer.encode(toRecord(error))) });
      }
    };
    void answer().then(async (payload) => {
      this.#served.delete(key);
      await host.publish(host.nodeChannel(sender), payload);
    });
  }
}

/** A plain Uint8Array view: binary values then come out as Uint8Array, as from a client, not Buffer. */
function plain(bytes: Buffer): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function toRecord(error: unknown): ErrorRecord {
  if (error instanceof HubwireError) return { type: 'hubwire', message: error.message, code: error.code, typeName: error.typeName };
  if (error instanceof HubError) return { type: 'hub', message: error.message };
  return { type: 'other', message: errorText(error) };
}

function toError(record: ErrorRecord | undefined): Error {
  if (record === undefined || typeof record.message !== 'string') return new HubwireError('HUB_ERR_BACKPLANE', 'A client result from another node failed without a reason.');
  if (record.type === 'hub') return new HubError(record.message);
  if (record.type === 'hubwire' && record.code !== undefined && record.code in ErrorCodes) {
    return new HubwireError(record.code as ErrorCode, record.message, { typeName: record.typeName });
  }
  return new Error(record.message);
}
