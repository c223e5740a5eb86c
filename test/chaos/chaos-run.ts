/**
 * `npm run chaos`: the recovery chaos scenario (chaos-scenario.ts) at full size — 1,000 clients
 * over 3 nodes on the Redis at REDIS_URL (default redis://127.0.0.1:6379) — printing one summary
 * line per round and exiting non-zero if a round lost, duplicated or reordered a message, fell
 * back to a snapshot, or failed otherwise.
 *
 * Options: `--rounds N` (seeds seed, seed + 1, …; default 1), `--seed S`, `--clients N`,
 * `--docs` (writes the "Recovery under chaos" section of docs/benchmarks.md, leaving the rest of
 * the file as it is), `--json` (the figures of every round on stdout).
 *
 * @example
 * ```sh
 * npm run chaos -- --rounds 3 --docs
 * ```
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createClient } from '@redis/client';
import { spliceDocs } from '../../bench/lib/docs-file.js';
import { docsSection, summaryLine } from './chaos-report.js';
import { FULL_RUN, passed, runChaos, type ChaosFigures } from './chaos-scenario.js';

const DOCS = new URL('../../docs/benchmarks.md', import.meta.url);

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '1' },
    seed: { type: 'string', default: String(FULL_RUN.seed) },
    clients: { type: 'string', default: String(FULL_RUN.clients) },
    docs: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

async function redisVersion(url: string): Promise<string> {
  const redis = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
  await redis.connect();
  try {
    return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  } finally {
    redis.destroy();
  }
}

const rounds = Number(values.rounds);
const seed = Number(values.seed);
const runs: ChaosFigures[] = [];
for (let round = 0; round < rounds; round++) {
  const config = { ...FULL_RUN, seed: seed + round, clients: Number(values.clients), log: (line: string) => console.error(`[round ${round + 1}] ${line}`) };
  const figures = await runChaos(config);
  runs.push(figures);
  console.log(summaryLine(figures));
  for (const error of figures.errors.slice(0, 50)) console.log(`  ${error}`);
  if (figures.errors.length > 50) console.log(`  … and ${figures.errors.length - 50} more`);
}
if (values.json) console.log(JSON.stringify(runs, null, 2));
if (values.docs) {
  const section = docsSection(runs, { date: new Date().toISOString().slice(0, 10), redisVersion: await redisVersion(FULL_RUN.redisUrl) });
  await writeFile(DOCS, spliceDocs(await readFile(DOCS, 'utf8'), undefined, [section]));
  console.error('wrote the "Recovery under chaos" section of docs/benchmarks.md');
}
process.exit(runs.every(passed) ? 0 : 1);
