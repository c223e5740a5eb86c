/**
 * The properties every HubProtocol parser must have, for any input: `parse` never throws; it
 * reports malformed input as a ProtocolError after the valid messages before it; valid messages
 * round-trip through `write` → `parse`; how a stream is cut into chunks changes nothing; a
 * truncated stream is incomplete, not an error; `maxMessageSize` is exact; and garbage fed to a
 * protocol instance leaves it able to parse the next connection's bytes (instances are shared by
 * every connection of a server).
 * @module
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProtocolError } from '../../packages/hubwire/src/core/errors.js';
import type { HubProtocol, ParseResult } from '../../packages/hubwire/src/protocol/hub-protocol.js';
import { MessageType, type HubMessage } from '../../packages/hubwire/src/protocol/messages.js';
import { bytes, cuts, invalidUtf8, mutate, mutations, split } from './byte-arbitraries.js';
import type { CorpusEntry } from './corpus.js';
import { fuzzProperty, type FuzzProperty } from './fuzz-property.js';
import { comparable, hubMessage, type Flavor } from './message-arbitraries.js';

/** A protocol under test, with how its messages are framed. */
export interface ProtocolTarget {
  /** `json` or `msgpack`: the prefix of the property names. */
  readonly label: string;
  readonly protocol: HubProtocol;
  readonly flavor: Flavor;
  /** Frames one unframed body: JSON text + 0x1E, or a VarInt length prefix + MessagePack body. */
  readonly frame: (body: Uint8Array) => Buffer;
  /** Unframed bodies shaped like hub messages (well-typed and wrong fields). */
  readonly messageLike: fc.Arbitrary<Uint8Array>;
  /** Seed inputs to mutate (fuzz/corpus/<label>/). */
  readonly corpus: readonly CorpusEntry[];
}

/** The limit ASP.NET and Hubwire apply by default. */
const DEFAULT_LIMIT = 32_768;

/** ASP.NET's text for a message over the limit, written out here so the test is its own oracle. */
function tooLarge(limit: number): string {
  return `The maximum message size of ${limit}B was exceeded. The message size can be configured in AddHubOptions.`;
}

const UTF8_ERROR = 'Cannot transcode invalid UTF-8 JSON text to UTF-16 string.';

/** A VarInt length prefix (little-endian base-128) and the body. */
export function varIntFrame(body: Uint8Array): Buffer {
  const prefix: number[] = [];
  let length = body.length;
  do {
    prefix.push((length & 0x7f) | (length >= 0x80 ? 0x80 : 0));
    length >>>= 7;
  } while (length > 0);
  return Buffer.concat([Buffer.from(prefix), body]);
}

/** The bytes `protocol.write` gives for `message`. */
export function written(protocol: HubProtocol, message: HubMessage): Buffer {
  const out = protocol.write(message);
  return typeof out === 'string' ? Buffer.from(out, 'utf8') : Buffer.from(out);
}

const isStringMap = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string');

/** Fails unless `message` is a hub message a hub connection can act on, with fields of the right types. */
export function assertMessageShape(message: HubMessage): void {
  const m = message as unknown as Record<string, unknown>;
  const optionalString = (key: string, nonEmpty = false) =>
    assert.ok(m[key] === undefined || (typeof m[key] === 'string' && (!nonEmpty || m[key] !== '')), `${key}: ${String(m[key])}`);
  const headers = () => assert.ok(m['headers'] === undefined || isStringMap(m['headers']), 'headers must be a string map');
  // As ASP.NET binds messages: a target, and the id of anything but an Invocation, is never empty.
  const required = (key: string) => assert.ok(typeof m[key] === 'string' && m[key] !== '', `${key} must be a non-empty string: ${String(m[key])}`);
  switch (message.type) {
    case MessageType.Invocation:
    case MessageType.StreamInvocation:
      if (message.type === MessageType.Invocation) optionalString('invocationId', true);
      else required('invocationId');
      required('target');
      assert.ok(Array.isArray(m['arguments']));
      assert.ok(m['streamIds'] === undefined || (Array.isArray(m['streamIds']) && m['streamIds'].every((id) => typeof id === 'string')));
      headers();
      return;
    case MessageType.StreamItem:
      required('invocationId');
      assert.ok('item' in m);
      headers();
      return;
    case MessageType.Completion:
      required('invocationId');
      assert.equal(typeof m['hasResult'], 'boolean');
      optionalString('error');
      assert.ok(!(m['hasResult'] === true && m['error'] !== undefined), 'a Completion has a result or an error, not both');
      headers();
      return;
    case MessageType.CancelInvocation:
      required('invocationId');
      headers();
      return;
    case MessageType.Ping:
      return;
    case MessageType.Close:
      optionalString('error');
      assert.ok(m['allowReconnect'] === undefined || typeof m['allowReconnect'] === 'boolean');
      return;
    case MessageType.Ack:
    case MessageType.Sequence:
      assert.ok(Number.isInteger(m['sequenceId']), 'sequenceId must be an integer');
      return;
    default:
      assert.fail(`unknown message types must be skipped, got ${JSON.stringify(message)}`);
  }
}

