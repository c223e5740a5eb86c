/**
 * fast-check arbitraries for hub messages: valid messages of every type in the form a protocol's
 * `write` → `parse` gives back, and "message-like" documents that mix well-typed and wrong
 * fields, to reach every validation branch of the readers.
 * @module
 */
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import { MessageType, type HubMessage } from '../../packages/hubwire/src/protocol/messages.js';

/** Which protocol's value model a payload must fit. */
export type Flavor = 'json' | 'msgpack';

/** Characters that framing, escaping and decoding must get right. */
const SPECIAL = ['\u001e', '\u0000', '"', '\\', '\n', '\u2028', '\ufeff', '\ufffd', '\u007f', 'é', '日', '😀'];

const unit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL) },
);

/** Strings of well-formed Unicode (no lone surrogates), often with characters that need care. */
export function text(minLength = 0, maxLength = 12): fc.Arbitrary<string> {
  return fc.string({ unit, minLength, maxLength });
}

/** A JSON value as `JSON.parse(JSON.stringify(value))` gives it back (so `-0` is `0`). */
export const jsonPayload: fc.Arbitrary<unknown> = fc
  .jsonValue({ maxDepth: 3, stringUnit: unit })
  .map((value) => JSON.parse(JSON.stringify(value)) as unknown);

// MessagePack refuses a `__proto__` map key on decode (a prototype-pollution guard of the library).
const mapKey = text(0, 8).filter((key) => key !== '__proto__');

/** The scalar values MessagePack carries as the JS client maps them. */
const msgpackScalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  // @msgpack/msgpack writes -0 as the integer 0 (as the JS client does).
  fc.double().map((value) => (Object.is(value, -0) ? 0 : value)),
  text(),
  fc.uint8Array({ maxLength: 16 }),
  fc.date({ noInvalidDate: true }),
);

/** A value that survives a MessagePack round trip unchanged (compared with {@link canonical}). */
export const msgpackPayload: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    msgpackScalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(mapKey, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

/** Payload values for `flavor`. */
export function payload(flavor: Flavor): fc.Arbitrary<unknown> {
  return flavor === 'json' ? jsonPayload : msgpackPayload;
}

/**
 * A value in a form deep equality can compare across protocols: decoded `bin` values are Buffer
 * views of the input, generated ones plain Uint8Arrays; both become plain Uint8Array copies. A
 * Date becomes its time value, so that two Invalid Dates (a MessagePack timestamp out of range)
 * compare equal.
 */
export function canonical(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (value instanceof Date) return { date: value.getTime() };
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(canonical);
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    Object.defineProperty(copy, key, { value: canonical(item), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** A message without its `undefined` fields and with canonical payloads, for deep equality. */
export function comparable(message: HubMessage): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) if (value !== undefined) copy[key] = canonical(value);
  return copy;
}

/** Optional fields: present with a generated value, or absent. */
function optional<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arbitrary, { nil: undefined });
}

/** Drops absent optional fields so a generated message looks like a parsed one. */
function defined<T extends object>(message: T): T {
  return Object.fromEntries(Object.entries(message).filter(([, value]) => value !== undefined)) as T;
}

/**
 * Valid messages of every type, as `protocol.write` then `protocol.parse` return them. Only what
 * the writer writes is generated: the JSON writer leaves out stream ids (ASP.NET never sends them
 * to clients) and the headers of StreamInvocation and CancelInvocation; empty headers, ids and
 * error texts are not written by either protocol, so they are not generated.
 */
