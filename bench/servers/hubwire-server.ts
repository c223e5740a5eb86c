/**
 * Hubwire through its public API only: one hub at /bench whose `echo` returns its
 * argument, and broadcasts through the hub context (`clients.all`).
 *
 * With `BENCH_METRICS=prometheus` (the `hubwire+metrics` server) it plugs in the server app's
 * metrics the way the app does (apps/server/src/observability): `new MetricCells(allSpecs())` as
 * Hubwire's `metrics`, `exposeToPrometheus` into a registry, Node's process metrics beside it,
 * and a scrape of both every `BENCH_METRICS_SCRAPE_MS` (default 15 s, Prometheus' usual interval;
 * 0: none). `BENCH_METRICS_PROCESS=0` leaves Node's process metrics out.
 *
 * With `BENCH_MSGPACK=1` the hub speaks the MessagePack hub protocol too (its clients do).
 *
 * With `BENCH_REDIS_URL` and `BENCH_REDIS_PREFIX` set (the redis-broadcast scenario), the hub
 * runs on the Redis backplane, `redisLifetimeManager()`, and listens only once it is
 * subscribed, so a broadcast from another node reaches this node's connections from the start.
 */
import uws from '@trufflesuite/uws-js-unofficial';
import { createHubServer, Hub, type HubServer, jsonHubProtocol, messagePackHubProtocol, redisLifetimeManager, type Metrics, type RedisLifetimeManagerFactory } from 'hubwire';
import { withTimeout } from '../lib/clock.js';
import { packageVersion } from '../lib/versions.js';
import { runServerChild, type BenchServer } from './server-child.js';
import { listenUws, type UwsListening } from './uws-listen.js';

interface BenchClient {
  message(payload: unknown): void;
}

class BenchHub extends Hub<BenchClient> {
  echo(payload: unknown): unknown {
    return payload;
  }

  /** The soak's clients each join one group; its traffic goes to groups. */
  join(group: string): Promise<void> {
    return this.groups.add(this.context.connectionId, group);
  }
}

const ignore = (): void => undefined;
const toStderr =
  (level: string) =>
  (fields: Record<string, unknown>, message: string): void => {
    process.stderr.write(`${level}: ${message} ${JSON.stringify(fields)}\n`);
  };

function backplaneFromEnv(): RedisLifetimeManagerFactory | undefined {
  const url = process.env.BENCH_REDIS_URL;
  const prefix = process.env.BENCH_REDIS_PREFIX;
  if (url === undefined && prefix === undefined) return undefined;
  if (!url || !prefix) throw new Error('BENCH_REDIS_URL and BENCH_REDIS_PREFIX go together');
  return redisLifetimeManager({ url, prefix });
}

/** The app's metrics, or nothing: imported only when asked for, so plain Hubwire loads none of it. */
async function metricsFromEnv(): Promise<{ metrics: Metrics; library: string; stop(): void } | undefined> {
  const mode = process.env.BENCH_METRICS;
  if (mode === undefined || mode === '') return undefined;
  if (mode !== 'prometheus') throw new Error(`BENCH_METRICS: expected 'prometheus', got '${mode}'`);
  // The app's build beside the library's (see libraryConditions in lib/children.ts), its source with BENCH_LIBRARY=source.
  const app = process.env['BENCH_LIBRARY'] === 'source' ? '../../apps/server/src' : '../../apps/server/dist';
  const [{ MetricCells }, { allSpecs }, { exposeToPrometheus, processMetricsRegistry, prometheusText, Registry }, { pino }] = await Promise.all([
    import(`${app}/observability/cells.js`) as Promise<typeof import('../../apps/server/src/observability/cells.js')>,
    import(`${app}/observability/specs.js`) as Promise<typeof import('../../apps/server/src/observability/specs.js')>,
    import(`${app}/observability/prometheus.js`) as Promise<typeof import('../../apps/server/src/observability/prometheus.js')>,
    import('pino'),
  ]);
  const cells = new MetricCells(allSpecs());
  const registry = new Registry();
  exposeToPrometheus(cells, registry, pino({ level: 'warn' }, pino.destination(2)));
  // BENCH_METRICS_PROCESS=0 leaves Node's process metrics out (to tell their cost from the rest).
  const registries = process.env.BENCH_METRICS_PROCESS === '0' ? [registry] : [registry, processMetricsRegistry()];
  const scrapeMs = Number(process.env.BENCH_METRICS_SCRAPE_MS ?? 15_000);
  const scrape = (): void => {
    prometheusText(registries).catch((error: unknown) => process.stderr.write(`error: scrape failed ${String(error)}\n`));
  };
  const timer = scrapeMs > 0 ? setInterval(scrape, scrapeMs) : undefined;
  timer?.unref();
  return {
    metrics: cells,
    library: ` + app metrics (prom-client ${packageVersion('prom-client')}, scraped every ${scrapeMs / 1000} s)`,
    stop: () => clearInterval(timer),
  };
}

