/**
 * Which MessagePack library should the `messagepack` hub protocol use? Measures encode and decode
 * speed on SignalR-shaped messages and checks the behaviours interop depends on.
 *
 *   cd bench/msgpack-libs && npm install --no-package-lock && npm run bench -- [--quick]
 *
 * Inputs are the bytes the official client (@microsoft/signalr-protocol-msgpack 10, which uses
 * @msgpack/msgpack 2) really sends, and outputs are checked by that client's own parser. Each case
 * runs for a fixed time in a fresh process per library (after a warm-up), in several rounds with
 * the library order rotated; the table shows the median ops/s. Takes about a minute (`--quick`: about 15 s).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Decoder, Encoder } from '@msgpack/msgpack';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { MessageType, NullLogger, type HubMessage as ClientMessage } from '@microsoft/signalr';
import msgpack5 from 'msgpack5';
import { Packr, isNativeAccelerationEnabled } from 'msgpackr';
import notepack from 'notepack.io';
import { frame } from '../lib/varint-frame.js';

interface Codec {
  readonly name: string;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

// Each library configured as a SignalR server would use it (records off, undefined as nil).
const msgpackEncoder = new Encoder({ ignoreUndefined: true });
const msgpackDecoder = new Decoder();
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true, int64AsType: 'number', mapsAsObjects: true });
const mp5 = msgpack5();

const CODECS: readonly Codec[] = [
  { name: '@msgpack/msgpack', encode: (v) => msgpackEncoder.encode(v), decode: (b) => msgpackDecoder.decode(b) },
  { name: 'msgpackr', encode: (v) => packr.pack(v), decode: (b) => packr.unpack(b) },
  { name: 'notepack.io', encode: (v) => notepack.encode(v), decode: (b) => notepack.decode(Buffer.from(b.buffer, b.byteOffset, b.byteLength)) },
  { name: 'msgpack5', encode: (v) => mp5.encode(v).slice(), decode: (b) => mp5.decode(Buffer.from(b.buffer, b.byteOffset, b.byteLength)) },
];

const client = new MessagePackHubProtocol();

/** The body (VarInt prefix removed) of what the official client writes for `message`. */
function clientBody(message: ClientMessage): Buffer {
  const framed = new Uint8Array(client.writeMessage(message));
  let offset = 0;
  while ((framed[offset]! & 0x80) !== 0) offset++;
  return Buffer.from(framed.subarray(offset + 1));
}

// ---- cases -----------------------------------------------------------------------------------

const broadcast = [
  MessageType.Invocation,
  {},
  null,
  'receiveMessage',
  ['alice', 'Hello everyone, the build is green again.', { room: 'general', seq: 4711, sentAt: 1_700_000_000_123, tags: ['ci', 'news'] }],
  [],
];
const smallInvocation = clientBody({ type: MessageType.Invocation, invocationId: '7', target: 'SendMessage', arguments: ['general', 'Hello everyone!'], headers: {} } as ClientMessage);
const binaryInvocation = clientBody({
  type: MessageType.Invocation,
  invocationId: '8',
  target: 'UploadChunk',
  arguments: ['file-1', 3, new Uint8Array(1024).map((_, i) => i & 0xff)],
  headers: {},
} as ClientMessage);
const completion = clientBody({ type: MessageType.Completion, invocationId: 's1', result: { accepted: true, reason: 'ok', count: 3 }, headers: {} } as ClientMessage);

interface Case {
  readonly name: string;
  run(codec: Codec): unknown;
}

const CASES: readonly Case[] = [
  { name: 'encode broadcast Invocation (4 args)', run: (c) => c.encode(broadcast) },
  { name: `decode small Invocation (${smallInvocation.length} B)`, run: (c) => c.decode(smallInvocation) },
  { name: `decode Invocation with 1 KB bin (${binaryInvocation.length} B)`, run: (c) => c.decode(binaryInvocation) },
  { name: `decode Completion (${completion.length} B)`, run: (c) => c.decode(completion) },
];

// ---- timing (one child process per library and round, so no library pays for another's GC) ---

let sink: unknown;

/** Runs `fn` in batches for about `ms` and returns operations per second. */
function opsPerSecond(fn: () => unknown, ms: number): number {
  let ops = 0;
  let batch = 16;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) sink = fn();
    ops += batch;
    elapsed = performance.now() - start;
    if (elapsed < ms / 20) batch *= 2;
  }
  return (ops * 1000) / elapsed;
}

/** Child mode: measures every case for one library and prints `{case: ops/s}` as JSON. */
function measureChild(codecName: string, ms: number): void {
  const codec = CODECS.find((c) => c.name === codecName);
  if (codec === undefined) throw new Error(`unknown library ${codecName}`);
  const gc = (globalThis as { gc?: () => void }).gc;
  const result: Record<string, number> = {};
  for (const testCase of CASES) {
    opsPerSecond(() => testCase.run(codec), Math.max(ms, 300)); // warm-up: let the JIT settle
    gc?.();
    result[testCase.name] = opsPerSecond(() => testCase.run(codec), ms);
  }
  process.stdout.write(JSON.stringify(result));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs `rounds` rounds of one child per library (order rotated each round); medians per case. */
function bench(rounds: number, ms: number): Map<string, Map<string, number>> {
  const samples = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < CODECS.length; i++) {
      const codec = CODECS[(i + round) % CODECS.length]!;
      const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url), `--child=${codec.name}`, `--ms=${ms}`], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (child.status !== 0) throw new Error(`${codec.name} child failed: ${child.stderr || child.error?.message}`);
      for (const [caseName, ops] of Object.entries(JSON.parse(child.stdout) as Record<string, number>)) {
        const key = `${caseName}\u0000${codec.name}`;
        samples.set(key, [...(samples.get(key) ?? []), ops]);
      }
    }
  }
  return new Map(CASES.map((c) => [c.name, new Map(CODECS.map((codec) => [codec.name, median(samples.get(`${c.name}\u0000${codec.name}`) ?? [0])]))]));
}

