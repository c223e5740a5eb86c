/**
 * The MessagePack library behind the hub protocol (@msgpack/msgpack, the one the JS client uses),
 * set up for SignalR: bytes ⇄ values, with decoding failures turned into ProtocolErrors.
 * @module
 */
import { Decoder, Encoder, type ExtensionCodecType } from '@msgpack/msgpack';
import { ProtocolError } from '../../core/errors.js';

/** Encodes and decodes MessagePack values. Not reentrant; one per protocol instance. */
export interface MessagePackCodec {
  /** Encodes `value`; the result is a view of a reused buffer, valid until the next call. */
  encode(value: unknown): Uint8Array;
  /** Decodes one message body, which must be a MessagePack array. Throws a ProtocolError. */
  decodeBody(body: Uint8Array): unknown;
}

/** MessagePack-CSharp's names of leading bytes, for its "Unexpected msgpack code" text. */
function formatName(code: number): string {
  if (code <= 0x7f) return 'positive fixint';
  if (code <= 0x8f) return 'fixmap';
  if (code <= 0x9f) return 'fixarray';
  if (code <= 0xbf) return 'fixstr';
  if (code >= 0xe0) return 'negative fixint';
  const names = [
    'nil', '(never used)', 'false', 'true', 'bin 8', 'bin 16', 'bin 32', 'ext 8', 'ext 16', 'ext 32', 'float 32', 'float 64',
    'uint 8', 'uint 16', 'uint 32', 'uint 64', 'int 8', 'int 16', 'int 32', 'int 64', 'fixext 1', 'fixext 2', 'fixext 4',
    'fixext 8', 'fixext 16', 'str 8', 'str 16', 'str 32', 'array 16', 'array 32', 'map 16', 'map 32',
  ];
  return names[code - 0xc0]!;
}

/** What .NET's MessagePackReader throws when the data ends before the value does. */
function endOfStream(): ProtocolError {
  return new ProtocolError('Unable to read beyond the end of the stream.', 'EndOfStreamException');
}

function isArrayHeader(code: number): boolean {
  return (code >= 0x90 && code <= 0x9f) || code === 0xdc || code === 0xdd;
}

/**
 * Creates a codec. Values map as in the JS client (see docs/messagepack.md), except that object
 * properties whose value is `undefined` are left out, as JSON.stringify does, so a hub result has
 * the same shape in both protocols.
 */
export function createMessagePackCodec(extensionCodec?: ExtensionCodecType<undefined>): MessagePackCodec {
  const encoder = new Encoder({ extensionCodec, ignoreUndefined: true });
  const decoder = new Decoder({ extensionCodec });
  return {
    encode: (value) => encoder.encodeSharedRef(value),
    decodeBody(body) {
      if (body.length === 0) throw endOfStream();
      const code = body[0]!;
      if (!isArrayHeader(code)) {
        throw new ProtocolError(`Unexpected msgpack code ${code} (${formatName(code)}) encountered.`, 'MessagePackSerializationException');
      }
      try {
        return decoder.decode(body);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // The library reports truncated data as a RangeError ("Insufficient data", or a DataView's);
        // bytes left after the array are a RangeError too, but not a truncation.
        if (error instanceof RangeError && !message.startsWith('Extra ')) throw endOfStream();
        throw new ProtocolError(`Invalid MessagePack: ${message}`, 'MessagePackSerializationException');
      }
    },
  };
}
