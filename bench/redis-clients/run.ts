/**
 * Which Redis client should the backplane (packages/hubwire/src/lifetime/redis) use? Measures
 * publish→deliver throughput and client CPU per message for ioredis and node-redis, the way the
 * backplane uses them: one publishing and one subscribed connection, Buffer payloads, a bounded
 * number of publishes in flight.
 *
 *   cd bench/redis-clients && npm install --no-package-lock && npm run bench -- [--quick]
 *
 * Each (library, payload) case runs in a fresh process, in several rounds with the library order
 * rotated; the table shows the median and the range over rounds. CPU is this process's
 * (user+system, both clients), not the Redis server's.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const quick = process.argv.includes('--quick');
const MESSAGES = quick ? 20_000 : 100_000;
const ROUNDS = quick ? 3 : 7;
const IN_FLIGHT = 256;
const SIZES = [200, 4096];
const LIBRARIES = ['ioredis', 'node-redis'] as const;
type Library = (typeof LIBRARIES)[number];

interface Contender {
  publish(channel: string, payload: Buffer): Promise<unknown>;
  subscribe(channel: string, onMessage: (payload: Buffer) => void): Promise<void>;
  close(): Promise<void>;
}

async function open(library: Library): Promise<Contender> {
  if (library === 'ioredis') {
    const { Redis } = await import('ioredis');
    const pub = new Redis(url, { enableOfflineQueue: false, lazyConnect: true });
    const sub = new Redis(url, { enableOfflineQueue: false, lazyConnect: true });
    await Promise.all([pub.connect(), sub.connect()]);
    return {
      publish: (channel, payload) => pub.publish(channel, payload),
      async subscribe(channel, onMessage) {
        sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => onMessage(message));
        await sub.subscribe(channel);
      },
      async close() {
        pub.disconnect();
        sub.disconnect();
      },
    };
  }
  const { createClient } = await import('redis');
  const pub = createClient({ url, disableOfflineQueue: true });
  const sub = createClient({ url, disableOfflineQueue: true });
  await Promise.all([pub.connect(), sub.connect()]);
  return {
    publish: (channel, payload) => pub.publish(channel, payload),
    subscribe: (channel, onMessage) => sub.subscribe(channel, (message) => onMessage(message), true),
    async close() {
      pub.destroy();
      sub.destroy();
    },
  };
}

/** One measurement in this process: publishes MESSAGES payloads and waits for all to arrive. */
async function measure(library: Library, size: number): Promise<{ perSecond: number; cpuMicros: number }> {
  const contender = await open(library);
  const channel = `bench:${randomUUID()}`;
  const payload = Buffer.alloc(size, 0x61);
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  let target = 0;
  await contender.subscribe(channel, (message) => {
    if (message.length !== size) throw new Error('wrong payload');
    if (++received === target) done();
  });
  const run = async (count: number) => {
    let sent = 0;
    const worker = async () => {
      while (sent < count) {
        sent++;
        await contender.publish(channel, payload);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  };
  // Warm-up, then the measured run.
  target = 5_000;
  await run(5_000);
  await all;
  received = 0;
  target = MESSAGES;
  const ended = new Promise<void>((resolve) => (done = resolve));
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await run(MESSAGES);
  await ended;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  await contender.close();
  return { perSecond: MESSAGES / seconds, cpuMicros: (used.user + used.system) / MESSAGES };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

if (process.argv[2] === '--child') {
  const result = await measure(process.argv[3] as Library, Number(process.argv[4]));
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const results = new Map<string, { perSecond: number[]; cpuMicros: number[] }>();
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? LIBRARIES : [...LIBRARIES].reverse();
  for (const size of SIZES) {
    for (const library of order) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', library, String(size)], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`${library} failed: ${child.stderr}`);
      const { perSecond, cpuMicros } = JSON.parse(child.stdout) as { perSecond: number; cpuMicros: number };
      const key = `${library}|${size}`;
      const entry = results.get(key) ?? { perSecond: [], cpuMicros: [] };
      entry.perSecond.push(perSecond);
      entry.cpuMicros.push(cpuMicros);
      results.set(key, entry);
    }
  }
  process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
}

const versions = {
  ioredis: (await import('ioredis/package.json', { with: { type: 'json' } })).default.version as string,
  'node-redis': (await import('@redis/client/package.json', { with: { type: 'json' } })).default.version as string,
};
console.log(`${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}, ${ROUNDS} rounds × ${MESSAGES} messages, ${IN_FLIGHT} publishes in flight, Redis at ${url}\n`);
console.log('| client | payload | deliveries/s (median, range) | client CPU µs/message (median, range) |');
console.log('| --- | ---: | ---: | ---: |');
for (const size of SIZES) {
  for (const library of LIBRARIES) {
    const entry = results.get(`${library}|${size}`)!;
    const rate = (values: number[]) => `${Math.round(median(values)).toLocaleString('en')} (${Math.round(Math.min(...values)).toLocaleString('en')}–${Math.round(Math.max(...values)).toLocaleString('en')})`;
    const cpu = (values: number[]) => `${median(values).toFixed(1)} (${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)})`;
    console.log(`| ${library} ${versions[library]} | ${size} B | ${rate(entry.perSecond)} | ${cpu(entry.cpuMicros)} |`);
  }
}
