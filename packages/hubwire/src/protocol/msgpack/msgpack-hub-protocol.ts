/**
 * The `messagepack` hub protocol: each message is a VarInt length prefix and a MessagePack array.
 * @module
 */
import type { ExtensionCodecType } from '@msgpack/msgpack';
import { ProtocolError } from '../../core/errors.js';
import type { HubProtocol, ParseResult } from '../hub-protocol.js';
import { MessageType, type HubMessage } from '../messages.js';
import { createMessagePackCodec } from './msgpack-codec.js';
import { readMessagePackMessage } from './msgpack-reader.js';
import { toMessagePackArray } from './msgpack-writer.js';
import { frameBody, readFrame } from './varint-framing.js';

/** Options of {@link createMessagePackHubProtocol}. */
export interface MessagePackHubProtocolOptions {
  /**
   * Extension types to encode and decode, as the JS client's `MessagePackOptions.extensionCodec`
   * (an `ExtensionCodec` of `@msgpack/msgpack`). The timestamp extension (−1, `Date`) is always on.
   */
  readonly extensionCodec?: ExtensionCodecType<undefined>;
}

// [6], framed: the same bytes for every ping.
const PING = Buffer.from([0x02, 0x91, 0x06]);

/**
 * Creates a MessagePack hub protocol (name `messagepack`, version 2, binary transfer format).
 * Use {@link messagePackHubProtocol} unless you need options; each instance serializes a
 * broadcast once for all of its connections.
 *
 * @example
 * ```ts
 * import { ExtensionCodec, decode, encode } from '@msgpack/msgpack';
 * import { createHubServer, createMessagePackHubProtocol, jsonHubProtocol } from 'hubwire';
 *
 * const extensionCodec = new ExtensionCodec();
 * extensionCodec.register({
 *   type: 1,
 *   encode: (value) => (value instanceof Set ? encode([...value]) : null),
 *   decode: (data) => new Set(decode(data) as unknown[]),
 * });
 * const hubwire = createHubServer({ protocols: [jsonHubProtocol, createMessagePackHubProtocol({ extensionCodec })] });
 * ```
 */
export function createMessagePackHubProtocol(options: MessagePackHubProtocolOptions = {}): HubProtocol {
  const codec = createMessagePackCodec(options.extensionCodec);
  return {
    name: 'messagepack',
    version: 2,
    transferFormat: 'Binary',

    parse(input: Buffer, maxMessageSize: number | null, maxMessages = Number.POSITIVE_INFINITY): ParseResult {
      const messages: HubMessage[] = [];
      let offset = 0;
      let framed = 0;
      try {
        while (offset < input.length && framed < maxMessages) {
          const frame = readFrame(input, offset, maxMessageSize);
          if (frame === undefined) break;
          offset = frame.end;
          framed++;
          const message = readMessagePackMessage(codec.decodeBody(input.subarray(frame.bodyStart, frame.end)));
          if (message !== undefined) messages.push(message);
        }
      } catch (error) {
        const protocolError = error instanceof ProtocolError ? error : new ProtocolError(error instanceof Error ? error.message : String(error));
        return { messages, consumed: offset, error: protocolError };
      }
      return offset < input.length && framed >= maxMessages ? { messages, consumed: offset, limited: true } : { messages, consumed: offset };
    },

    write(message: HubMessage): Buffer {
      return message.type === MessageType.Ping ? PING : frameBody(codec.encode(toMessagePackArray(message)));
    },
  };
}

/**
 * The MessagePack hub protocol, interoperable with `@microsoft/signalr-protocol-msgpack` and
 * ASP.NET Core: enable it next to JSON with `protocols: [jsonHubProtocol, messagePackHubProtocol]`.
 *
 * @example
 * ```ts
 * import { createHubServer, jsonHubProtocol, messagePackHubProtocol } from 'hubwire';
 *
 * const hubwire = createHubServer({ protocols: [jsonHubProtocol, messagePackHubProtocol] });
 * messagePackHubProtocol.write({ type: 1, target: 'receive', arguments: ['hi'] });
 * // <Buffer 11 96 01 80 c0 a7 72 65 63 65 69 76 65 91 a2 68 69 90>
 * ```
 */
export const messagePackHubProtocol: HubProtocol = createMessagePackHubProtocol();
