/**
 * The server under abuse, in a process of its own so that its memory is measured apart from the
 * attackers'. It hosts one hub with the methods the scenarios attack, listens on port 0, and
 * answers the harness over IPC: its port, its memory after a full GC, its counters, and
 * broadcasts on demand. Options come as JSON in HUBWIRE_ABUSE_OPTIONS.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createCounterMetrics, createHubServer, Hub, type CounterMetrics, type HubServerOptions } from 'hubwire';

class AbuseHub extends Hub {
  echo(value: unknown) {
    return value;
  }
  async delay(ms: number) {
    await sleep(Math.min(Number(ms) || 0, 10_000));
    return ms;
  }
  async consume(items: AsyncIterable<unknown>, pauseMs: number) {
    let count = 0;
    for await (const _ of items) {
      count++;
      await sleep(Math.min(Number(pauseMs) || 0, 1000));
    }
    return count;
  }
  async ask() {
    return await this.clients.caller.invoke('answer');
  }
  async join(group: string) {
    await this.groups.add(this.context.connectionId, String(group));
  }
}

const options = JSON.parse(process.env['HUBWIRE_ABUSE_OPTIONS'] ?? '{}') as HubServerOptions;
const metrics: CounterMetrics = createCounterMetrics();
const hubwire = createHubServer({ ...options, metrics });
hubwire.mapHub('/hubs/abuse', AbuseHub);
const address = await hubwire.listen({ port: 0, host: '127.0.0.1' });

type Request = { id: number; type: 'memory' | 'stats' | 'stop' } | { id: number; type: 'broadcast'; count: number; bytes: number };

process.on('message', (request: Request) => {
  void answer(request).then((body) => process.send!({ id: request.id, body }));
});

async function answer(request: Request): Promise<unknown> {
  switch (request.type) {
    case 'memory': {
      // Two collections: the first may only queue finalizers.
      globalThis.gc?.();
      await sleep(10);
      globalThis.gc?.();
      const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
      return { heapUsed, rss, external, arrayBuffers };
    }
    case 'stats':
      return { connections: hubwire.connectionCount(), counters: metrics.totals() };
    case 'broadcast': {
      const payload = 'x'.repeat(request.bytes);
      const context = hubwire.hubContext(AbuseHub);
      for (let i = 0; i < request.count; i++) await context.clients.all.send('tick', i, payload);
      return { sent: request.count };
    }
    case 'stop':
      await hubwire.close();
      setImmediate(() => process.exit(0));
      return { stopped: true };
  }
}

process.send!({ id: 0, body: { port: address.port } });
