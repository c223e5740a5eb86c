/**
 * Hubwire through its public API only: one hub at /bench whose `echo` returns its
 * argument, and broadcasts through the hub context (`clients.all`).
 */
import { createHubServer, Hub } from 'hubwire';
import { packageVersion } from '../lib/versions.js';
import { runServerChild, type BenchServer } from './server-child.js';

interface BenchClient {
  message(payload: unknown): void;
}

class BenchHub extends Hub<BenchClient> {
  echo(payload: unknown): unknown {
    return payload;
  }
}

const ignore = (): void => undefined;
const toStderr =
  (level: string) =>
  (fields: Record<string, unknown>, message: string): void => {
    process.stderr.write(`${level}: ${message} ${JSON.stringify(fields)}\n`);
  };

function createHubwireServer(): BenchServer {
  // Warnings and errors reach the orchestrator's stderr (capped there); nothing else is logged.
  const hubwire = createHubServer({
    logger: { debug: ignore, info: ignore, warn: toStderr('warn'), error: toStderr('error') },
  });
  hubwire.mapHub('/bench', BenchHub);
  const context = hubwire.hubContext(BenchHub);

  return {
    library: `hubwire ${packageVersion('hubwire')}`,
    async listen() {
      const address = await hubwire.listen({ port: 0, host: '127.0.0.1' });
      return address.port;
    },
    broadcast(payload) {
      return context.clients.all.send('message', payload);
    },
    connectionCount: () => null,
    close: () => hubwire.close(),
  };
}

await runServerChild(createHubwireServer);
