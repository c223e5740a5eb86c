/**
 * The protocol targets the properties run against, built around a protocol instance so the
 * property tests beside each parser and `npm run fuzz` test the same thing.
 * @module
 */
import type { HubProtocol } from '../../packages/hubwire/src/protocol/hub-protocol.js';
import { loadCorpus } from './corpus.js';
import { jsonMessageLike, msgpackMessageLike } from './message-arbitraries.js';
import { varIntFrame, type ProtocolTarget } from './protocol-properties.js';

/** The JSON protocol: text + 0x1E framing, corpus `fuzz/corpus/json`. */
export function jsonTarget(protocol: HubProtocol): ProtocolTarget {
  return {
    label: 'json',
    protocol,
    flavor: 'json',
    frame: (body) => Buffer.concat([body, Buffer.from([0x1e])]),
    messageLike: jsonMessageLike.map((text) => Buffer.from(text, 'utf8')),
    corpus: loadCorpus('json'),
  };
}

/** The MessagePack protocol: VarInt framing, corpus `fuzz/corpus/msgpack`. */
export function msgpackTarget(protocol: HubProtocol): ProtocolTarget {
  return { label: 'msgpack', protocol, flavor: 'msgpack', frame: varIntFrame, messageLike: msgpackMessageLike, corpus: loadCorpus('msgpack') };
}