let uwsListening: UwsListening | undefined;

/** Serves `hubwire` on a uWebSockets.js app of its own on 127.0.0.1, a free port. */
async function listenOnUws(hubwire: HubServer): Promise<number> {
  const app = uws.App();
  hubwire.attachUws(app);
  uwsListening = await listenUws(app);
  return uwsListening.port;
}

async function createHubwireServer(): Promise<BenchServer> {
  const backplane = backplaneFromEnv();
  const measured = await metricsFromEnv();
  // Warnings and errors reach the orchestrator's stderr (capped there); nothing else is logged.
  const hubwire = createHubServer({
    logger: { debug: ignore, info: ignore, warn: toStderr('warn'), error: toStderr('error') },
    ...(backplane ? { lifetimeManager: backplane } : {}),
    ...(measured ? { metrics: measured.metrics } : {}),
  });
  // BENCH_MSGPACK=1 (the `hubwire+msgpack` server): the hub speaks MessagePack beside JSON.
  const msgpack = process.env.BENCH_MSGPACK === '1';
  // BENCH_ENGINE=uws (the `hubwire+uws` server): served on a uWebSockets.js app, not node:http + ws.
  const engine = process.env.BENCH_ENGINE ?? 'node';
  if (engine !== 'node' && engine !== 'uws') throw new Error(`BENCH_ENGINE: expected 'node' or 'uws', got '${engine}'`);
  hubwire.mapHub('/bench', BenchHub, msgpack ? { protocols: [jsonHubProtocol, messagePackHubProtocol] } : {});
  const context = hubwire.hubContext(BenchHub);
  if (backplane) {
    try {
      await withTimeout(backplane.ready(), 10_000, `Redis backplane ready (${process.env.BENCH_REDIS_URL})`);
    } catch (error) {
      await hubwire.close().catch(() => undefined);
      throw error;
    }
  }

  return {
    library: `hubwire ${packageVersion('hubwire')}${engine === 'uws' ? ` on uWebSockets.js ${packageVersion('@trufflesuite/uws-js-unofficial')}` : ''}${msgpack ? ' (JSON and MessagePack)' : ''}${backplane ? ` on redisLifetimeManager() (@redis/client ${packageVersion('@redis/client')})` : ''}${measured?.library ?? ''}`,
    async listen() {
      if (engine === 'uws') return listenOnUws(hubwire);
      const address = await hubwire.listen({ port: 0, host: '127.0.0.1' });
      return address.port;
    },
    broadcast(payload) {
      return context.clients.all.send('message', payload);
    },
    sendToGroup(group, payload) {
      return context.clients.group(group).send('message', payload);
    },
    // Only the backplane tells how many connections this node holds.
    connectionCount: () => (backplane ? backplane.managers.reduce((n, manager) => n + manager.localConnectionCount, 0) : null),
    close: async () => {
      measured?.stop();
      await hubwire.close();
      uwsListening?.close();
    },
  };
}

await runServerChild(createHubwireServer);
