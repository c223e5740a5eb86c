/**
 * Azure SignalR's client endpoint on Hubwire: clients that Azure's SDKs (or an app's negotiate
 * built on `serviceNegotiation`) point at `{endpoint}/client/?hub={name}` reach the hub named
 * `{name}` — any mapped hub, by the last segment of its path, case-insensitive, as the data
 * plane names hubs. The official client derives every request from that URL:
 * `/client/negotiate?hub=…&negotiateVersion=1`, then `/client/?hub=…&id=…` for the WebSocket,
 * the event stream or the polls. Each is rewritten to the hub's own path, query kept, before
 * Hubwire sees it.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { hubNameOf } from '../data-plane/hub-names.js';

/** What {@link routeClientEndpoint} did with a request. */
export type ClientRoute = 'not-client' | 'rewritten' | 'not-found';

/**
 * Rewrites `req.url` from Azure's client endpoint to the hub's path (`/client/?hub=chat&id=x` →
 * `/hubs/chat?hub=chat&id=x`, `/client/negotiate?hub=chat` → `/hubs/chat/negotiate?hub=chat`).
 * Other requests are left alone (`not-client`); a `/client/` request without a mapped hub of
 * that name is `not-found` (the caller answers 404).
 *
 * @example
 * ```ts
 * if (routeClientEndpoint(req, hubwire.hubPaths) === 'not-found') return notFound(res);
 * if (hubwire.handle(req, res)) return;
 * ```
 */
export function routeClientEndpoint(req: IncomingMessage, hubPaths: readonly string[]): ClientRoute {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = (queryAt === -1 ? url : url.slice(0, queryAt)).toLowerCase();
  const suffix = path === '/client' || path === '/client/' ? '' : path === '/client/negotiate' || path === '/client/negotiate/' ? '/negotiate' : undefined;
  if (suffix === undefined) return 'not-client';
  const query = queryAt === -1 ? '' : url.slice(queryAt);
  const hub = hubParameter(new URLSearchParams(query));
  const hubPath = hub === undefined ? undefined : hubPaths.find((candidate) => hubNameOf(candidate) === hub);
  if (hubPath === undefined) return 'not-found';
  req.url = `${hubPath.replace(/\/+$/, '')}${suffix}${query}`;
  return 'rewritten';
}

/** The `hub` query parameter, lower-cased (the name is case-insensitive, the parameter's too). */
function hubParameter(query: URLSearchParams): string | undefined {
  for (const [name, value] of query) if (name.toLowerCase() === 'hub' && value !== '') return value.toLowerCase();
  return undefined;
}
