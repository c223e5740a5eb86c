/**
 * Micro-benchmark: the cost of writing binary values (Uint8Array/Buffer) as base64 in the JSON
 * hub protocol, on payloads without any. Compares JSON.stringify alone (the baseline, wrong for
 * binary), JSON.stringify with a replacer on every value, a pre-walk of the value that uses the
 * replacer only when it finds a binary value, and the protocol's way: stringify plainly, scan the
 * text for what JSON.stringify makes of binary values, and only then write it again.
 *
 *   node --conditions=hubwire-source --import tsx bench/micro/json-values.ts
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { jsonValue } from '../../packages/hubwire/src/protocol/json/json-values.js';

function replacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const original = ArrayBuffer.isView(value) ? value : (this as Record<string, unknown>)[key];
  if (ArrayBuffer.isView(original)) return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64');
  return value;
}

const event = {
  id: 'evt_01HZX3K9Q8M2',
  type: 'order.created',
  timestamp: '2026-12-01T09:30:00.000Z',
  data: {
    orderId: 'ord_4711',
    amount: 129.9,
    currency: 'EUR',
    items: [
      { sku: 'A-100', qty: 1, price: 99.9 },
      { sku: 'B-200', qty: 2, price: 15 },
      { sku: 'C-300', qty: 1, price: 0 },
    ],
    customer: { id: 'cus_42', name: 'Ada Lovelace', email: 'ada@example.com', vip: true },
  },
};

const payloads: Record<string, unknown> = {
  'chat message: ["alice", "…40 chars…"]': ['alice', 'hello everyone, this is a chat message.'],
  'bench broadcast: [{seq, sentAt, pad}] (~100 B)': [{ seq: 12345, sentAt: 1764581400000.123, pad: 'x'.repeat(48) }],
  'shop event: [{… 3 items, customer}] (~400 B)': [event],
  'shop event with an empty object: {…, meta: {}}': [{ ...event, meta: {} }],
  'query result: 100 rows (~6 KB)': [Array.from({ length: 100 }, (_, i) => ({ id: i, name: `row ${i}`, score: i * 1.5, active: i % 2 === 0, tags: ['a', 'b'] }))],
};

function needsReplacer(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth > 32 || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (needsReplacer(value[i], depth + 1)) return true;
    return false;
  }
  if (value instanceof Date) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  for (const key in value) if (needsReplacer((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

const candidates: Record<string, (value: unknown) => string> = {
  'JSON.stringify (baseline)': (value) => JSON.stringify(value),
  'JSON.stringify + replacer': (value) => JSON.stringify(value, replacer),
  'pre-walk, replacer if needed': (value) => (needsReplacer(value, 0) ? JSON.stringify(value, replacer) : JSON.stringify(value)),
  'scan the text, redo if needed (used)': (value) => jsonValue(value),
};

/**
 * Nanoseconds per call of each candidate on `value`: the candidates take turns in every round (so
 * background load on a shared machine hits them alike), and each gets the median of its rounds.
 */
function measure(value: unknown, rounds = 21, batch = 10_000): number[] {
  const fns = Object.values(candidates);
  const samples = fns.map(() => [] as number[]);
  let sink = 0;
  for (const fn of fns) for (let i = 0; i < batch; i++) sink += fn(value).length; // warm-up
  for (let round = 0; round < rounds; round++) {
    fns.forEach((fn, index) => {
      const started = performance.now();
      for (let i = 0; i < batch; i++) sink += fn(value).length;
      samples[index]!.push(((performance.now() - started) * 1e6) / batch);
    });
  }
  if (sink === 0) throw new Error('unreachable');
  return samples.map((list) => list.sort((a, b) => a - b)[Math.floor(rounds / 2)]!);
}

console.log(`node ${process.version}; ns per serialization (median of 21 rounds of 10,000, candidates interleaved)\n`);
console.log(['payload', ...Object.keys(candidates)].join(' | '));
for (const [name, payload] of Object.entries(payloads)) {
  const [baseline, ...others] = measure(payload);
  console.log([name, `${baseline!.toFixed(0)}`, ...others.map((ns) => `${ns.toFixed(0)} (${(ns / baseline!).toFixed(2)}x)`)].join(' | '));
}
