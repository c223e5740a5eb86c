import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSseEvent } from './sse-format.js';

const format = (payload: string): string => formatSseEvent(Buffer.from(payload, 'utf8')).toString('utf8');

test('a payload without newlines is one data line and a blank line', () => {
  assert.equal(format('{"type":6}\u001e'), 'data: {"type":6}\u001e\r\n\r\n');
});

test('lines are split on \\n, a \\r ending a line is dropped, a trailing \\n adds no line (ASP.NET)', () => {
  assert.equal(format('a\nb'), 'data: a\r\ndata: b\r\n\r\n');
  assert.equal(format('a\r\nb\r\n'), 'data: a\r\ndata: b\r\n\r\n');
  assert.equal(format('a\n\nb'), 'data: a\r\ndata: \r\ndata: b\r\n\r\n');
  assert.equal(format('\n'), 'data: \r\n\r\n');
  assert.equal(format('a\rb'), 'data: a\rb\r\n\r\n');
});

test('an empty payload is a bare blank line', () => {
  assert.equal(format(''), '\r\n');
});

test('bytes are passed through unchanged', () => {
  const payload = Buffer.from('é✓\u001e', 'utf8');
  assert.deepEqual(formatSseEvent(payload), Buffer.concat([Buffer.from('data: '), payload, Buffer.from('\r\n\r\n')]));
});
