/**
 * A message of a recoverable group as its members get it: the bytes the publishing node made
 * (without a position, which the store decided later) with the entry's {@link GroupPosition}
 * appended as the last argument. A node makes one per message and entry and shares it among its
 * members, so each protocol is parsed and written once per node whatever the member count.
 * @module
 */
import { HubwireError } from '../../core/errors.js';
import type { HubProtocol } from '../../protocol/hub-protocol.js';
import { MessageType, type InvocationMessage } from '../../protocol/messages.js';
import { serialize, SerializedMessage } from '../../protocol/serialized-message.js';
import type { GroupPosition } from './recovery-types.js';

/**
 * The framed bytes per protocol of one entry message plus its position. `get(protocol)` parses
 * that protocol's bytes, appends the position and writes them again (cached per protocol); with
 * no position (`positionArgument: false`) the bytes are returned as they are. A protocol the
 * publishing node did not serialize in is made from another one of `known` (as
 * ReencodingMessage does for backplane messages).
 *
 * @example
 * ```ts
 * const message = new PositionedMessage(entry.messages[0]!.bytes, { group: 'org:1', offset: 7, epoch }, protocols);
 * connection.writeSerialized(message); // the client handler gets (...args, { group, offset, epoch })
 * ```
 */
export class PositionedMessage extends SerializedMessage {
  readonly #bytes: ReadonlyMap<string, Buffer>;
  readonly #known: readonly HubProtocol[];
  readonly #written = new Map<HubProtocol, Buffer>();
  /** The parsed invocation without its position; null once parsing failed. */
  #parsed: InvocationMessage | null | undefined;
  /**
   * The invocation as the publisher gave it, when this node published it: nothing is parsed back
   * then. Its arguments are read again when a protocol is first written (as a send's are), so a
   * caller must not change them after the send.
   */
  readonly #published: InvocationMessage | undefined;
  /** The key of a keep-latest policy, computed at most once per node. */
  #key: string | undefined;

  constructor(
    bytes: ReadonlyMap<string, Buffer>,
    /** The entry's position, or undefined when members get the message without it. */
    readonly position: GroupPosition | undefined,
    known: readonly HubProtocol[],
    published?: InvocationMessage,
  ) {
    super(undefined as unknown as InvocationMessage);
    this.#bytes = bytes;
    this.#known = known;
    this.#published = published;
    if (published !== undefined) this.#parsed = published;
  }

  override get(protocol: HubProtocol): Buffer {
    const cached = this.#written.get(protocol);
    if (cached !== undefined) return cached;
    const own = this.#bytes.get(protocol.name);
    let bytes: Buffer;
    if (this.position === undefined && own !== undefined) {
      bytes = own;
    } else {
      const message = this.#published ?? (own === undefined ? this.invocation() : parseInvocation(protocol, own));
      if (message === null) {
        throw new HubwireError('HUB_ERR_BACKPLANE', `A recoverable group message could not be read to write it in '${protocol.name}'.`);
      }
      const positioned = this.position === undefined ? message : { ...message, arguments: [...message.arguments, this.position] };
      let written: Buffer | string;
      try {
        written = serialize(protocol, positioned);
      } catch (error) {
        // Not HUB_ERR_SERIALIZATION: that fails a whole delivery, and the sender is elsewhere (or done).
        throw new HubwireError('HUB_ERR_BACKPLANE', `A recoverable group message could not be written in '${protocol.name}': ${(error as Error).message}`, { cause: error });
      }
      bytes = typeof written === 'string' ? Buffer.from(written, 'utf8') : written;
    }
    this.#written.set(protocol, bytes);
    return bytes;
  }

  /** The invocation as published (no position), parsed from the first known protocol it has; null if none reads. */
  invocation(): InvocationMessage | null {
    if (this.#parsed !== undefined) return this.#parsed;
    this.#parsed = null;
    for (const protocol of this.#known) {
      const bytes = this.#bytes.get(protocol.name);
      if (bytes === undefined) continue;
      const message = parseInvocation(protocol, bytes);
      if (message !== null) {
        this.#parsed = message;
        break;
      }
    }
    return this.#parsed;
  }

  /** `key(target, args)` of a keep-latest policy, computed once; undefined when the message cannot be read or the key throws. */
  keyOf(key: (target: string, args: readonly unknown[]) => string): string | undefined {
    if (this.#key !== undefined) return this.#key;
    const message = this.invocation();
    if (message === null) return undefined;
    try {
      this.#key = String(key(message.target, message.arguments));
    } catch {
      return undefined;
    }
    return this.#key;
  }
}

function parseInvocation(protocol: HubProtocol, bytes: Buffer): InvocationMessage | null {
  const parsed = protocol.parse(bytes, null, 1);
  const message = parsed.messages[0];
  return parsed.error === undefined && message?.type === MessageType.Invocation ? message : null;
}
