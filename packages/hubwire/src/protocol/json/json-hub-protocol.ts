/**
 * The `json` hub protocol: each message is a JSON object followed by 0x1E.
 * @module
 */
import { ProtocolError } from '../../core/errors.js';
import type { HubProtocol, ParseResult } from '../hub-protocol.js';
import { MessageType, type HubMessage } from '../messages.js';
import { RECORD_SEPARATOR, findFrameEnd } from '../text-framing.js';
import { decodeJsonText, readJsonMessage } from './json-reader.js';
import { jsonValue } from './json-values.js';

const PING = `{"type":6}${RECORD_SEPARATOR}`;

function headersPart(headers: Record<string, string> | undefined): string {
  return headers !== undefined && Object.keys(headers).length > 0 ? `,"headers":${JSON.stringify(headers)}` : '';
}

/** Serializes a protocol field (an id, a target, an error) as JSON; `undefined` becomes `null`. */
function json(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

function writeJson(message: HubMessage): string {
  switch (message.type) {
    case MessageType.Invocation: {
      const id = message.invocationId ? `,"invocationId":${json(message.invocationId)}` : '';
      return `{"type":1${id},"target":${json(message.target)},"arguments":${jsonValue(message.arguments)}${headersPart(message.headers)}}`;
    }
    case MessageType.StreamItem:
      return `{"type":2,"invocationId":${json(message.invocationId)},"item":${jsonValue(message.item)}${headersPart(message.headers)}}`;
    case MessageType.Completion: {
      let outcome = '';
      // An empty error string would read as success to the JS client; never send one.
      if (message.error !== undefined) outcome = `,"error":${json(message.error || 'Error')}`;
      else if (message.hasResult) outcome = `,"result":${jsonValue(message.result)}`;
      return `{"type":3,"invocationId":${json(message.invocationId)}${outcome}${headersPart(message.headers)}}`;
    }
    case MessageType.StreamInvocation:
      return `{"type":4,"invocationId":${json(message.invocationId)},"target":${json(message.target)},"arguments":${jsonValue(message.arguments)}}`;
    case MessageType.CancelInvocation:
      return `{"type":5,"invocationId":${json(message.invocationId)}}`;
    case MessageType.Ping:
      return '{"type":6}';
    case MessageType.Close: {
      const error = message.error ? `,"error":${json(message.error)}` : '';
      return `{"type":7${error}${message.allowReconnect ? ',"allowReconnect":true' : ''}}`;
    }
    case MessageType.Ack:
    case MessageType.Sequence:
      return `{"type":${message.type},"sequenceId":${message.sequenceId}}`;
  }
}

/**
 * The JSON hub protocol (name `json`, version 2, text transfer format).
 *
 * @example
 * ```ts
 * jsonHubProtocol.write({ type: 1, target: 'receive', arguments: ['hi'] });
 * // '{"type":1,"target":"receive","arguments":["hi"]}\u001e'
 * ```
 */
export const jsonHubProtocol: HubProtocol = {
  name: 'json',
  version: 2,
  transferFormat: 'Text',

  parse(input: Buffer, maxMessageSize: number | null, maxMessages = Number.POSITIVE_INFINITY): ParseResult {
    const messages: HubMessage[] = [];
    let offset = 0;
    let framed = 0;
    try {
      while (offset < input.length && framed < maxMessages) {
        const end = findFrameEnd(input, offset, maxMessageSize);
        if (end === -1) break;
        const text = decodeJsonText(input, offset, end);
        offset = end + 1;
        framed++;
        let doc: unknown;
        try {
          doc = JSON.parse(text);
        } catch {
          throw new ProtocolError('Error reading JSON.');
        }
        const message = readJsonMessage(doc);
        if (message !== undefined) messages.push(message);
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      return { messages, consumed: offset, error };
    }
    return offset < input.length && framed >= maxMessages ? { messages, consumed: offset, limited: true } : { messages, consumed: offset };
  },

  write(message: HubMessage): string {
    return message.type === MessageType.Ping ? PING : writeJson(message) + RECORD_SEPARATOR;
  },
};