export function hubMessage(flavor: Flavor): fc.Arbitrary<HubMessage> {
  const id = text(1, 8);
  const value = payload(flavor);
  const args = fc.array(value, { maxLength: 4 });
  const headerKey = flavor === 'json' ? text(0, 8) : mapKey.filter((key) => key.length > 0);
  const headers = optional(fc.dictionary(headerKey, text(flavor === 'json' ? 0 : 1, 8), { minKeys: 1, maxKeys: 3, noNullPrototype: true }));
  const streamIds = flavor === 'json' ? fc.constant(undefined) : optional(fc.array(id, { minLength: 1, maxLength: 3 }));
  const sequenceId = fc.oneof(fc.nat(1000), fc.maxSafeNat());
  const msgpackOnly = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => (flavor === 'json' ? fc.constant(undefined) : arbitrary);
  const messages: fc.Arbitrary<HubMessage>[] = [
    fc.record({ invocationId: optional(id), target: id, arguments: args, streamIds, headers }).map((m) => defined({ type: MessageType.Invocation, ...m })),
    fc
      .record({ invocationId: id, target: id, arguments: args, streamIds, headers: msgpackOnly(headers) })
      .map((m) => defined({ type: MessageType.StreamInvocation, ...m })),
    fc.record({ invocationId: id, item: value, headers }).map((m) => defined({ type: MessageType.StreamItem, ...m })),
    fc
      .oneof(
        fc.record({ invocationId: id, headers }).map((m) => ({ ...m, hasResult: false })),
        fc.record({ invocationId: id, result: value, headers }).map((m) => ({ ...m, hasResult: true })),
        fc.record({ invocationId: id, error: text(1, 12), headers }).map((m) => ({ ...m, hasResult: false })),
      )
      .map((m) => defined({ type: MessageType.Completion, ...m })),
    fc.record({ invocationId: id, headers: msgpackOnly(headers) }).map((m) => defined({ type: MessageType.CancelInvocation, ...m })),
    fc.constant({ type: MessageType.Ping }),
    fc.record({ error: optional(text(1, 12)), allowReconnect: fc.boolean() }).map((m) => defined({ type: MessageType.Close, ...m })),
    sequenceId.map((n) => ({ type: MessageType.Ack, sequenceId: n })),
    sequenceId.map((n) => ({ type: MessageType.Sequence, sequenceId: n })),
  ];
  return fc.oneof(...messages) as fc.Arbitrary<HubMessage>;
}

/** Field names of hub messages, and a few that are not. */
const FIELDS = ['type', 'invocationId', 'target', 'arguments', 'item', 'result', 'error', 'headers', 'streamIds', 'sequenceId', 'allowReconnect'];

/** Values that are sometimes right for a field and often not. */
function wild(flavor: Flavor): fc.Arbitrary<unknown> {
  const value = payload(flavor);
  return fc.oneof(
    fc.integer({ min: -1, max: 10 }),
    fc.constantFrom(1.5, 2 ** 31, 2 ** 63, -0, '', '1', true, false, null),
    text(0, 6),
    fc.array(fc.oneof(text(0, 4), value), { maxLength: 3 }),
    fc.dictionary(text(0, 4), fc.oneof(text(0, 4), value), { maxKeys: 3 }),
    value,
  );
}

/**
 * A JSON document shaped like a hub message with any subset of the fields, each holding a
 * well-typed or a wrong value; sometimes not an object at all. Unframed.
 */
export const jsonMessageLike: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), text(0, 6)), wild('json'), { maxKeys: 7 }).map((doc) => JSON.stringify(doc)) },
  { weight: 1, arbitrary: wild('json').map((value) => JSON.stringify(value) ?? 'null') },
);

/**
 * A MessagePack body shaped like a hub message: an array whose first element is usually a
 * message type, then up to seven elements each well-typed or not; sometimes another value.
 * Unframed.
 */
export const msgpackMessageLike: fc.Arbitrary<Uint8Array> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.oneof(fc.integer({ min: 0, max: 10 }), wild('msgpack')), fc.array(fc.oneof(wild('msgpack'), fc.constant({})), { maxLength: 7 }))
      .map(([type, rest]) => encode([type, ...rest])),
  },
  { weight: 1, arbitrary: wild('msgpack').map((value) => encode(value)) },
);
