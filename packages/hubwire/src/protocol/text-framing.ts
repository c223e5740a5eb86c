/**
 * Text framing: every message is a UTF-8 document followed by the record separator 0x1E.
 * Used by the JSON hub protocol and by every handshake.
 * @module
 */
import { ProtocolError } from '../core/errors.js';

/** The ASCII record separator that ends every text-framed message. */
export const RECORD_SEPARATOR = '\u001e';
/** {@link RECORD_SEPARATOR} as a byte. */
export const RECORD_SEPARATOR_CODE = 0x1e;

/** The ASP.NET text for a message that does not fit in maximumReceiveMessageSize. */
export function messageTooLargeText(limit: number): string {
  return `The maximum message size of ${limit}B was exceeded. The message size can be configured in AddHubOptions.`;
}

/**
 * Finds the end (index of the separator) of the next framed message starting at `start`,
 * or -1 when the message is not complete yet. Enforces `maxMessageSize` on the framed length
 * (separator included), as ASP.NET does.
 */
export function findFrameEnd(input: Buffer, start: number, maxMessageSize: number | null): number {
  const end = input.indexOf(RECORD_SEPARATOR_CODE, start);
  if (maxMessageSize !== null) {
    const framedLength = end === -1 ? input.length - start : end - start + 1;
    if (end === -1 ? framedLength >= maxMessageSize : framedLength > maxMessageSize) {
      throw new ProtocolError(messageTooLargeText(maxMessageSize));
    }
  }
  return end;
}
