/**
 * The parser and handshake properties have teeth: each planted bug below (a parser wrapped to
 * misbehave) is caught by the property meant to catch it, within the run count the suite uses.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { HubProtocol, ParseResult } from '../../packages/hubwire/src/protocol/hub-protocol.js';
import { jsonHubProtocol } from '../../packages/hubwire/src/protocol/json/json-hub-protocol.js';
import { messagePackHubProtocol } from '../../packages/hubwire/src/protocol/msgpack/msgpack-hub-protocol.js';
import { acceptHandshake } from '../../packages/hubwire/src/hubs/handshake-acceptor.js';
import { HandshakeError, parseHandshakeRequest } from '../../packages/hubwire/src/protocol/handshake.js';
import { SUITE_SEED, toFastCheck } from './fuzz-property.js';
import { handshakeAcceptorProperties, handshakeParserProperties, type AcceptRules } from './handshake-properties.js';
import { protocolProperties } from './protocol-properties.js';
import { jsonTarget, msgpackTarget } from './targets.js';

type Parse = (input: Buffer, maxSize: number | null) => ParseResult;

/** `protocol` with its parse replaced by `parse(original)`. */
function planted(protocol: HubProtocol, parse: (original: Parse) => Parse): HubProtocol {
  return { ...protocol, write: (m) => protocol.write(m), parse: parse((input, max) => protocol.parse(input, max)) };
}

const mutants: { name: string; catches: string; jsonOnly?: true; make: (protocol: HubProtocol) => HubProtocol }[] = [
  {
    name: 'throws a TypeError on a byte',
    catches: 'arbitrary bytes never throw and leave other connections unaffected',
    make: (p) =>
      planted(p, (parse) => (input, max) => {
        if (input.includes(0xc1)) throw new TypeError('boom');
        return parse(input, max);
      }),
  },
  {
    name: 'reports a plain Error instead of a ProtocolError',
    catches: 'mutated valid streams give messages or a ProtocolError',
    make: (p) =>
      planted(p, (parse) => (input, max) => {
        const result = parse(input, max);
        return result.error === undefined ? result : { ...result, error: new Error(result.error.message) as never };
      }),
  },
  {
    name: 'lets one byte more than the limit through',
    catches: 'every message type round-trips through write and parse',
    make: (p) => planted(p, (parse) => (input, max) => parse(input, max === null ? null : max + 1)),
  },
  {
    name: 'claims the incomplete tail as consumed',
    catches: 'a truncated stream is incomplete, not an error',
    make: (p) => planted(p, (parse) => (input, max) => ({ ...parse(input, max), consumed: input.length })),
  },
  {
    name: 'loses the first message of every later chunk',
    catches: 'any split of a valid stream into chunks yields the same messages',
    make: (p) => {
      let calls = 0;
      return planted(p, (parse) => (input, max) => {
        const result = parse(input, max);
        return calls++ % 2 === 1 ? { ...result, messages: result.messages.slice(1) } : result;
      });
    },
  },
  {
    name: 'is left broken for every connection by a hostile byte',
    catches: 'arbitrary bytes never throw and leave other connections unaffected',
    make: (p) => {
      let poisoned = false;
      return planted(p, (parse) => (input, max) => {
        if (input.includes(0xff)) poisoned = true;
        const result = parse(input, max);
        return poisoned ? { ...result, messages: [] } : result;
      });
    },
  },
  {
    name: 'decodes invalid UTF-8 leniently',
    catches: 'invalid UTF-8 anywhere in a message is a ProtocolError after the messages before it',
    jsonOnly: true,
    make: (p) => planted(p, (parse) => (input, max) => parse(Buffer.from(input.toString('utf8'), 'utf8'), max)),
  },
];

describe('the parser properties catch planted bugs', () => {
  for (const [label, protocol, target] of [
    ['json', jsonHubProtocol, jsonTarget],
    ['msgpack', messagePackHubProtocol, msgpackTarget],
  ] as const) {
    for (const mutant of mutants) {
      if (label === 'msgpack' && mutant.jsonOnly) continue;
      test(`${label}: a parser that ${mutant.name} fails "${mutant.catches}"`, () => {
        const properties = protocolProperties(target(mutant.make(protocol)));
        const property = properties.find((candidate) => candidate.name === `${label}: ${mutant.catches}`);
        assert.ok(property !== undefined, `no property named ${mutant.catches}`);
        const run = fc.check(toFastCheck(property), { seed: SUITE_SEED, numRuns: 100 });
        assert.equal(run.failed, true, 'the property must fail for this bug');
      });
    }
  }
});

describe('the handshake properties catch planted bugs', () => {
  const failsWithin = (properties: ReturnType<typeof handshakeParserProperties>, name: string) => {
    const property = properties.find((candidate) => candidate.name === name);
    assert.ok(property !== undefined, `no property named ${name}`);
    assert.equal(fc.check(toFastCheck(property), { seed: SUITE_SEED, numRuns: 200 }).failed, true, 'the property must fail for this bug');
  };
  const isHandshakeError = (error: unknown) => error instanceof HandshakeError;

  test('a request parser that throws a TypeError on a byte fails "arbitrary bytes give a request, …"', () => {
    const parse = (input: Buffer) => {
      if (input.includes(0xff)) throw new TypeError('boom');
      return parseHandshakeRequest(input);
    };
    failsWithin(handshakeParserProperties({ parse, isHandshakeError, corpus: [] }), 'handshake: arbitrary bytes give a request, "incomplete" or a HandshakeError');
  });

  test('a request parser that reads past the first separator fails "a valid request is read, whatever follows it"', () => {
    const parse = (input: Buffer) => {
      const parsed = parseHandshakeRequest(input);
      return parsed === undefined ? undefined : { ...parsed, consumed: input.length };
    };
    failsWithin(handshakeParserProperties({ parse, isHandshakeError, corpus: [] }), 'handshake: a valid request is read, whatever follows it');
  });

  test('an acceptor that ignores the size limit fails "never throws, refuses with ASP.NET texts, …"', () => {
    const accept = (input: Buffer, rules: AcceptRules, transport: Parameters<typeof acceptHandshake>[2]) =>
      acceptHandshake(input, { ...rules, maximumReceiveMessageSize: null }, transport);
    failsWithin(handshakeAcceptorProperties({ accept }), 'handshake acceptor: never throws, refuses with ASP.NET texts, accepts only what the hub serves');
  });
});
