/**
 * Micro-benchmark: what tracing costs a hub invocation, measured where it is paid — the
 * dispatcher, in-process, with a fake connection (no socket, no parsing), so the few nanoseconds
 * in question are not lost in the noise of a network round trip. Plain calls of a synchronous and
 * an asynchronous method (the direct path), with the default counters:
 * - no SDK registered (the default: one check per call, nothing else);
 * - an SDK registered (BasicTracerProvider, always-on sampler, a no-op span processor, the
 *   AsyncLocalStorage context manager): the price of a span per call;
 * - with `--before=DIR`, the same calls through another source tree's dispatcher (e.g. a
 *   `git archive` of the commit before tracing, with node_modules reachable from it), no SDK.
 * The candidates take turns in every round, so background load on a shared machine hits them
 * alike; each gets the median of its rounds and the spread (min–max) is printed too.
 *
 *   node --conditions=hubwire-source --import tsx bench/micro/tracing.ts [--before=DIR/packages/hubwire/src] [--sdk=off] [--rounds=21]
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';

const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]));
const ROUNDS = Number(args.get('rounds') ?? 21);
const BATCH = 20_000;

interface Invoker {
  invoke(target: unknown, message: unknown): Promise<void> | undefined;
}

/** A dispatcher over a two-method hub, built from the source tree at `src`. */
async function dispatcherFrom(src: string): Promise<Invoker> {
  const load = (path: string) => import(pathToFileURL(resolve(src, path)).href);
  const [{ HubDispatcher }, { buildMethodTable }, { Hub }, { createCounterMetrics }, { silentLogger }, { disabledPresence }] = await Promise.all([
    load('hubs/hub-dispatcher.ts'),
    load('hubs/method-table.ts'),
    load('hubs/hub.ts'),
    load('core/metrics.ts'),
    load('core/logger.ts'),
    load('lifetime/presence.ts'),
  ]);
  class EchoHub extends Hub {
    echo(text: string) {
      return text;
    }

    async later(text: string) {
      return text;
    }
  }
  const unused = () => Promise.reject(new Error('not used'));
  return new HubDispatcher({
    hubPath: '/echo',
    hubName: 'EchoHub',
    methods: buildMethodTable(EchoHub),
    createHub: () => new EchoHub(),
    hooks: { onConnected: false, onDisconnected: false },
    groups: { add: unused, remove: unused, recover: unused, publish: unused, position: unused },
    presence: disabledPresence('not used'),
    filters: [],
    methodAuthorization: new Map(),
    detailedErrors: false,
    logger: silentLogger,
    metrics: createCounterMetrics(),
    labels: Object.freeze({ hub: '/echo' }),
  });
}

let written = 0;
const aborted = new AbortController();
const target = {
  connectionId: 'c1',
  userIdentifier: undefined,
  context: { connectionId: 'c1', connectionAborted: aborted.signal },
  callerClients: {},
  connectingClients: {},
  callerClientsReleasing: () => ({}),
  activeStreams: new Map(),
  openUploads: () => [],
  closeUploads: () => undefined,
  whenWritable: () => undefined,
  write: () => void written++,
};
const echo = { type: 1, invocationId: '1', target: 'echo', arguments: ['hello'] };
const later = { type: 1, invocationId: '2', target: 'later', arguments: ['hello'] };

const sdk = new BasicTracerProvider({ spanProcessors: [new NoopSpanProcessor()] });
const contextManager = new AsyncLocalStorageContextManager();
function withSdk(on: boolean): void {
  trace.disable();
  context.disable();
  if (!on) return;
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(sdk);
}

interface Candidate {
  readonly name: string;
  readonly dispatcher: Invoker;
  readonly sdk: boolean;
}

const current = await dispatcherFrom(resolve(import.meta.dirname, '../../packages/hubwire/src'));
const candidates: Candidate[] = [{ name: 'no SDK', dispatcher: current, sdk: false }];
// The SDK's garbage is collected during whichever batch comes next: leave it out (--sdk=off) to compare the others alone.
if (args.get('sdk') !== 'off') candidates.push({ name: 'SDK, every call sampled', dispatcher: current, sdk: true });
const before = args.get('before');
if (before !== undefined) candidates.unshift({ name: `before (${before}), no SDK`, dispatcher: await dispatcherFrom(before), sdk: false });

async function batch(candidate: Candidate, message: unknown, sync: boolean): Promise<number> {
  withSdk(candidate.sdk);
  const started = performance.now();
  if (sync) {
    for (let i = 0; i < BATCH; i++) candidate.dispatcher.invoke(target, message);
  } else {
    for (let i = 0; i < BATCH; i++) await candidate.dispatcher.invoke(target, message);
  }
  return ((performance.now() - started) * 1e6) / BATCH;
}

function summary(samples: number[], digits = 0): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${sorted[Math.floor(sorted.length / 2)]!.toFixed(digits)} ns (${sorted[0]!.toFixed(digits)}–${sorted.at(-1)!.toFixed(digits)})`;
}

console.log(`node ${process.version}; ns per invocation, median (min–max) of ${ROUNDS} rounds of ${BATCH.toLocaleString('en')}, candidates interleaved\n`);
console.log(['call', ...candidates.map((candidate) => candidate.name)].join(' | '));
for (const [name, message, sync] of [
  ['echo (synchronous method)', echo, true],
  ['later (async method)', later, false],
] as const) {
  const samples = candidates.map(() => [] as number[]);
  for (const candidate of candidates) await batch(candidate, message, sync); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    // Rotated each round, so none always runs right after another (and its garbage).
    for (let turn = 0; turn < candidates.length; turn++) {
      const index = (round + turn) % candidates.length;
      samples[index]!.push(await batch(candidates[index]!, message, sync));
    }
  }
  console.log([name, ...samples.map((list) => summary(list))].join(' | '));
}

// The check alone, which is all an invocation pays without an SDK: too small to see above the
// dispatcher's noise, so timed over many calls against an empty loop.
withSdk(false);
const { HubTracer } = await import('../../packages/hubwire/src/core/tracing.js');
const tracer = new HubTracer('EchoHub', ['echo']);
const checks: number[] = [];
const empty: number[] = [];
let skipped = 0;
for (let round = 0; round < ROUNDS; round++) {
  let started = performance.now();
  for (let i = 0; i < 100 * BATCH; i++) if (tracer.invocation('echo', undefined) === undefined) skipped++;
  checks.push(((performance.now() - started) * 1e6) / (100 * BATCH));
  started = performance.now();
  for (let i = 0; i < 100 * BATCH; i++) skipped++;
  empty.push(((performance.now() - started) * 1e6) / (100 * BATCH));
}
console.log(`\nthe check without an SDK (HubTracer.invocation → undefined): ${summary(checks, 1)}; empty loop ${summary(empty, 1)}`);
if (written === 0 || skipped === 0) throw new Error('nothing was measured');
