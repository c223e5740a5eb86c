/**
 * The worker of `npm run fuzz` (see scripts/fuzz.ts): runs the parser properties round after
 * round until the time budget ends, each run with a seed derived from the master seed. Before
 * each case it copies the case's input bytes into shared memory, so the main thread can save the
 * input if the parser hangs; on a failure it reports the property, seed, path and input.
 * @module
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { jsonHubProtocol } from '../packages/hubwire/src/protocol/json/json-hub-protocol.js';
import { messagePackHubProtocol } from '../packages/hubwire/src/protocol/msgpack/msgpack-hub-protocol.js';
import { acceptHandshake } from '../packages/hubwire/src/hubs/handshake-acceptor.js';
import { HandshakeError, parseHandshakeRequest } from '../packages/hubwire/src/protocol/handshake.js';
import { loadCorpus } from '../test/fuzz/corpus.js';
import { toFastCheck, type FuzzProperty } from '../test/fuzz/fuzz-property.js';
import { handshakeAcceptorProperties, handshakeParserProperties } from '../test/fuzz/handshake-properties.js';
import { protocolProperties } from '../test/fuzz/protocol-properties.js';
import { jsonTarget, msgpackTarget } from '../test/fuzz/targets.js';

/** What the main thread passes in. */
export interface WorkerInput {
  readonly seed: number;
  readonly deadline: number;
  readonly runs: number;
  readonly only: string | undefined;
  /** Replay exactly one counterexample: `--only` must name one property. */
  readonly path: string | undefined;
  /** A module whose default export (an array of FuzzProperty) replaces the built-in properties. */
  readonly properties: string | undefined;
  /** [counter, property index, input length, truncated], then the input bytes. */
  readonly shared: SharedArrayBuffer;
}

/** Messages to the main thread. */
export type WorkerMessage =
  | { readonly kind: 'start'; readonly names: readonly string[] }
  | { readonly kind: 'progress'; readonly round: number; readonly cases: number }
  | { readonly kind: 'failure'; readonly property: string; readonly seed: number; readonly path: string; readonly error: string; readonly input: Uint8Array }
  | { readonly kind: 'done'; readonly rounds: number; readonly cases: number; readonly perProperty: Record<string, number> };

/** Every property `npm run fuzz` runs, against the real parsers. */
export function allProperties(): FuzzProperty<any>[] {
  return [
    ...protocolProperties(jsonTarget(jsonHubProtocol)),
    ...protocolProperties(msgpackTarget(messagePackHubProtocol)),
    ...handshakeParserProperties({ parse: parseHandshakeRequest, isHandshakeError: (e) => e instanceof HandshakeError, corpus: loadCorpus('handshake') }),
    ...handshakeAcceptorProperties({ accept: acceptHandshake }),
  ];
}

/** A seed for round `round` of property `index`: 31 bits (non-negative, so `--seed N` replays it), mixed by murmur3's finalizer. */
export function derivedSeed(master: number, round: number, index: number): number {
  let h = (master ^ Math.imul(round + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x7fffffff;
}

async function main(input: WorkerInput): Promise<void> {
  const port = parentPort!;
  const header = new Int32Array(input.shared, 0, 4);
  const data = new Uint8Array(input.shared, 16);
  // A replayed path belongs to one property: --only must then be its whole name.
  const matches = (name: string) => input.only === undefined || (input.path === undefined ? name.includes(input.only) : name === input.only);
  const all = input.properties === undefined ? allProperties() : ((await import(pathToFileURL(resolve(input.properties)).href)) as { default: FuzzProperty<any>[] }).default;
  const properties = all.filter((p) => matches(p.name));
  port.postMessage({ kind: 'start', names: properties.map((p) => p.name) } satisfies WorkerMessage);
  const perProperty: Record<string, number> = {};
  let cases = 0;
  let round = 0;
  const watched = properties.map((property, index) => ({
    ...property,
    check: (value: unknown) => {
      const bytes = property.input(value);
      const length = Math.min(bytes.length, data.length);
      data.set(bytes.subarray(0, length));
      Atomics.store(header, 1, index);
      Atomics.store(header, 2, length);
      Atomics.store(header, 3, length < bytes.length ? 1 : 0);
      Atomics.add(header, 0, 1);
      cases++;
      property.check(value);
    },
  }));
  do {
    for (const [index, property] of watched.entries()) {
      const seed = input.path === undefined ? derivedSeed(input.seed, round, index) : input.seed;
      const run = fc.check(toFastCheck(property), { seed, numRuns: input.runs, ...(input.path === undefined ? {} : { path: input.path }) });
      perProperty[property.name] = (perProperty[property.name] ?? 0) + run.numRuns;
      if (run.failed) {
        const counterexample = run.counterexample![0];
        port.postMessage({
          kind: 'failure',
          property: property.name,
          seed: run.seed,
          path: run.counterexamplePath ?? '',
          error: run.errorInstance instanceof Error ? (run.errorInstance.stack ?? run.errorInstance.message) : String(run.errorInstance),
          input: properties[index]!.input(counterexample),
        } satisfies WorkerMessage);
        return;
      }
      if (Date.now() >= input.deadline || input.path !== undefined) break;
    }
    round++;
    port.postMessage({ kind: 'progress', round, cases } satisfies WorkerMessage);
  } while (Date.now() < input.deadline && input.path === undefined);
  port.postMessage({ kind: 'done', rounds: round, cases, perProperty } satisfies WorkerMessage);
}

if (parentPort !== null && workerData !== null) await main(workerData as WorkerInput);