// ---- correctness -----------------------------------------------------------------------------

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytes = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** The client messages of signalr-protocol.md §7.4, without their VarInt prefix. */
const REFERENCE_CLIENT_BODIES: [string, unknown][] = [
  ['95 01 80 a1 30 a3 41 64 64 92 28 02', [1, {}, '0', 'Add', [40, 2]]],
  ['95 01 80 c0 a4 53 65 6e 64 91 a1 78', [1, {}, null, 'Send', ['x']]],
  ['96 01 80 a1 32 a2 55 70 90 91 a1 31', [1, {}, '2', 'Up', [], ['1']]],
  ['95 04 80 a1 33 a7 43 6f 75 6e 74 65 72 91 05', [4, {}, '3', 'Counter', [5]]],
  ['94 02 80 a1 31 07', [2, {}, '1', 7]],
  ['94 03 80 a1 31 02', [3, {}, '1', 2]],
  ['95 03 80 a1 31 01 a4 62 6f 6f 6d', [3, {}, '1', 1, 'boom']],
  ['95 03 80 a2 73 31 03 c0', [3, {}, 's1', 3, null]],
  ['93 05 80 a1 33', [5, {}, '3']],
  ['91 06', [6]],
  ['92 07 c0', [7, null]],
  ['92 08 24', [8, 36]],
  ['92 09 13', [9, 19]],
];

function attempt(fn: () => string): string {
  try {
    return fn();
  } catch (error) {
    return `throws (${(error instanceof Error ? error.message : String(error)).slice(0, 60)})`;
  }
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

const CHECKS: [string, (codec: Codec) => string][] = [
  [
    'decodes the client bytes of §7.4',
    (c) => (REFERENCE_CLIENT_BODIES.every(([h, expected]) => sameJson(c.decode(bytes(h)), expected)) ? 'yes' : 'NO'),
  ],
  [
    'our broadcast, parsed by the official client',
    (c) => {
      const parsed = client.parseMessages(frame(c.encode(broadcast)).buffer as ArrayBuffer, NullLogger.instance)[0] as { arguments: unknown[] } | undefined;
      return sameJson(parsed?.arguments, broadcast[4]) ? 'identical' : `differs: ${JSON.stringify(parsed)}`;
    },
  ],
  ['Uint8Array →', (c) => hex(c.encode(new Uint8Array([1, 2]))).startsWith('c402') ? 'bin 8' : hex(c.encode(new Uint8Array([1, 2])))],
  ['bin 8 → ', (c) => attempt(() => (c.decode(bytes('c4 02 01 02')) as object).constructor.name)],
  ['2^40 →', (c) => attempt(() => ({ cf: 'uint 64', d3: 'int 64', cb: 'FLOAT 64' })[hex(c.encode(2 ** 40)).slice(0, 2)] ?? hex(c.encode(2 ** 40)))],
  ['uint 64 2^63 →', (c) => attempt(() => `${typeof c.decode(bytes('cf 80 00 00 00 00 00 00 00'))}`)],
  ['int 64 −1 →', (c) => attempt(() => String(c.decode(bytes('d3 ff ff ff ff ff ff ff ff'))))],
  ['BigInt 10n →', (c) => attempt(() => hex(c.encode(10n)))],
  ['Date →', (c) => attempt(() => (hex(c.encode(new Date(1_700_000_000_123))).startsWith('d7ff') ? 'timestamp 64 (ext −1)' : hex(c.encode(new Date(0)))))],
  ['client Date (ext −1) →', (c) => attempt(() => (c.decode(bytes('d7 ff 1d 53 53 00 65 53 f1 00')) as Date).toISOString())],
  ['undefined →', (c) => attempt(() => hex(c.encode(undefined)))],
  ['{a: undefined} →', (c) => attempt(() => hex(c.encode({ a: undefined })))],
  ['{a: 1} →', (c) => attempt(() => hex(c.encode({ a: 1 })))],
  ['map {1: "a"} →', (c) => attempt(() => JSON.stringify(c.decode(bytes('81 01 a1 61'))))],
  ['map {[]: "a"} →', (c) => attempt(() => JSON.stringify(c.decode(bytes('81 90 a1 61'))))],
  ['new Map([[1, "a"]]) →', (c) => attempt(() => hex(c.encode(new Map([[1, 'a']]))))],
  ['unknown ext 5 →', (c) => attempt(() => `${(c.decode(bytes('d4 05 01')) as object).constructor.name}`)],
];

// ---- report ----------------------------------------------------------------------------------

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

const argument = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const childOf = argument('child');
if (childOf !== undefined) {
  measureChild(childOf, Number(argument('ms') ?? 300));
  process.exit(0);
}

const quick = process.argv.includes('--quick');
const cpus = os.cpus();
console.log(`machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
console.log(`msgpackr native string extraction: ${isNativeAccelerationEnabled ? 'on' : 'off'}\n`);

const results = bench(quick ? 1 : 5, quick ? 150 : 300);
const names = CODECS.map((c) => c.name);
console.log(`ops/s, median of ${quick ? 1 : 5} round(s), one process per library and round (higher is better)\n`);
console.log(
  table(
    ['case', ...names],
    [...results].map(([name, perCodec]) => [name, ...names.map((n) => Math.round(perCodec.get(n)!).toLocaleString('en-US'))]),
  ),
);
console.log('\nbehaviour\n');
console.log(table(['check', ...names], CHECKS.map(([name, check]) => [name, ...CODECS.map((c) => attempt(() => check(c)))])));
void sink;
