/**
 * The message layouts of ASP.NET Core's Redis backplane
 * (`Microsoft.AspNetCore.SignalR.StackExchangeRedis`), so a Hubwire node and a .NET server can
 * read each other's publications: MessagePack arrays whose required items come first. Readers
 * ignore items beyond those (as ASP.NET does) and refuse arrays with fewer, with ASP.NET's texts
 * ("Insufficient items in Invocation array."). Protocol reference, section 14.3.
 * @module
 */
import { decodeMulti, Encoder } from '@msgpack/msgpack';

// @msgpack/msgpack writes every value in its smallest form (fixint/uint8/16/32, fixstr/str8/16/32,
// bin8/16/32, fixarray/array16/32), as MessagePack-CSharp's writer does: the byte vectors in
// aspnet-wire.test.ts hold it to that.
const packer = new Encoder({ ignoreUndefined: false });

/**
 * An invocation envelope, on the `all`, `group:`, `user:` and `connection:` channels: the hub
 * message framed once per protocol, plus, for a client-result call, the id of the Invocation
 * inside and the channel the answer goes to.
 */
export interface AspNetInvocation {
  /** Connections that must not get the message (honoured on the `all` and `group:` channels). */
  readonly excluded: readonly string[];
  /** Protocol name (`json`, `messagepack`, …) → the complete framed hub message in it. */
  readonly bytes: ReadonlyMap<string, Buffer>;
  /** A client-result call only: the Invocation's id (items 2 and 3 are written together or not at all). */
  readonly invocationId?: string;
  /** A client-result call only: where the owner publishes the answer, `<P>:internal:return:<server>`. */
  readonly returnChannel?: string;
}

/** ASP.NET's `GroupAction`. */
export const GroupAction = { Add: 1, Remove: 2 } as const;

/** A group change for a connection of another server, on `<P>:internal:groups`. */
export interface AspNetGroupCommand {
  /** Increasing per sender (an Int32); the owner's ack names it. */
  readonly id: number;
  /** The sender: the ack goes to `<P>:internal:ack:<serverName>`. */
  readonly serverName: string;
  /** {@link GroupAction}: 1 adds, 2 removes; other values are read as they are. */
  readonly action: number;
  readonly group: string;
  readonly connectionId: string;
}

/** A client's answer to a client-result call, forwarded by the connection's server to the caller's return channel. */
export interface AspNetReturn {
  /** The protocol `completion` is written in (the caller parses it with its protocol of that name). */
  readonly protocolName: string;
  /** The framed Completion message. */
  readonly completion: Buffer;
}

/**
 * `[excludedIds, {protocol: bin}]`, or with `invocationId` and `returnChannel` the 4-item form of a
 * client-result call.
 *
 * @example
 * ```ts
 * const payload = encodeInvocation({ excluded: [], bytes: new Map([['json', Buffer.from('{"type":1,"target":"Send","arguments":["hi"]}\x1e')]]) });
 * ```
 */
export function encodeInvocation(invocation: AspNetInvocation): Buffer {
  const excluded = [...invocation.excluded];
  // A map of protocol name → bin; protocol names are never integer-like, so key order is kept.
  const bytes = Object.fromEntries(invocation.bytes);
  // ASP.NET writes the 4-item form exactly when there is a return channel.
  const call = invocation.returnChannel !== undefined && invocation.returnChannel !== '';
  return pack(call ? [excluded, bytes, invocation.invocationId ?? null, invocation.returnChannel] : [excluded, bytes]);
}

