/**
 * A {@link RestRouter} of the server app on its own `node:http` server on port 0, for the router's unit tests.
 * @module
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RestRouter, type RestRouterOptions } from '../../apps/server/src/rest/router.js';

/** A listening router. */
export interface RouterServer {
  readonly base: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Builds a router with `options`, lets `register` add its routes, and listens on 127.0.0.1.
 * @example
 * ```ts
 * const server = await listenRouter({ authenticate: () => undefined, maxBodyBytes: 1024, corsOrigins: [], logger }, (router) => router.add('GET', '/x', () => ({ status: 200 })));
 * await fetch(`${server.base}/x`);
 * await server.close();
 * ```
 */
export async function listenRouter(options: Omit<RestRouterOptions, 'server'>, register: (router: RestRouter) => void): Promise<RouterServer> {
  const server = createServer((req, res) => router.handle(req, res));
  const router = new RestRouter({ ...options, server });
  register(router);
  await router.ready();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await router.close();
    },
  };
}
