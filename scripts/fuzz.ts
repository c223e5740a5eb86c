/**
 * `npm run fuzz`: runs the parser properties of the test suite (test/fuzz/) for a time budget
 * instead of a bounded number of runs, mutating the seed inputs of fuzz/corpus/ among others.
 * Any input that fails a property, or on which a parser hangs, is written to fuzz/crashes/
 * (with a .json saying how to replay it) and the script exits 1.
 *
 *   npm run fuzz                              # 60 s, random master seed (printed)
 *   npm run fuzz -- --time 600 --seed 1234    # longer; a seed replays the same sequence
 *   npm run fuzz -- --only "msgpack:" --runs 1000
 *   npm run fuzz -- --only "<property name>" --seed <seed> --path <path>   # one counterexample
 *   npm run fuzz -- --replay fuzz/crashes/<file>.bin                         # a saved input
 *   npm run fuzz -- --properties my-properties.ts   # your own FuzzProperty[] (default export)
 *
 * The properties run in a worker thread; the main thread watches it and, when one case runs
 * longer than `--hang` seconds, saves that case's input and stops the worker.
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { jsonHubProtocol } from '../packages/hubwire/src/protocol/json/json-hub-protocol.js';
import { messagePackHubProtocol } from '../packages/hubwire/src/protocol/msgpack/msgpack-hub-protocol.js';
import { acceptHandshake } from '../packages/hubwire/src/hubs/handshake-acceptor.js';
import { HandshakeError, parseHandshakeRequest } from '../packages/hubwire/src/protocol/handshake.js';
import { assertSaneHandshake } from '../test/fuzz/handshake-properties.js';
import { assertSaneInput } from '../test/fuzz/protocol-properties.js';
import type { WorkerInput, WorkerMessage } from './fuzz-worker.js';

const SHARED_INPUT_BYTES = 1 << 20;

const { values } = parseArgs({
  options: {
    time: { type: 'string', default: '60' },
    seed: { type: 'string' },
    runs: { type: 'string', default: '200' },
    only: { type: 'string' },
    path: { type: 'string' },
    hang: { type: 'string', default: '10' },
    replay: { type: 'string' },
    properties: { type: 'string' },
    crashes: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    'npm run fuzz -- [--time SECONDS=60] [--seed N] [--runs N=200] [--only TEXT] [--path P] [--hang SECONDS=10]\n' +
      '                [--replay FILE] [--properties MODULE] [--crashes DIR=fuzz/crashes]',
  );
  process.exit(0);
}

function integer(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value)) {
    console.error(`--${name} must be an integer, got ${text}`);
    process.exit(2);
  }
  return value;
}

const crashes = values.crashes ?? relative(process.cwd(), fileURLToPath(new URL('../fuzz/crashes/', import.meta.url)));

/** Writes a case that failed or hung to the crashes directory and returns the path of its input file. */
function saveCrash(kind: 'failure' | 'hang', property: string, input: Uint8Array, details: Record<string, unknown>): string {
  mkdirSync(crashes, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:.]/gu, '').replace('T', '-').slice(0, 15);
  const file = join(crashes, `${kind}-${property.split(':')[0]!.replace(/[^\w-]/gu, '_')}-${stamp}.bin`);
  writeFileSync(file, input);
  const record = { kind, property, ...details, properties: values.properties, replay: `npm run fuzz -- --replay ${file}` };
  writeFileSync(file.replace(/\.bin$/u, '.json'), `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

/** `--replay FILE`: every parser reads the file; prints what each made of it; exit 1 if a check fails. */
function replay(file: string): never {
  const input = readFileSync(file);
  let failed = false;
  const run = (name: string, check: () => string) => {
    try {
      console.log(`ok    ${name}: ${check()}`);
    } catch (error) {
      failed = true;
      console.log(`FAIL  ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  };
  for (const [label, protocol] of [
    ['json', jsonHubProtocol],
    ['msgpack', messagePackHubProtocol],
  ] as const) {
    for (const maxSize of [null, 32_768, 64]) {
      run(`${label} parse (maxSize ${maxSize})`, () => {
        const result = assertSaneInput(protocol, input, maxSize);
        return `${result.messages.length} message(s), consumed ${result.consumed}/${input.length}${result.error ? `, ${result.error.message}` : ''}`;
      });
    }
  }
  run('handshake parse', () => {
    const parsed = assertSaneHandshake({ parse: parseHandshakeRequest, isHandshakeError: (e) => e instanceof HandshakeError, corpus: [] }, input);
    return parsed === undefined ? 'incomplete or refused' : JSON.stringify(parsed);
  });
  run('handshake acceptor', () => {
    const outcome = acceptHandshake(input, { protocols: [jsonHubProtocol, messagePackHubProtocol], maximumReceiveMessageSize: 32_768, enableDetailedErrors: true }, 'WebSockets');
    return JSON.stringify(outcome.kind === 'accepted' ? { ...outcome, protocol: outcome.protocol.name } : outcome);
  });
  process.exit(failed ? 1 : 0);
}

