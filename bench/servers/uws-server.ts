/**
 * The native anchor: uWebSockets.js (the `@trufflesuite/uws-js-unofficial` republish, which
 * carries the prebuilt binaries) doing the natural fast thing. Echo sends each message back as it
 * came; broadcast is `app.publish` to one topic every socket subscribed to on open (uWS writes
 * the frame once and copies it to each subscriber in C++). Any plain GET answers a small JSON
 * body: the HTTP request of the connect scenario.
 *
 * Settings that would change what is measured: no idle timeout (the load generator's raw sockets
 * send no pings, and ws has none either), and a backpressure limit far above what a round
 * buffers, since uWS otherwise skips a slow receiver's messages where ws keeps them.
 */
import uws from '@trufflesuite/uws-js-unofficial';
import { packageVersion } from '../lib/versions.js';
import { runServerChild, type BenchServer } from './server-child.js';
import { listenUws, type UwsListening } from './uws-listen.js';

const TOPIC = 'all';
const INFO = JSON.stringify({ url: '/', protocol: 'websocket' });

function createUwsServer(): BenchServer {
  const app = uws.App();
  const sockets = new Set<uws.WebSocket<unknown>>();
  let listening: UwsListening | undefined;
  app.ws('/*', {
    idleTimeout: 0,
    maxBackpressure: 64 * 1024 * 1024,
    maxPayloadLength: 1024 * 1024,
    compression: uws.DISABLED,
    open: (socket) => {
      sockets.add(socket);
      socket.subscribe(TOPIC);
    },
    message: (socket, message, isBinary) => {
      socket.send(message, isBinary);
    },
    close: (socket) => {
      sockets.delete(socket);
    },
  });
  app.get('/*', (res) => {
    res.writeHeader('content-type', 'application/json').end(INFO);
  });

  return {
    library: `uWebSockets.js ${packageVersion('@trufflesuite/uws-js-unofficial')}`,
    listen: async () => {
      listening = await listenUws(app);
      return listening.port;
    },
    broadcast(payload) {
      app.publish(TOPIC, JSON.stringify(payload));
    },
    connectionCount: () => sockets.size,
    close: async () => {
      listening?.close();
      for (const socket of [...sockets]) socket.close();
      sockets.clear();
    },
  };
}

await runServerChild(createUwsServer);
