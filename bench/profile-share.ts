/**
 * How much of a CPU profile's busy time ran under frames matching a pattern: the share of the
 * samples whose stack holds such a frame (inclusive time), by outermost matching frame. Reads
 * the `.cpuprofile` files `npm run bench -- --cpu-prof` writes (one per thread; the main
 * thread's is the busy one).
 *
 * ```
 * node --import tsx bench/profile-share.ts $TMPDIR/hubwire-bench-profiles/hubwire-metrics/CPU.*.0.001.cpuprofile 'observability/|prom-client|hub-meter'
 * ```
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, pattern] = process.argv.slice(2);
if (file === undefined || pattern === undefined) {
  process.stderr.write('usage: node --import tsx bench/profile-share.ts <file.cpuprofile> <frame pattern (regex over "function url")>\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const wanted = new RegExp(pattern);
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

const frame = (id: number): string => {
  const { functionName, url } = nodes.get(id)!.callFrame;
  return `${functionName || '(anonymous)'} ${url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(packages|apps|bench)\//, '$1/')}`;
};

/** The outermost frame of the sample's stack that matches, or undefined. */
const outermost = new Map<number, string | undefined>();
function outermostMatch(id: number): string | undefined {
  if (outermost.has(id)) return outermost.get(id);
  const parent = parents.get(id);
  const above = parent === undefined ? undefined : outermostMatch(parent);
  const found = above ?? (wanted.test(frame(id)) ? frame(id) : undefined);
  outermost.set(id, found);
  return found;
}

let busyUs = 0;
let matchedUs = 0;
const byFrame = new Map<string, number>();
profile.samples.forEach((id, index) => {
  if (nodes.get(id)!.callFrame.functionName === '(idle)') return;
  const us = profile.timeDeltas[index] ?? 0;
  busyUs += us;
  const match = outermostMatch(id);
  if (match === undefined) return;
  matchedUs += us;
  byFrame.set(match, (byFrame.get(match) ?? 0) + us);
});

const share = (us: number): string => `${((us / busyUs) * 100).toFixed(2).padStart(6)} %`;
process.stdout.write(`busy ${(busyUs / 1e6).toFixed(2)} s; under /${pattern}/: ${(matchedUs / 1e6).toFixed(3)} s = ${share(matchedUs).trim()}\n`);
for (const [name, us] of [...byFrame].sort((a, b) => b[1] - a[1]).slice(0, 20)) process.stdout.write(`${share(us)}  ${name}\n`);
