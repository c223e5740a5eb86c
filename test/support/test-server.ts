/**
 * Starts a real Hubwire server on 127.0.0.1, port 0, and tears it down.
 * @module
 */
import type uwsModule from '@trufflesuite/uws-js-unofficial';
import { createHubServer, type HubServer, type HubServerOptions } from 'hubwire';

/**
 * What serves the hubs: `node` (`listen()`: node:http + ws) or `uws` (`attachUws` on a
 * uWebSockets.js app). `HUBWIRE_TEST_ENGINE=uws` runs every test that uses the default on uWS.
 */
export type TestEngine = 'node' | 'uws';

const DEFAULT_ENGINE: TestEngine = process.env['HUBWIRE_TEST_ENGINE'] === 'uws' ? 'uws' : 'node';

/** Listens on a uWebSockets.js app serving `hubwire`; resolves its port and how to stop listening. */
async function listenOnUws(hubwire: HubServer): Promise<{ port: number; stop(): void }> {
  // Loaded only when asked for: its binaries cover Node 18 and 20, and most tests run on node:http.
  const uws = (await import('@trufflesuite/uws-js-unofficial')).default as typeof uwsModule;
  const app = uws.App();
  hubwire.attachUws(app);
  const listening = await new Promise<uwsModule.us_listen_socket>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (socket) => (socket ? resolve(socket) : reject(new Error('uWS could not listen on 127.0.0.1')))),
  );
  let open = true;
  // A second us_listen_socket_close of one socket crashes the process; tests may close twice.
  const stop = (): void => {
    if (open) uws.us_listen_socket_close(listening);
    open = false;
  };
  return { port: uws.us_socket_local_port(listening), stop };
}

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
export async function startTestServer(setup: (hubwire: HubServer) => void, options: HubServerOptions = {}, engine: TestEngine = DEFAULT_ENGINE): Promise<TestServer> {
  const hubwire = createHubServer({ shutdownTimeout: 1000, ...options });
  setup(hubwire);
  const uwsListening = engine === 'uws' ? await listenOnUws(hubwire) : undefined;
  const port = uwsListening?.port ?? (await hubwire.listen({ port: 0, host: '127.0.0.1' })).port;
  return {
    hubwire,
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    wsUrl: (path) => `ws://127.0.0.1:${port}${path}`,
    close: async () => {
      await hubwire.close();
      uwsListening?.stop();
    },
  };
}
