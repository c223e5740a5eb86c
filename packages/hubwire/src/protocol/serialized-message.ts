/**
 * A message serialized at most once per protocol, shared by every recipient of a broadcast
 * (ASP.NET's SerializedHubMessage).
 * @module
 */
import { HubwireError } from '../core/errors.js';
import type { HubProtocol } from './hub-protocol.js';
import type { HubMessage } from './messages.js';

/**
 * Wraps one hub message and caches its framed bytes per protocol. A broadcast to N connections
 * using two protocols serializes twice, whatever N is. Bytes are kept as Buffers so that text
 * frames are not re-encoded from a string for every recipient.
 */
export class SerializedMessage {
  /**
   * The message, or undefined for one made {@link SerializedMessage.fromBytes | from bytes}
   * (a backplane's receiving node has only the bytes, and never parses them).
   */
  readonly message: HubMessage | undefined;
  /** The bytes by protocol name of a message made from bytes; undefined otherwise. */
  #byName: ReadonlyMap<string, Buffer> | undefined;
  // Two protocols (json, messagepack) cover almost every deployment; fields beat a Map there.
  #firstProtocol: HubProtocol | undefined;
  #firstBytes: Buffer | undefined;
  #secondProtocol: HubProtocol | undefined;
  #secondBytes: Buffer | undefined;
  #others: Map<HubProtocol, Buffer> | undefined;

  constructor(message: HubMessage) {
    this.message = message;
  }

  /**
   * A message that is only its framed bytes per protocol name, as another node serialized it: a
   * recipient gets those bytes as they are. Asking for a protocol that is not among them fails
   * with HUB_ERR_SERIALIZATION (the sending node did not speak it).
   *
   * @example
   * ```ts
   * const serialized = SerializedMessage.fromBytes(new Map([['json', bytesFromTheBackplane]]));
   * connection.writeSerialized(serialized);
   * ```
   */
  static fromBytes(bytes: ReadonlyMap<string, Buffer>): SerializedMessage {
    const serialized = new SerializedMessage(undefined as unknown as HubMessage);
    serialized.#byName = bytes;
    return serialized;
  }

  /** The framed bytes of the message in `protocol`, serializing on first use. */
  get(protocol: HubProtocol): Buffer {
    if (this.#firstProtocol === protocol) return this.#firstBytes!;
    if (this.#secondProtocol === protocol) return this.#secondBytes!;
    const cached = this.#others?.get(protocol);
    if (cached !== undefined) return cached;
    if (this.#byName !== undefined) return this.#fromName(protocol);
    const written = serialize(protocol, this.message!);
    const bytes = typeof written === 'string' ? Buffer.from(written, 'utf8') : written;
    if (this.#firstProtocol === undefined) {
      this.#firstProtocol = protocol;
      this.#firstBytes = bytes;
    } else if (this.#secondProtocol === undefined) {
      this.#secondProtocol = protocol;
      this.#secondBytes = bytes;
    } else {
      (this.#others ??= new Map()).set(protocol, bytes);
    }
    return bytes;
  }

  #fromName(protocol: HubProtocol): Buffer {
    const bytes = this.#byName!.get(protocol.name);
    if (bytes === undefined) {
      throw new HubwireError('HUB_ERR_SERIALIZATION', `The message came without a '${protocol.name}' serialization: the sending node does not speak that protocol.`, { typeName: 'InvalidOperationException' });
    }
    return bytes;
  }
}

/**
 * `protocol.write(message)`, with a failure (a circular or BigInt argument, say) turned into a
 * HUB_ERR_SERIALIZATION error: the caller's mistake, reported to the caller, never a recipient's.
 */
export function serialize(protocol: HubProtocol, message: HubMessage): Buffer | string {
  try {
    return protocol.write(message);
  } catch (error) {
    throw new HubwireError('HUB_ERR_SERIALIZATION', `The message could not be serialized with the '${protocol.name}' protocol: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
      typeName: 'InvalidOperationException',
    });
  }
}
