/**
 * The message layouts of ASP.NET Core's Redis backplane
 * (`Microsoft.AspNetCore.SignalR.StackExchangeRedis`), so a Hubwire node and a .NET server can
 * read each other's publications: MessagePack arrays whose required items come first. Readers
 * ignore items beyond those (as ASP.NET does) and refuse arrays with fewer, with ASP.NET's texts
 * ("Insufficient items in Invocation array."). Protocol reference, section 14.3.
 * @module
 */
import { PackReader, PackWriter } from './aspnet-msgpack.js';

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
  const writer = new PackWriter();
  // ASP.NET writes the 4-item form exactly when there is a return channel.
  const call = invocation.returnChannel !== undefined && invocation.returnChannel !== '';
  writer.arrayHeader(call ? 4 : 2);
  writer.arrayHeader(invocation.excluded.length);
  for (const id of invocation.excluded) writer.string(id);
  writer.mapHeader(invocation.bytes.size);
  for (const [name, bytes] of invocation.bytes) {
    writer.string(name);
    writer.bin(bytes);
  }
  if (call) {
    writer.string(invocation.invocationId ?? null);
    writer.string(invocation.returnChannel!);
  }
  return writer.finish();
}

/** Reads an invocation envelope; the `bytes` are views of `payload`, written to sockets as they are. */
export function decodeInvocation(payload: Buffer): AspNetInvocation {
  const reader = new PackReader(payload);
  const length = reader.arrayHeader(2, 'Invocation');
  const count = reader.arrayHeader(0, 'excluded ids');
  const excluded: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = reader.string();
    if (id !== null) excluded.push(id);
  }
  const protocols = reader.mapHeader();
  const bytes = new Map<string, Buffer>();
  for (let i = 0; i < protocols; i++) {
    const name = reader.string();
    const framed = reader.bin();
    if (name !== null) bytes.set(name, framed);
  }
  if (length < 4) return { excluded, bytes };
  const invocationId = reader.string();
  const returnChannel = reader.string();
  // A client-result call needs both; ASP.NET tests the id only, and so does the owner here.
  if (invocationId === null || invocationId === '') return { excluded, bytes };
  return { excluded, bytes, invocationId, returnChannel: returnChannel ?? '' };
}

/** `[id, serverName, action, group, connectionId]`. */
export function encodeGroupCommand(command: AspNetGroupCommand): Buffer {
  const writer = new PackWriter();
  writer.arrayHeader(5);
  writer.uint(command.id);
  writer.string(command.serverName);
  writer.uint(command.action);
  writer.string(command.group);
  writer.string(command.connectionId);
  return writer.finish();
}

export function decodeGroupCommand(payload: Buffer): AspNetGroupCommand {
  const reader = new PackReader(payload);
  reader.arrayHeader(5, 'GroupCommand');
  const id = reader.int32();
  const serverName = required(reader.string(), 'server name');
  const action = reader.int32();
  const group = required(reader.string(), 'group name');
  const connectionId = required(reader.string(), 'connection id');
  return { id, serverName, action, group, connectionId };
}

/** `[id]`. */
export function encodeAck(id: number): Buffer {
  const writer = new PackWriter();
  writer.arrayHeader(1);
  writer.uint(id);
  return writer.finish();
}

export function decodeAck(payload: Buffer): number {
  const reader = new PackReader(payload);
  reader.arrayHeader(1, 'Ack');
  return reader.int32();
}

/** `[protocolName, framedCompletion]`. */
export function encodeReturn(answer: AspNetReturn): Buffer {
  const writer = new PackWriter();
  writer.arrayHeader(2);
  writer.string(answer.protocolName);
  writer.bin(answer.completion);
  return writer.finish();
}

export function decodeReturn(payload: Buffer): AspNetReturn {
  const reader = new PackReader(payload);
  reader.arrayHeader(2, 'CompletionMessage');
  const protocolName = required(reader.string(), 'protocol name');
  return { protocolName, completion: reader.bin() };
}

function required(value: string | null, what: string): string {
  if (value === null) throw new RangeError(`The ${what} is nil.`);
  return value;
}
