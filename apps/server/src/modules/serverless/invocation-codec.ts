/**
 * The bodies of a serverless hub's `messages` requests, as Azure SignalR sends them: the
 * client's invocation message in the connection's own hub protocol (JSON text with its `\u001e`
 * terminator, or length-prefixed MessagePack), and what the upstream answers turned into the
 * invocation's outcome.
 * @module
 */
import { jsonHubProtocol, messagePackHubProtocol, MessageType, type HubProtocol, type InvocationMessage } from 'hubwire';

/** Largest upstream answer parsed as a hub message (bytes); the client's own limits apply after. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** The request body of one invocation and its content type. */
export interface EncodedInvocation {
  readonly body: Uint8Array;
  readonly contentType: string;
}

/** What an upstream answer means for the invocation. */
export type InvocationOutcome = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string };

/** The protocol a connection uses, by the name `context.protocol` gives (`json`, `messagepack`). */
export function protocolOf(name: string): HubProtocol {
  return name.toLowerCase() === messagePackHubProtocol.name.toLowerCase() ? messagePackHubProtocol : jsonHubProtocol;
}

/**
 * The invocation as the upstream receives it: JSON `{"type":1,"invocationId"?,"target","arguments"}`
 * + `\u001e` (`application/json`), or the framed MessagePack message (`application/x-msgpack`).
 *
 * @example
 * ```ts
 * encodeInvocation('json', { target: 'Broadcast', arguments: ['hi'], invocationId: '1' });
 * // body: '{"type":1,"invocationId":"1","target":"Broadcast","arguments":["hi"]}\u001e'
 * ```
 */
export function encodeInvocation(protocolName: string, call: { readonly target: string; readonly arguments: readonly unknown[]; readonly invocationId?: string | undefined }): EncodedInvocation {
  const protocol = protocolOf(protocolName);
  const message: InvocationMessage = {
    type: MessageType.Invocation,
    ...(call.invocationId === undefined || call.invocationId === '' ? {} : { invocationId: call.invocationId }),
    target: call.target,
    arguments: call.arguments,
  };
  const written = protocol.write(message);
  const body = typeof written === 'string' ? Buffer.from(written, 'utf8') : written;
  return { body, contentType: protocol === messagePackHubProtocol ? 'application/x-msgpack' : 'application/json' };
}

/**
 * What a 2xx answer means: a Completion message in the connection's protocol (what Azure
 * Functions answer) gives its result or error; otherwise a JSON body is the result as it is, a
 * text body the text, an empty body null. Anything else is an error naming the content type.
 *
 * @example
 * ```ts
 * decodeAnswer('json', Buffer.from('{"type":3,"invocationId":"1","result":42}\u001e'), 'application/json'); // { ok: true, result: 42 }
 * decodeAnswer('json', Buffer.from('{"sum":3}'), 'application/json');                                         // { ok: true, result: { sum: 3 } }
 * ```
 */
export function decodeAnswer(protocolName: string, body: Uint8Array, contentType: string | undefined): InvocationOutcome {
  if (body.length === 0) return { ok: true, result: null };
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.length);
  const completion = completionIn(protocolOf(protocolName), bytes);
  if (completion !== undefined) return completion;
  const type = (contentType ?? '').toLowerCase();
  const text = bytes.toString('utf8');
  try {
    return { ok: true, result: JSON.parse(text) as unknown };
  } catch {
    if (type.startsWith('text/')) return { ok: true, result: text };
  }
  return { ok: false, error: `The upstream's answer (${type === '' ? 'no content type' : type.split(';')[0]!}) is neither a Completion message nor JSON.` };
}

/** The Completion message the whole body holds, if it is one. */
function completionIn(protocol: HubProtocol, bytes: Buffer): InvocationOutcome | undefined {
  // A JSON Completion must carry its record separator; a plain JSON object without one is a result.
  if (protocol === jsonHubProtocol && bytes[bytes.length - 1] !== 0x1e) return undefined;
  const parsed = protocol.parse(bytes, MAX_ANSWER_BYTES);
  if (parsed.error !== undefined || parsed.consumed !== bytes.length) return undefined;
  const message = parsed.messages.find((candidate) => candidate.type === MessageType.Completion);
  if (message === undefined || message.type !== MessageType.Completion) return undefined;
  if (message.error !== undefined) return { ok: false, error: message.error };
  return { ok: true, result: message.hasResult ? message.result : null };
}
