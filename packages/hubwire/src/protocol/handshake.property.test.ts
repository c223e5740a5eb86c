/**
 * Property-based tests of the handshake request parser (bounded and seeded; `npm run fuzz` runs
 * the same properties for longer). See test/fuzz/handshake-properties.ts for what they say.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCorpus } from '../../../../test/fuzz/corpus.js';
import { registerProperties } from '../../../../test/fuzz/fuzz-property.js';
import { assertSaneHandshake, handshakeParserProperties } from '../../../../test/fuzz/handshake-properties.js';
import { HandshakeError, parseHandshakeRequest } from './handshake.js';

const target = { parse: parseHandshakeRequest, isHandshakeError: (error: unknown) => error instanceof HandshakeError, corpus: loadCorpus('handshake') };

describe('handshake request parser: properties', () => {
  registerProperties(handshakeParserProperties(target), 200);
});

describe('handshake request parser: fuzz corpus seeds mean what their names say', () => {
  for (const entry of target.corpus) {
    test(entry.name, () => {
      const input = Buffer.from(entry.bytes);
      const parsed = assertSaneHandshake(target, input);
      if (entry.kind === 'valid') assert.ok(parsed !== undefined, `${entry.name} must be read`);
      else if (entry.kind === 'incomplete') assert.equal(parsed, undefined);
      else assert.throws(() => parseHandshakeRequest(input), HandshakeError);
    });
  }
});
