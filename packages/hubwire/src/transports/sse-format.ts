/**
 * Server-Sent Events framing, as ASP.NET's ServerSentEventsMessageFormatter writes it.
 * @module
 */

const DATA_PREFIX = Buffer.from('data: ', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');
const LF = 0x0a;
const CR = 0x0d;

/** The comment ASP.NET writes first: some browsers fire `open` only once data arrived. */
export const SSE_PREAMBLE = ':\r\n';

/**
 * One payload as one event: split on `\n` (a `\r` ending a line is dropped), each line as
 * `data: <line>\r\n`, then an empty `\r\n`. A trailing `\n` adds no empty line; an empty payload
 * is the bare `\r\n`. No `event:`, `id:` or `retry:` fields.
 */
export function formatSseEvent(payload: Buffer): Buffer {
  // JSON hub messages contain no raw newline: this is the path every message takes.
  if (payload.indexOf(LF) === -1) {
    return payload.length === 0 ? CRLF : Buffer.concat([DATA_PREFIX, payload, CRLF, CRLF]);
  }
  const parts: Buffer[] = [];
  let start = 0;
  while (start < payload.length) {
    const newline = payload.indexOf(LF, start);
    const end = newline === -1 ? payload.length : newline;
    const lineEnd = newline !== -1 && end > start && payload[end - 1] === CR ? end - 1 : end;
    parts.push(DATA_PREFIX, payload.subarray(start, lineEnd), CRLF);
    start = end + 1;
  }
  parts.push(CRLF);
  return Buffer.concat(parts);
}
