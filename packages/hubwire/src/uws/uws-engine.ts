/**
 * Serves a Hubwire server's hubs on a uWebSockets.js app: WebSockets through uWebSockets.js' own
 * (its framing, buffering and writes in C++), and every HTTP request (negotiate, Server-Sent
 * Events, long polling, sends, CORS) through the same handlers as on `node:http`.
 * @module
 */
import { STATUS_CODES } from 'node:http';
import type { Logger } from '../core/logger.js';
import type { HubRouter } from '../http/hub-router.js';
import { requestInfoOf } from '../http/request-info.js';
import { addressText, headersOf, nodeRequestPair, urlOf } from './uws-http.js';
import { UwsTransport, type UwsSession, type UwsSocketData } from './uws-transport.js';
import type { UwsApp, UwsHttpResponse, UwsServeOptions } from './uws-types.js';

/** uWebSockets.js' `DISABLED` compression: Hubwire's WebSocket compression is the `ws` engine's. */
const NO_COMPRESSION = 0;
/**
 * The hub layer bounds each connection's outbound bytes itself (its slow-client policies read
 * the socket's buffered amount); uWebSockets.js would otherwise drop messages past its limit.
 */
const UNBOUNDED_BACKPRESSURE = 2 ** 31 - 1;

/**
 * Every app served on, for as long as the process lives. uWebSockets.js frees an app whose
 * JavaScript object is garbage, open sockets and all, and the process then crashes on their next
 * event; an app can outlive the Hubwire server on it (kept-alive HTTP sockets), so neither may
 * be what holds it.
 */
const SERVED_APPS = new Set<UwsApp>();

function answerPlain(res: UwsHttpResponse, status: number, text: string | undefined, headers: Record<string, string> = {}): void {
  res.cork(() => {
    res.writeStatus(`${status} ${STATUS_CODES[status] ?? ''}`);
    for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
    if (text !== undefined) res.writeHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(text ?? '', true);
  });
}

/** The subprotocol ws would pick by default: the client's first. */
function firstProtocol(header: string | undefined): string {
  return header?.split(',')[0]?.trim() ?? '';
}

/**
 * Adds a catch-all WebSocket route and a catch-all HTTP route to `app`, answering for `router`'s
 * endpoints. uWebSockets.js prefers static routes to wildcards, so the app's own routes keep
 * working beside them; `fallback` answers what is for neither.
 */
export function serveOnUws(router: HubRouter, app: UwsApp, logger: Logger, options: UwsServeOptions = {}): void {
  SERVED_APPS.add(app);
  app.ws<UwsSocketData>('/*', {
    // One limit for every route here; each socket enforces its endpoint's own (UwsTransport) and
    // answers with 1009 as ws does. uWebSockets.js drops a socket past its own limit without a
    // close frame the client gets (its unread bytes reset the connection), so leave room above.
    maxPayloadLength: 2 * router.maximumWebSocketFrameSize,
    // The hub layer runs keep-alive and client timeouts, as over ws.
    idleTimeout: 0,
    sendPingsAutomatically: false,
    maxBackpressure: UNBOUNDED_BACKPRESSURE,
    compression: NO_COMPRESSION,
    upgrade: (res, req, context) => {
      // All of the request is read now: uWebSockets.js' request is gone after this returns.
      const url = urlOf(req);
      const headers = headersOf(req);
      const key = headers['sec-websocket-key'] as string | undefined;
      const protocol = firstProtocol(headers['sec-websocket-protocol'] as string | undefined);
      const info = requestInfoOf(headers, url, addressText(res.getRemoteAddressAsText()));
      let settled = false;
      res.onAborted(() => {
        settled = true;
      });
      const handled = router.handleForeignUpgrade(url, info, {
        refuse: (status, text, extra) => {
          if (settled) return;
          settled = true;
          answerPlain(res, status, text, extra);
        },
        accept: (opened, maximumMessageSize) => {
          if (settled) return;
          settled = true;
          const session: UwsSession = {
            transport: undefined,
            opened: (ws) =>
              opened({
                transport: (events) => (session.transport = new UwsTransport(ws, events, maximumMessageSize)),
                close: () => ws.end(1000),
              }),
          };
          const data: UwsSocketData = { session };
          res.cork(() => res.upgrade(data, key ?? '', protocol, '', context));
        },
      });
      if (!handled) {
        settled = true;
        answerPlain(res, 404, 'Not Found');
      }
    },
    open: (ws) => ws.getUserData().session.opened(ws),
    message: (ws, message, isBinary) => ws.getUserData().session.transport?.received(message, isBinary),
    close: (ws, code) => ws.getUserData().session.transport?.closed(code),
  });
  app.any('/*', (res, req) => {
    if (!router.matches(req.getUrl())) {
      if (options.fallback !== undefined) options.fallback(res, req);
      else answerPlain(res, 404, 'Not Found');
      return;
    }
    const pair = nodeRequestPair(res, req);
    try {
      if (router.handle(pair.req, pair.res)) return;
    } catch (error) {
      logger.error({ err: error }, 'request handler failed');
    }
    pair.res.destroy();
  });
}
