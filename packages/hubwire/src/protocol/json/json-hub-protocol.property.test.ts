/**
 * Property-based tests of the JSON hub protocol's parser (bounded and seeded; `npm run fuzz`
 * runs the same properties for longer). See test/fuzz/protocol-properties.ts for what they say.
 */
import { describe, test } from 'node:test';
import { registerProperties } from '../../../../../test/fuzz/fuzz-property.js';
import { checkCorpusEntry, protocolProperties } from '../../../../../test/fuzz/protocol-properties.js';
import { jsonTarget } from '../../../../../test/fuzz/targets.js';
import { jsonHubProtocol } from './json-hub-protocol.js';

const target = jsonTarget(jsonHubProtocol);

describe('json hub protocol: properties', () => {
  registerProperties(protocolProperties(target), 100);
});

describe('json hub protocol: fuzz corpus seeds mean what their names say', () => {
  for (const entry of target.corpus) test(entry.name, () => checkCorpusEntry(target, entry));
});
