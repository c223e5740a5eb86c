/**
 * Property-based tests of the handshake decision (bounded and seeded; `npm run fuzz` runs the
 * same properties for longer). See test/fuzz/handshake-properties.ts for what they say.
 */
import { describe } from 'node:test';
import { registerProperties } from '../../../../test/fuzz/fuzz-property.js';
import { handshakeAcceptorProperties } from '../../../../test/fuzz/handshake-properties.js';
import { acceptHandshake } from './handshake-acceptor.js';

describe('handshake acceptor: properties', () => {
  registerProperties(handshakeAcceptorProperties({ accept: acceptHandshake }), 200);
});
