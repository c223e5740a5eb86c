/**
 * The properties of the handshake: the request parser reads a request, waits, or refuses with a
 * HandshakeError, never anything else; it reads only up to the first record separator; and the
 * acceptor's decision (with ASP.NET's texts) never throws, fits the hub's rules and does not
 * change when more bytes arrive.
 * @module
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonHubProtocol } from '../../packages/hubwire/src/protocol/json/json-hub-protocol.js';
import { messagePackHubProtocol } from '../../packages/hubwire/src/protocol/msgpack/msgpack-hub-protocol.js';
import type { TransportKind } from '../../packages/hubwire/src/transports/transport.js';
import { bytes, cuts, invalidUtf8, mutate, mutations, split } from './byte-arbitraries.js';
import type { CorpusEntry } from './corpus.js';
import { fuzzProperty, type FuzzProperty } from './fuzz-property.js';
import { jsonPayload, text } from './message-arbitraries.js';

const RS = 0x1e;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** What the request parser returns. */
export type ParsedHandshake = { request: { protocol: string; version: number }; consumed: number } | undefined;

/** The request parser under test. */
export interface HandshakeParserTarget {
  readonly parse: (input: Buffer) => ParsedHandshake;
  readonly isHandshakeError: (error: unknown) => boolean;
  readonly corpus: readonly CorpusEntry[];
}

// Type-only: erased at run time, so the fuzz worker still loads no more than the protocol layer.
export type { HandshakeOutcome as AcceptOutcome, HandshakeRules as AcceptRules } from '../../packages/hubwire/src/hubs/handshake-acceptor.js';
import type { HandshakeOutcome as AcceptOutcome, HandshakeRules as AcceptRules } from '../../packages/hubwire/src/hubs/handshake-acceptor.js';

/** The acceptor under test. */
export interface HandshakeAcceptorTarget {
  readonly accept: (input: Buffer, rules: AcceptRules, transport: TransportKind | undefined) => AcceptOutcome;
}

/** Protocol names clients might send, in any case. */
const protocolName = fc.oneof(fc.mixedCase(fc.constantFrom('json', 'messagepack')), text(0, 12));

/** A handshake request as JSON text: `protocol` and `version` among other properties, in any order. */
const request = fc
  .record({
    protocol: protocolName,
    version: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.integer({ min: INT32_MIN, max: INT32_MAX })),
    extras: fc.array(fc.tuple(text(0, 6).filter((key) => key !== 'protocol' && key !== 'version'), jsonPayload), { maxLength: 3 }),
    place: fc.nat(),
  })
  .map(({ protocol, version, extras, place }) => {
    const fields = extras.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
    fields.splice(place % (fields.length + 1), 0, `"protocol":${JSON.stringify(protocol)}`);
    fields.splice((place >> 3) % (fields.length + 1), 0, `"version":${version}`);
    return { protocol, version, json: `{${fields.join(',')}}` };
  });

/** A request, framed, followed by whatever the client sent next. */
const framedRequest = fc.record({ request, tail: bytes(32) }).map(({ request: r, tail }) => ({
  ...r,
  input: Buffer.concat([Buffer.from(r.json, 'utf8'), Buffer.from([RS]), tail]),
  consumed: Buffer.byteLength(r.json) + 1,
}));

/** Handshake-ish inputs: framed requests, mutated ones, and garbage. */
const handshakeInput = fc.oneof(
  framedRequest.map((r) => r.input),
  fc.tuple(framedRequest, mutations).map(([r, edits]) => mutate(r.input, edits)),
  bytes(128).map((b) => Buffer.from(b)),
);

/** Calls the parser; returns its result or the error it threw. */
function attempt(target: HandshakeParserTarget, input: Buffer): { parsed: ParsedHandshake } | { error: unknown } {
  try {
    return { parsed: target.parse(input) };
  } catch (error) {
    return { error };
  }
}

/** A throw must be a HandshakeError; a request must be well-typed and end at the first separator; no separator means "wait". */
export function assertSaneHandshake(target: HandshakeParserTarget, input: Buffer): ParsedHandshake {
  const first = attempt(target, input);
  assert.deepStrictEqual(attempt(target, input), first, 'parsing the same handshake twice must give the same result');
  const separator = input.indexOf(RS);
  if ('error' in first) {
    assert.ok(target.isHandshakeError(first.error), `the parser threw something else than a HandshakeError: ${String(first.error)}`);
    assert.notEqual(separator, -1, 'an incomplete handshake must wait, not fail');
    return undefined;
  }
  const { parsed } = first;
  if (parsed === undefined) {
    assert.equal(separator, -1, 'a handshake with a separator must be decided');
    return undefined;
  }
  assert.equal(parsed.consumed, separator + 1);
  assert.equal(typeof parsed.request.protocol, 'string');
  assert.ok(Number.isInteger(parsed.request.version) && parsed.request.version >= INT32_MIN && parsed.request.version <= INT32_MAX);
  return parsed;
}

