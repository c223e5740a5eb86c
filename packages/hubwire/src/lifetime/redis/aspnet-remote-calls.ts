/**
 * Client results across servers in ASP.NET's layout (protocol reference §14.4). The caller
 * publishes the Invocation, framed in every protocol of the hub, as a 4-item envelope on the
 * connection's channel with its return channel `<P>:internal:return:<server>`; the connection's
 * server hands the call to its client and publishes the client's Completion there as
 * `[protocolName, framedCompletion]`. As in ASP.NET, neither a timeout nor a cancel crosses
 * servers: the caller applies its own, and the owner's call lives as long as the connection
 * (which, if it closes first, answers "Connection disconnected.").
 * @module
 */
import { randomBytes } from 'node:crypto';
import { HubError } from '../../core/errors.js';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import { MessageType, type CompletionMessage, type InvocationMessage } from '../../protocol/messages.js';
import { serialize } from '../../protocol/serialized-message.js';
import type { ClientResultOptions, LifetimeConnection } from '../hub-lifetime-manager.js';
import { decodeReturn, encodeInvocation, encodeReturn, type AspNetInvocation } from './aspnet-wire.js';
import type { LayoutHost } from './backplane-layout.js';
import { invocationCanceled, PendingCalls } from './pending-calls.js';
import { errorText } from './remote-calls.js';

/** What ASP.NET's owner answers when the connection closes before its client did. */
const DISCONNECTED = 'Connection disconnected.';

/** Both halves of client-result calls in ASP.NET's layout, for one hub on one node. */
export class AspNetRemoteCalls {
  /** Where this node's answers arrive: `<P>:internal:return:<node id>`. */
  readonly returnChannel: string;
  readonly #host: LayoutHost;
  /** Calls this node made, by invocation id. */
  readonly #calls = new PendingCalls<string>();

  constructor(host: LayoutHost) {
    this.#host = host;
    this.returnChannel = `${host.channels.base}:internal:return:${host.nodeId}`;
  }

  /** Calls a client of another server and resolves with its answer; rejects like a local call. */
  async invoke(connectionId: string, target: string, args: readonly unknown[], options: ClientResultOptions): Promise<unknown> {
    const host = this.#host;
    const { signal, timeout = 0 } = options;
    if (signal?.aborted) throw invocationCanceled();
    // Unique across servers, as ASP.NET's: 22 characters of standard base64 (16 random bytes).
    const invocationId = randomBytes(16).toString('base64').slice(0, 22);
    const message: InvocationMessage = { type: MessageType.Invocation, invocationId, target, arguments: args };
    const bytes = new Map<string, Buffer>();
    for (const protocol of host.protocols) bytes.set(protocol.name, toBuffer(serialize(protocol, message)));
    const payload = encodeInvocation({ excluded: [], bytes, invocationId, returnChannel: this.returnChannel });
    // Ends the wait here only on a cancel: ASP.NET servers do not propagate one either.
    const result = this.#calls.wait(invocationId, { signal, timeout });
    await this.#calls.send(
      invocationId,
      connectionId,
      target,
      () => host.publishOrThrow(host.channels.connection(connectionId), payload, true),
      (text, error) => host.publishFailed(text, error),
    );
    return result;
  }

  /** An answer on this node's return channel: `[protocolName, framedCompletion]`. */
  onReturn(payload: Buffer): void {
    const host = this.#host;
    let completion: CompletionMessage;
    try {
      const answer = decodeReturn(payload);
      // By exact name, as ASP.NET looks it up.
      const protocol = host.protocols.find((known) => known.name === answer.protocolName);
      if (protocol === undefined) throw new RangeError(`The answer is in protocol '${answer.protocolName}', which this hub does not speak.`);
      const parsed = protocol.parse(answer.completion, null, 1);
      const message = parsed.messages[0];
      if (parsed.error !== undefined || message?.type !== MessageType.Completion) throw new RangeError(`The answer is not a ${protocol.name} Completion message.`);
      completion = message;
    } catch (error) {
      host.dropped(this.returnChannel, error);
      return;
    }
    if (completion.error !== undefined) this.#calls.settle(completion.invocationId, undefined, new HubError(completion.error));
    else this.#calls.settle(completion.invocationId, completion.result, undefined);
  }

  /**
   * A 4-item envelope on a local connection's channel: another server's call. The connection's
   * own call machinery asks the client (under an id of its own), and the answer goes back under
   * the caller's id, in the connection's protocol when the caller named it in the envelope.
   */
  serve(connectionId: string, call: AspNetInvocation): void {
    const host = this.#host;
    const connection = host.local.connection(connectionId);
    if (connection === undefined || call.invocationId === undefined || !call.returnChannel) return;
    const invocationId = call.invocationId;
    const returnChannel = call.returnChannel;
    const answerIn = this.#answerProtocol(connection, call.bytes);
    const invocation = this.#readInvocation(connection, call.bytes);
    if (answerIn === undefined || invocation === undefined) {
      host.dropped(host.channels.connection(connectionId), new RangeError('A client-result call came in no protocol this hub speaks.'));
      return;
    }
    const answer = (completion: CompletionMessage) => {
      let framed: Buffer;
      try {
        framed = toBuffer(serialize(answerIn, completion));
      } catch (error) {
        framed = toBuffer(serialize(answerIn, { type: MessageType.Completion, invocationId, error: errorText(error), hasResult: false }));
      }
      return host.publish(returnChannel, encodeReturn({ protocolName: answerIn.name, completion: framed }));
    };
    void connection.invokeClient(invocation.target, invocation.arguments, {}).then(
      (value) => answer({ type: MessageType.Completion, invocationId, result: value, hasResult: value !== undefined }),
      (error: unknown) => {
        const gone = host.local.connection(connectionId) !== connection || (error instanceof Error && error.message === `Connection '${connectionId}' disconnected.`);
        return answer({ type: MessageType.Completion, invocationId, error: gone ? DISCONNECTED : errorText(error), hasResult: false });
      },
    );
  }

  /** Fails this node's pending calls (the backplane is closing). */
  close(): void {
    this.#calls.close();
  }

  /** The connection's own protocol if the caller wrote the call in it (so the caller can read the answer), else the first the caller wrote that this hub speaks. */
  #answerProtocol(connection: LifetimeConnection, bytes: ReadonlyMap<string, Buffer>): HubProtocol | undefined {
    const own = this.#host.protocols.find((protocol) => protocol.name === connection.protocolName);
    if (own !== undefined && bytes.has(own.name)) return own;
    return this.#host.protocols.find((protocol) => bytes.has(protocol.name));
  }

  /** The Invocation inside, read from the connection's protocol first. */
  #readInvocation(connection: LifetimeConnection, bytes: ReadonlyMap<string, Buffer>): InvocationMessage | undefined {
    const protocols = [...this.#host.protocols].sort((a, b) => Number(b.name === connection.protocolName) - Number(a.name === connection.protocolName));
    for (const protocol of protocols) {
      const framed = bytes.get(protocol.name);
      if (framed === undefined) continue;
      const parsed = protocol.parse(framed, null, 1);
      const message = parsed.messages[0];
      if (parsed.error === undefined && message?.type === MessageType.Invocation) return message;
    }
    return undefined;
  }
}

function toBuffer(written: Buffer | string): Buffer {
  return typeof written === 'string' ? Buffer.from(written, 'utf8') : written;
}