/** Calls `parse`, turning a throw into an assertion failure that names the input. */
function parseOrFail(protocol: HubProtocol, input: Buffer, maxSize: number | null): ParseResult {
  try {
    return protocol.parse(input, maxSize);
  } catch (error) {
    assert.fail(`parse threw ${String(error)} (maxSize ${maxSize}) for ${input.toString('hex')}`);
  }
}

/** A summary of a parse result deep equality can compare. */
function outcome(result: ParseResult): { messages: Record<string, unknown>[]; consumed: number; error: string | undefined } {
  return { messages: result.messages.map(comparable), consumed: result.consumed, error: result.error?.message };
}

/** Feeds `chunks` as a hub connection does: whole messages are parsed, an incomplete tail waits for the next chunk. */
export function feed(protocol: HubProtocol, chunks: readonly Buffer[], maxSize: number | null): { messages: HubMessage[]; error?: ProtocolError; pending: number } {
  const messages: HubMessage[] = [];
  let pending: Buffer | undefined;
  for (const chunk of chunks) {
    const input = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    const result = parseOrFail(protocol, input, maxSize);
    messages.push(...result.messages);
    if (result.error !== undefined) return { messages, error: result.error, pending: 0 };
    pending = result.consumed < input.length ? Buffer.from(input.subarray(result.consumed)) : undefined;
  }
  return { messages, pending: pending?.length ?? 0 };
}

/** A few messages of another connection, parsed after each hostile input to prove the shared protocol instance is unharmed. */
function canary(protocol: HubProtocol): { input: Buffer; expected: Record<string, unknown>[] } {
  const messages: HubMessage[] = [
    { type: MessageType.Invocation, invocationId: '1', target: 'echo', arguments: ['canary', 42, { nested: [true, null] }], headers: { k: 'v' } },
    { type: MessageType.Completion, invocationId: 's1', hasResult: true, result: 'ok' },
    { type: MessageType.Ping },
  ];
  return { input: Buffer.concat(messages.map((message) => written(protocol, message))), expected: messages.map(comparable) };
}

/**
 * Everything that must hold for any input: no throw; a sane `consumed`; a ProtocolError or
 * nothing as `error`; only well-formed messages; the same answer twice; when there is no error,
 * the unconsumed tail is one incomplete message and the consumed prefix parses the same alone;
 * and another connection's bytes still parse right afterwards.
 */
export function assertSaneParse(protocol: HubProtocol, input: Buffer, maxSize: number | null, check: { input: Buffer; expected: Record<string, unknown>[] }): ParseResult {
  const result = parseOrFail(protocol, input, maxSize);
  assert.ok(Number.isInteger(result.consumed) && result.consumed >= 0 && result.consumed <= input.length, `consumed ${result.consumed} of ${input.length}`);
  if (result.error !== undefined) {
    assert.ok(result.error instanceof ProtocolError, `error must be a ProtocolError, got ${String(result.error)}`);
    assert.equal(result.error.code, 'HUB_ERR_PROTOCOL');
    assert.ok(result.error.message.length > 0);
  }
  for (const message of result.messages) assertMessageShape(message);
  assert.deepStrictEqual(outcome(parseOrFail(protocol, input, maxSize)), outcome(result), 'parsing the same input twice must give the same result');
  if (result.error === undefined) {
    const rest = parseOrFail(protocol, input.subarray(result.consumed), maxSize);
    assert.deepStrictEqual(outcome(rest), { messages: [], consumed: 0, error: undefined }, 'what is not consumed must be one incomplete message');
    const prefix = parseOrFail(protocol, input.subarray(0, result.consumed), maxSize);
    assert.deepStrictEqual(outcome(prefix), outcome(result), 'the consumed prefix must parse the same on its own');
  }
  assert.deepStrictEqual(parseOrFail(protocol, check.input, DEFAULT_LIMIT).messages.map(comparable), check.expected, 'another connection must be unaffected');
  return result;
}

