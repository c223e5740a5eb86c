/**
 * A message from another server that lacks the serialization some local connection needs: an
 * ASP.NET server publishes only the protocols its hub is configured with (a JSON-only .NET hub
 * beside a Hubwire hub with MessagePack clients). ASP.NET aborts such a connection; the protocol
 * reference recommends re-encoding instead, and so this does — from a serialization it has,
 * parsed once, written once per missing protocol. The serializations present are written as
 * they came.
 * @module
 */
import { HubwireError } from '../../core/errors.js';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import { MessageType, type HubMessage } from '../../protocol/messages.js';
import { serialize, SerializedMessage } from '../../protocol/serialized-message.js';

/**
 * The received bytes per protocol name, and any other protocol of `known` made on first use.
 * A message none of whose serializations can be read fails only the recipients that need a
 * missing one (with HUB_ERR_BACKPLANE: the delivery loop goes on to the others).
 */
export class ReencodingMessage extends SerializedMessage {
  readonly #bytes: Map<string, Buffer>;
  readonly #known: readonly HubProtocol[];
  /** The parsed message; null once parsing failed. */
  #parsed: HubMessage | null | undefined;

  constructor(bytes: ReadonlyMap<string, Buffer>, known: readonly HubProtocol[]) {
    super(undefined as unknown as HubMessage);
    this.#bytes = new Map(bytes);
    this.#known = known;
  }

  /** Whether `bytes` lacks a protocol of `known`, so a {@link ReencodingMessage} is needed instead of {@link SerializedMessage.fromBytes}. */
  static needed(bytes: ReadonlyMap<string, Buffer>, known: readonly HubProtocol[]): boolean {
    return known.some((protocol) => !bytes.has(protocol.name));
  }

  override get(protocol: HubProtocol): Buffer {
    const present = this.#bytes.get(protocol.name);
    if (present !== undefined) return present;
    const message = this.#parse();
    if (message === null) {
      throw new HubwireError('HUB_ERR_BACKPLANE', `A message from another server came without a '${protocol.name}' serialization, and none of its serializations could be read to make one.`);
    }
    let written: Buffer | string;
    try {
      written = serialize(protocol, message);
    } catch (error) {
      // Not HUB_ERR_SERIALIZATION: that would fail the whole delivery, and the sender is elsewhere.
      throw new HubwireError('HUB_ERR_BACKPLANE', `A message from another server could not be re-encoded in '${protocol.name}': ${(error as Error).message}`, { cause: error });
    }
    const bytes = typeof written === 'string' ? Buffer.from(written, 'utf8') : written;
    this.#bytes.set(protocol.name, bytes);
    return bytes;
  }

  #parse(): HubMessage | null {
    if (this.#parsed !== undefined) return this.#parsed;
    this.#parsed = null;
    for (const protocol of this.#known) {
      const bytes = this.#bytes.get(protocol.name);
      if (bytes === undefined) continue;
      const parsed = protocol.parse(bytes, null, 1);
      const message = parsed.messages[0];
      if (parsed.error === undefined && message?.type === MessageType.Invocation) {
        this.#parsed = message;
        break;
      }
    }
    return this.#parsed;
  }
}
