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
  readonly message: HubMessage;
  // Two protocols (json, messagepack) cover almost every deployment; fields beat a Map there.
  #firstProtocol: HubProtocol | undefined;
  #firstBytes: Buffer | undefined;
  #secondProtocol: HubProtocol | undefined;
  #secondBytes: Buffer | undefined;
  #others: Map<HubProtocol, Buffer> | undefined;

  constructor(message: HubMessage) {
    this.message = message;
  }

  /** The framed bytes of the message in `protocol`, serializing on first use. */
  get(protocol: HubProtocol): Buffer {
    if (this.#firstProtocol === protocol) return this.#firstBytes!;
    if (this.#secondProtocol === protocol) return this.#secondBytes!;
    const cached = this.#others?.get(protocol);
    if (cached !== undefined) return cached;
    const written = serialize(protocol, this.message);
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