/** {@link assertSaneParse} with the usual canary: what `npm run fuzz -- --replay` checks a saved input with. */
export function assertSaneInput(protocol: HubProtocol, input: Buffer, maxSize: number | null): ParseResult {
  return assertSaneParse(protocol, input, maxSize, canary(protocol));
}

const maxSizes = fc.oneof(fc.constant(null), fc.constant(DEFAULT_LIMIT), fc.integer({ min: 1, max: 300 }));

/** The properties of one protocol target. */
export function protocolProperties(target: ProtocolTarget): FuzzProperty<any>[] {
  const { protocol, label } = target;
  const check = canary(protocol);
  const stream = fc.array(hubMessage(target.flavor), { minLength: 1, maxLength: 6 });
  const frames = (messages: readonly HubMessage[]) => messages.map((message) => written(protocol, message));
  const expected = (messages: readonly HubMessage[]) => messages.map(comparable);
  const sane = (input: Buffer, maxSize: number | null) => assertSaneParse(protocol, input, maxSize, check);
  const likeStream = fc.array(target.messageLike.map(target.frame), { minLength: 1, maxLength: 4 }).map((list) => Buffer.concat(list));

  const properties: FuzzProperty<any>[] = [
    fuzzProperty(
      `${label}: arbitrary bytes never throw and leave other connections unaffected`,
      fc.record({ input: fc.oneof(bytes(512), fc.tuple(stream, bytes(64)).map(([m, tail]) => Buffer.concat([...frames(m), tail]))), maxSize: maxSizes }),
      (c) => c.input,
      (c) => void sane(Buffer.from(c.input), c.maxSize),
    ),
    fuzzProperty(
      `${label}: message-like documents give messages or a ProtocolError`,
      fc.record({ input: likeStream, maxSize: maxSizes }),
      (c) => c.input,
      (c) => void sane(c.input, c.maxSize),
    ),
    fuzzProperty(
      `${label}: every message type round-trips through write and parse`,
      hubMessage(target.flavor),
      (m) => written(protocol, m),
      (message) => {
        const input = written(protocol, message);
        const result = sane(input, null);
        assert.deepStrictEqual(outcome(result), { messages: [comparable(message)], consumed: input.length, error: undefined });
        // The limit counts the framed bytes: exactly the size passes, one byte less does not.
        assert.equal(parseOrFail(protocol, input, input.length).error, undefined);
        if (input.length > 1) assert.equal(parseOrFail(protocol, input, input.length - 1).error?.message, tooLarge(input.length - 1));
      },
    ),
    fuzzProperty(
      `${label}: any split of a valid stream into chunks yields the same messages`,
      fc.record({ messages: stream, cuts }),
      (c) => Buffer.concat(frames(c.messages)),
      (c) => {
        const fed = feed(protocol, split(Buffer.concat(frames(c.messages)), c.cuts), DEFAULT_LIMIT);
        assert.equal(fed.error, undefined);
        assert.equal(fed.pending, 0);
        assert.deepStrictEqual(fed.messages.map(comparable), expected(c.messages));
      },
    ),
    fuzzProperty(
      `${label}: chunked hostile input gives what the whole input gives`,
      fc.record({ messages: stream, edits: mutations, cuts, maxSize: maxSizes }),
      (c) => mutate(Buffer.concat(frames(c.messages)), c.edits),
      (c) => {
        const input = mutate(Buffer.concat(frames(c.messages)), c.edits);
        const whole = sane(input, c.maxSize);
        const fed = feed(protocol, split(input, c.cuts), c.maxSize);
        assert.deepStrictEqual(fed.messages.map(comparable), whole.messages.map(comparable));
        // An oversize message may be noticed earlier in pieces, with another (size) text.
        assert.equal(fed.error !== undefined, whole.error !== undefined);
      },
    ),
    fuzzProperty(
      `${label}: a truncated stream is incomplete, not an error`,
      fc.record({ messages: stream, cut: fc.nat() }),
      (c) => Buffer.concat(frames(c.messages)),
      (c) => {
        const parts = frames(c.messages);
        const all = Buffer.concat(parts);
        const cut = c.cut % (all.length + 1);
        let whole = 0;
        let boundary = 0;
        while (whole < parts.length && boundary + parts[whole]!.length <= cut) boundary += parts[whole++]!.length;
        const result = sane(all.subarray(0, cut), null);
        assert.deepStrictEqual(outcome(result), { messages: expected(c.messages.slice(0, whole)), consumed: boundary, error: undefined });
      },
    ),
    fuzzProperty(
      `${label}: mutated valid streams give messages or a ProtocolError`,
      fc.record({ messages: stream, edits: mutations, maxSize: maxSizes }),
      (c) => mutate(Buffer.concat(frames(c.messages)), c.edits),
      (c) => void sane(mutate(Buffer.concat(frames(c.messages)), c.edits), c.maxSize),
    ),
    fuzzProperty(
      `${label}: maxMessageSize is honoured message by message`,
      fc.record({ messages: stream, limit: fc.integer({ min: 1, max: 400 }) }),
      (c) => Buffer.concat(frames(c.messages)),
      (c) => {
        const parts = frames(c.messages);
        const first = parts.findIndex((part) => part.length > c.limit);
        const result = sane(Buffer.concat(parts), c.limit);
        const fit = first === -1 ? parts.length : first;
        assert.deepStrictEqual(result.messages.map(comparable), expected(c.messages.slice(0, fit)));
        assert.equal(result.error?.message, first === -1 ? undefined : tooLarge(c.limit));
      },
    ),
  ];
  if (target.corpus.length > 0) {
    properties.push(
      fuzzProperty(
        `${label}: mutated corpus inputs give messages or a ProtocolError`,
        fc.record({ entry: fc.constantFrom(...target.corpus), edits: mutations, cuts, maxSize: maxSizes }),
        (c) => mutate(c.entry.bytes, c.edits),
        (c) => {
          const input = mutate(c.entry.bytes, c.edits);
          const whole = sane(input, c.maxSize);
          assert.deepStrictEqual(feed(protocol, split(input, c.cuts), c.maxSize).messages.map(comparable), whole.messages.map(comparable));
        },
      ),
    );
  }
  if (target.flavor === 'json') {
    properties.push(
      fuzzProperty(
        `${label}: invalid UTF-8 anywhere in a message is a ProtocolError after the messages before it`,
        fc.record({ messages: stream, index: fc.nat(), at: fc.nat(), bad: invalidUtf8 }),
        (c) => Buffer.concat(frames(c.messages)),
        (c) => {
          const parts = frames(c.messages);
          const index = c.index % parts.length;
          const part = parts[index]!;
          const at = c.at % part.length; // before the separator
          parts[index] = Buffer.concat([part.subarray(0, at), Buffer.from(c.bad), part.subarray(at)]);
          const result = sane(Buffer.concat(parts), null);
          assert.deepStrictEqual(result.messages.map(comparable), expected(c.messages.slice(0, index)));
          assert.equal(result.error?.message, UTF8_ERROR);
        },
      ),
    );
  }
  return properties;
}

/** What a corpus file's name promises: `valid-*` parse whole, `incomplete-*` leave a tail, `invalid-*` fail. */
export function checkCorpusEntry(target: ProtocolTarget, entry: CorpusEntry): void {
  const result = assertSaneParse(target.protocol, Buffer.from(entry.bytes), DEFAULT_LIMIT, canary(target.protocol));
  if (entry.kind === 'valid') {
    assert.equal(result.error, undefined, `${entry.name}: ${result.error?.message}`);
    assert.equal(result.consumed, entry.bytes.length, `${entry.name} must be consumed whole`);
  } else if (entry.kind === 'incomplete') {
    assert.equal(result.error, undefined, `${entry.name}: ${result.error?.message}`);
    assert.ok(result.consumed < entry.bytes.length, `${entry.name} must leave an incomplete tail`);
  } else {
    assert.ok(result.error instanceof ProtocolError, `${entry.name} must fail with a ProtocolError`);
  }
}
