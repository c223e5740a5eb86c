/**
 * Property-based tests of the MessagePack hub protocol's parser and VarInt framing (bounded and
 * seeded; `npm run fuzz` runs the same properties for longer). See
 * test/fuzz/protocol-properties.ts for what they say.
 */
import { describe, test } from 'node:test';
import { registerProperties } from '../../../../../test/fuzz/fuzz-property.js';
import { checkCorpusEntry, protocolProperties } from '../../../../../test/fuzz/protocol-properties.js';
import { msgpackTarget } from '../../../../../test/fuzz/targets.js';
import { messagePackHubProtocol } from './msgpack-hub-protocol.js';

const target = msgpackTarget(messagePackHubProtocol);

describe('messagepack hub protocol: properties', () => {
  registerProperties(protocolProperties(target), 100);
});

describe('messagepack hub protocol: fuzz corpus seeds mean what their names say', () => {
  for (const entry of target.corpus) test(entry.name, () => checkCorpusEntry(target, entry));
});
