/**
 * Builds the server: Hubwire with the hubs mapped, and the plain HTTP routes beside it.
 * Kept apart from main.ts so tests start the same server on port 0.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHubServer, type HubServer, type Logger } from 'hubwire';
import type { ServerConfig } from './config.js';
import { ChatHub } from './hubs/chat-hub.js';

/** A running server. */
export interface App {
  readonly hubwire: HubServer;
  readonly http: Server;
  readonly address: AddressInfo;
  /** Graceful stop: clients get a Close with allowReconnect, then the port is released. */
  stop(): Promise<void>;
}

function routes(hubwire: HubServer) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', connections: hubwire.connectionCount() }));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Not Found');
  };
}

/** Starts the server described by `config`. */
export async function startApp(config: ServerConfig, logger: Logger): Promise<App> {
  const hubwire = createHubServer({ logger });
  hubwire.mapHub('/hubs/chat', ChatHub);
  const http = createServer(routes(hubwire));
  hubwire.attach(http);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
  return {
    hubwire,
    http,
    address: http.address() as AddressInfo,
    async stop() {
      await hubwire.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}
