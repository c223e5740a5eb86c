/**
 * Starts a real Hubwire server on 127.0.0.1, port 0, and tears it down.
 * @module
 */
import { createHubServer, type HubServer, type HubServerOptions } from 'hubwire';

/** A running test server. */
export interface TestServer {
  readonly hubwire: HubServer;
  readonly port: number;
  /** `http://127.0.0.1:PORT` + path. */
  url(path: string): string;
  /** `ws://127.0.0.1:PORT` + path. */
  wsUrl(path: string): string;
  close(): Promise<void>;
}

/**
 * Creates a server, lets `setup` map hubs, and listens on a free port.
 *
 * @example
 * ```ts
 * const server = await startTestServer((hw) => hw.mapHub('/hub', EchoHub));
 * after(() => server.close());
 * ```
 */
export async function startTestServer(setup: (hubwire: HubServer) => void, options: HubServerOptions = {}): Promise<TestServer> {
  const hubwire = createHubServer({ shutdownTimeout: 1000, ...options });
  setup(hubwire);
  const { port } = await hubwire.listen({ port: 0, host: '127.0.0.1' });
  return {
    hubwire,
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    wsUrl: (path) => `ws://127.0.0.1:${port}${path}`,
    close: () => hubwire.close(),
  };
}