if (values.replay !== undefined) replay(values.replay);

const seconds = integer('time', values.time, 60);
const seed = integer('seed', values.seed, Math.floor(Math.random() * 2 ** 31));
const runs = integer('runs', values.runs, 200);
const hangSeconds = integer('hang', values.hang, 10);
if (values.path !== undefined && values.only === undefined) {
  console.error('--path replays one counterexample: name its property with --only');
  process.exit(2);
}

const shared = new SharedArrayBuffer(16 + SHARED_INPUT_BYTES);
const header = new Int32Array(shared, 0, 4);
const workerData: WorkerInput = { seed, deadline: Date.now() + seconds * 1000, runs, only: values.only, path: values.path, properties: values.properties, shared };
// A worker does not get the TypeScript loader `--import tsx` installed in this thread: its
// entry installs it, then imports the worker module.
const workerUrl = JSON.stringify(new URL('./fuzz-worker.ts', import.meta.url).href);
const entry = `import('tsx/esm/api').then(({ register }) => { register(); return import(${workerUrl}); });`;
const worker = new Worker(entry, { eval: true, workerData });
let names: readonly string[] = [];
let lastCount = -1;
let lastChange = Date.now();
let lastReport = Date.now();

if (values.path === undefined) {
  console.log(`fuzz: master seed ${seed}, ${seconds} s, ${runs} runs per property and round (same sequence: npm run fuzz -- --seed ${seed})`);
} else {
  console.log(`fuzz: replaying seed ${seed}, path ${values.path}`);
}

const watchdog = setInterval(() => {
  const count = Atomics.load(header, 0);
  if (count !== lastCount) {
    lastCount = count;
    lastChange = Date.now();
    return;
  }
  // Not before the worker's first message is handled: after a stall, timers run before messages.
  if (Date.now() - lastChange < hangSeconds * 1000 || names.length === 0) return;
  clearInterval(watchdog);
  const property = names[Atomics.load(header, 1)] ?? 'unknown';
  const length = Atomics.load(header, 2);
  const input = new Uint8Array(shared, 16, length).slice();
  const saved = saveCrash('hang', property, input, { seed, note: Atomics.load(header, 3) === 1 ? 'input truncated to 1 MiB' : undefined });
  console.error(`HANG  ${property}: one case ran over ${hangSeconds} s; its input is in ${saved}`);
  void worker.terminate().then(() => process.exit(1));
}, 1000);

worker.on('message', (message: WorkerMessage) => {
  switch (message.kind) {
    case 'start':
      names = message.names;
      console.log(`fuzz: ${names.length} properties${values.only === undefined ? '' : ` matching "${values.only}"`}`);
      if (names.length === 0) process.exit(2);
      return;
    case 'progress':
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        console.log(`fuzz: round ${message.round}, ${message.cases} cases`);
      }
      return;
    case 'failure': {
      clearInterval(watchdog);
      const saved = saveCrash('failure', message.property, message.input, { seed: message.seed, path: message.path, error: message.error });
      console.error(`FAIL  ${message.property}\n${message.error}\n`);
      console.error(`input saved in ${saved}`);
      const from = values.properties === undefined ? '' : ` --properties ${values.properties}`;
      console.error(`replay: npm run fuzz --${from} --only ${JSON.stringify(message.property)} --seed=${message.seed} --path ${JSON.stringify(message.path)}`);
      void worker.terminate().then(() => process.exit(1));
      return;
    }
    case 'done':
      clearInterval(watchdog);
      console.log(`fuzz: no failure in ${message.rounds} round(s), ${message.cases} cases`);
      for (const [name, count] of Object.entries(message.perProperty)) console.log(`  ${String(count).padStart(8)}  ${name}`);
      void worker.terminate().then(() => process.exit(0));
      return;
  }
});
worker.on('error', (error) => {
  clearInterval(watchdog);
  console.error('fuzz: the worker failed', error);
  process.exit(1);
});