/** Reads an invocation envelope; the `bytes` are views of `payload`, written to sockets as they are. */
export function decodeInvocation(payload: Buffer): AspNetInvocation {
  const items = unpackArray(payload, 2, 'Invocation');
  const excludedIds = items[0];
  if (!Array.isArray(excludedIds)) throw new RangeError(`Expected an array of excluded ids, found ${typeName(excludedIds)}.`);
  const excluded: string[] = [];
  for (const id of excludedIds) {
    const text = stringOrNil(id);
    if (text !== null) excluded.push(text);
  }
  const protocols = items[1];
  if (protocols === null || typeof protocols !== 'object' || Array.isArray(protocols) || protocols instanceof Uint8Array) {
    throw new RangeError(`Expected a map of protocols, found ${typeName(protocols)}.`);
  }
  const bytes = new Map<string, Buffer>();
  for (const [name, framed] of Object.entries(protocols)) bytes.set(name, bin(framed));
  if (items.length < 4) return { excluded, bytes };
  const invocationId = stringOrNil(items[2]);
  const returnChannel = stringOrNil(items[3]);
  // A client-result call needs both; ASP.NET tests the id only, and so does the owner here.
  if (invocationId === null || invocationId === '') return { excluded, bytes };
  return { excluded, bytes, invocationId, returnChannel: returnChannel ?? '' };
}

/** `[id, serverName, action, group, connectionId]`. */
export function encodeGroupCommand(command: AspNetGroupCommand): Buffer {
  return pack([uint(command.id), command.serverName, uint(command.action), command.group, command.connectionId]);
}

export function decodeGroupCommand(payload: Buffer): AspNetGroupCommand {
  const items = unpackArray(payload, 5, 'GroupCommand');
  const id = int32(items[0]);
  const serverName = required(stringOrNil(items[1]), 'server name');
  const action = int32(items[2]);
  const group = required(stringOrNil(items[3]), 'group name');
  const connectionId = required(stringOrNil(items[4]), 'connection id');
  return { id, serverName, action, group, connectionId };
}

/** `[id]`. */
export function encodeAck(id: number): Buffer {
  return pack([uint(id)]);
}

export function decodeAck(payload: Buffer): number {
  return int32(unpackArray(payload, 1, 'Ack')[0]);
}

/** `[protocolName, framedCompletion]`. */
export function encodeReturn(answer: AspNetReturn): Buffer {
  return pack([answer.protocolName, answer.completion]);
}

export function decodeReturn(payload: Buffer): AspNetReturn {
  const items = unpackArray(payload, 2, 'CompletionMessage');
  const protocolName = required(stringOrNil(items[0]), 'protocol name');
  return { protocolName, completion: bin(items[1]) };
}

function pack(items: readonly unknown[]): Buffer {
  const packed = packer.encode(items);
  return Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
}

/**
 * The first MessagePack value of `payload`, which must be an array of at least `minimum` items
 * (ASP.NET's text otherwise); what follows it is never looked at, as ASP.NET's reader does not.
 * Every failure is a RangeError.
 */
function unpackArray(payload: Buffer, minimum: number, what: string): unknown[] {
  let value: unknown;
  try {
    const first = decodeMulti(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)).next();
    if (first.done === true) throw new RangeError('Truncated MessagePack input.');
    value = first.value;
  } catch (error) {
    throw error instanceof RangeError ? error : new RangeError(`Not MessagePack: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) throw new RangeError(`Expected an array, found ${typeName(value)}.`);
  if (value.length < minimum) throw new RangeError(`Insufficient items in ${what} array.`);
  return value;
}

function uint(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new RangeError(`Not a MessagePack uint32: ${value}`);
  return value;
}

/** Any MessagePack int that fits an Int32 (MessagePack-CSharp's `ReadInt32`). */
function int32(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new RangeError(`Expected an int, found ${typeName(value)}.`);
  if (value < -(2 ** 31) || value > 2 ** 31 - 1) throw new RangeError(`The int ${value} does not fit an Int32.`);
  return value;
}

/** A str, or null for nil. */
function stringOrNil(value: unknown): string | null {
  if (value === null || typeof value === 'string') return value;
  throw new RangeError(`Expected a str, found ${typeName(value)}.`);
}

/** A bin as a view of the input (no copy), or an empty buffer for nil (as ASP.NET reads it). */
function bin(value: unknown): Buffer {
  if (value === null) return Buffer.alloc(0);
  if (!(value instanceof Uint8Array)) throw new RangeError(`Expected a bin, found ${typeName(value)}.`);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function typeName(value: unknown): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'a bin';
  return typeof value === 'object' ? 'a map' : `a ${typeof value}`;
}

function required(value: string | null, what: string): string {
  if (value === null) throw new RangeError(`The ${what} is nil.`);
  return value;
}