/** The request parser's properties. */
export function handshakeParserProperties(target: HandshakeParserTarget): FuzzProperty<any>[] {
  const properties: FuzzProperty<any>[] = [
    fuzzProperty('handshake: arbitrary bytes give a request, "incomplete" or a HandshakeError', handshakeInput, (input) => input, (input) => {
      assertSaneHandshake(target, input);
    }),
    fuzzProperty('handshake: a valid request is read, whatever follows it', framedRequest, (r) => r.input, (r) => {
      assert.deepStrictEqual(assertSaneHandshake(target, r.input), { request: { protocol: r.protocol, version: r.version }, consumed: r.consumed });
    }),
    fuzzProperty(
      'handshake: in chunks, a request is incomplete until its separator, then read as a whole',
      fc.record({ r: framedRequest, cuts }),
      (c) => c.r.input,
      (c) => {
        let received = Buffer.alloc(0);
        for (const chunk of split(c.r.input, c.cuts)) {
          received = Buffer.concat([received, chunk]);
          const parsed = assertSaneHandshake(target, received);
          if (received.length < c.r.consumed) assert.equal(parsed, undefined, 'a request cut before its separator is incomplete');
          else assert.deepStrictEqual(parsed, { request: { protocol: c.r.protocol, version: c.r.version }, consumed: c.r.consumed });
        }
      },
    ),
    fuzzProperty(
      'handshake: invalid UTF-8 in a request is a HandshakeError',
      fc.record({ r: framedRequest, at: fc.nat(), bad: invalidUtf8 }),
      (c) => c.r.input,
      (c) => {
        const json = Buffer.from(c.r.json, 'utf8');
        const at = c.at % (json.length + 1);
        const input = Buffer.concat([json.subarray(0, at), Buffer.from(c.bad), json.subarray(at), Buffer.from([RS])]);
        const outcome = attempt(target, input);
        assert.ok('error' in outcome && target.isHandshakeError(outcome.error), 'invalid UTF-8 must fail the handshake');
      },
    ),
  ];
  if (target.corpus.length > 0) {
    properties.push(
      fuzzProperty(
        'handshake: mutated corpus inputs give a request, "incomplete" or a HandshakeError',
        fc.record({ entry: fc.constantFrom(...target.corpus), edits: mutations }),
        (c) => mutate(c.entry.bytes, c.edits),
        (c) => void assertSaneHandshake(target, mutate(c.entry.bytes, c.edits)),
      ),
    );
  }
  return properties;
}

const rules: fc.Arbitrary<AcceptRules> = fc.record({
  protocols: fc.subarray([jsonHubProtocol, messagePackHubProtocol], { minLength: 1 }),
  maximumReceiveMessageSize: fc.oneof(fc.constant(null), fc.constant(32_768), fc.integer({ min: 1, max: 120 })),
  enableDetailedErrors: fc.boolean(),
});
const transport = fc.constantFrom<TransportKind | undefined>('WebSockets', 'ServerSentEvents', 'LongPolling', undefined);

const UNEXPECTED = 'An unexpected error occurred during connection handshake.';
const REFUSALS = [
  /^The protocol '.*' is not supported\.$/su,
  /^The server does not support version -?\d+ of the '.*' protocol\.$/su,
  /^Cannot use the '.*' protocol on the current transport\. The transport does not support 'Binary' transfer format\.$/su,
];

/** A comparable form of an outcome. */
function summary(outcome: AcceptOutcome): unknown {
  return outcome.kind === 'accepted' ? { ...outcome, protocol: outcome.protocol.name } : outcome;
}

/** The acceptor's properties. */
export function handshakeAcceptorProperties(target: HandshakeAcceptorTarget): FuzzProperty<any>[] {
  const accept = (input: Buffer, r: AcceptRules, t: TransportKind | undefined): AcceptOutcome => {
    try {
      return target.accept(input, r, t);
    } catch (error) {
      assert.fail(`acceptHandshake threw ${String(error)} for ${input.toString('hex')}`);
    }
  };
  return [
    fuzzProperty(
      'handshake acceptor: never throws, refuses with ASP.NET texts, accepts only what the hub serves',
      fc.record({ input: handshakeInput, rules, transport }),
      (c) => c.input,
      (c) => {
        const outcome = accept(c.input, c.rules, c.transport);
        const limit = c.rules.maximumReceiveMessageSize;
        const separator = c.input.indexOf(RS);
        switch (outcome.kind) {
          case 'incomplete':
            assert.equal(separator, -1);
            assert.ok(limit === null || c.input.length < limit, 'a handshake that cannot fit in the limit must be refused');
            return;
          case 'refused':
            if (outcome.error.startsWith(UNEXPECTED)) {
              if (!c.rules.enableDetailedErrors) assert.equal(outcome.error, UNEXPECTED, 'no details without detailed errors');
            } else if (outcome.error === 'Handshake was canceled.') {
              assert.ok(limit !== null && (separator === -1 ? c.input.length >= limit : separator + 1 > limit));
            } else {
              assert.ok(REFUSALS.some((pattern) => pattern.test(outcome.error)), `unexpected refusal text: ${outcome.error}`);
            }
            return;
          case 'accepted':
            assert.ok(c.rules.protocols.includes(outcome.protocol));
            assert.ok(outcome.version <= outcome.protocol.version);
            assert.equal(outcome.consumed, separator + 1);
            assert.ok(limit === null || outcome.consumed <= limit);
            assert.ok(!(outcome.protocol.transferFormat === 'Binary' && c.transport === 'ServerSentEvents'));
            return;
        }
      },
    ),
    fuzzProperty(
      'handshake acceptor: an acceptance or refusal stands when more bytes arrive',
      fc.record({ input: handshakeInput, cut: fc.nat(), rules, transport }),
      (c) => c.input,
      (c) => {
        const prefix = c.input.subarray(0, c.cut % (c.input.length + 1));
        const early = accept(prefix, c.rules, c.transport);
        const late = accept(c.input, c.rules, c.transport);
        if (early.kind === 'accepted') assert.deepStrictEqual(summary(late), summary(early));
        if (early.kind === 'refused') {
          assert.equal(late.kind, 'refused');
          // Which limit check fires first depends on how the bytes arrive (in ASP.NET too); a
          // refusal for any other reason is the same whatever follows.
          if (early.error !== 'Handshake was canceled.') assert.deepStrictEqual(late, early);
        }
      },
    ),
  ];
}
