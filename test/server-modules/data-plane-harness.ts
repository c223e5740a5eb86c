/**
 * A Hubwire node with the data plane installed, for the data-plane tests: a HubServer on
 * 127.0.0.1 port 0 with the data plane's hub filter, a `/hubs/chat` hub whose users come from
 * the `user` query parameter, optionally on Redis (the backplane and the data plane's cluster
 * services under one prefix, as the app wires them), official clients, and `call` to run an
 * operation through `DataPlane.run` with a request URL on this node.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { createClient } from '@redis/client';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { createHubServer, Hub, redisLifetimeManager, type HubProtocol, type HubServer } from 'hubwire';
import { openCluster, type ClusterContext } from '../../apps/server/src/cluster/cluster-context.js';
import { createDataPlane, sendToConnection, type DataPlane, type DataPlaneResult, type HubTarget } from '../../apps/server/src/modules/data-plane/index.js';
import type { ApiVersion } from '../../apps/server/src/modules/data-plane/api-version.js';
import { stopAll } from '../support/e2e.js';
import { clientFor, signalR } from '../support/signalr-client.js';
import { until, within } from '../support/wait.js';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
/** The access keys every test node trusts: a primary and a secondary (rotation). */
export const KEY = 'test-primary-access-key-0123456789abcdef';
export const SECOND_KEY = 'test-secondary-access-key-0123456789abcdef';

/** The hub under test: clients call `Echo`; everything else is the data plane's doing. */
export class ChatHub extends Hub {
  echo(text: string): string {
    return text;
  }
}

/** One node under test. */
export interface DataPlaneNode {
  readonly hubwire: HubServer;
  readonly dataPlane: DataPlane;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  readonly nodeId: string | undefined;
  /**
   * Starts an official client on /hubs/chat as `user` (anonymous without), once the server has
   * finished connecting it; stopped by `stop()`.
   */
  connect(user?: string, configure?: (builder: signalR.HubConnectionBuilder) => signalR.HubConnectionBuilder): Promise<signalR.HubConnection>;
  /**
   * Runs `operation` on hub `hub` (default `chat`) through `DataPlane.run`, with the request URL
   * `base + path` (its `api-version` added unless `path` has one) and `Authorization: Bearer <key>`
   * unless `authorization` says otherwise.
   */
  call(path: string, operation: (hub: HubTarget) => Promise<DataPlaneResult>, options?: { authorization?: string | null; hub?: string; since?: ApiVersion }): Promise<DataPlaneResult>;
  stop(): Promise<void>;
}

/** What a node is built with. */
export interface NodeOptions {
  /** Redis prefix of the cluster the node joins; none: the node runs alone, in memory. */
  readonly prefix?: string;
  readonly accessKeys?: readonly string[];
  readonly now?: () => number;
  readonly invokeTimeoutMs?: number;
  /** The hub protocols the server speaks (default: JSON). */
  readonly protocols?: readonly HubProtocol[];
}

/** Starts a node; stop it with `stop()`. */
export async function startNode(options: NodeOptions = {}): Promise<DataPlaneNode> {
  const logger = pino({ level: 'silent' });
  const cluster = options.prefix === undefined ? undefined : openCluster({ url: REDIS_URL, prefix: options.prefix, logger });
  if (cluster !== undefined) await within(new Promise<void>((resolve) => (cluster.redis.isReady ? resolve() : cluster.redis.once('ready', () => resolve()))), 5000, 'Redis ready');
  const backplane = cluster === undefined ? undefined : redisLifetimeManager({ client: cluster.redis, prefix: cluster.prefix, nodeId: cluster.nodeId });
  const dataPlane = createDataPlane({
    accessKeys: options.accessKeys ?? [KEY, SECOND_KEY],
    ...(cluster === undefined ? {} : { cluster }),
    logger,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.invokeTimeoutMs === undefined ? {} : { invokeTimeoutMs: options.invokeTimeoutMs }),
  });
  const hubwire = createHubServer({
    filters: [dataPlane.filter],
    lifetimeManager: backplane,
    ...(options.protocols === undefined ? {} : { protocols: options.protocols }),
    authenticate: (request) => {
      const user = request.query.get('user');
      return user === null ? undefined : { userIdentifier: user, claims: { sub: user } };
    },
  });
  hubwire.mapHub('/hubs/chat', ChatHub);
  await dataPlane.start(hubwire);
  await backplane?.ready();
  const { port } = await hubwire.listen({ port: 0 });
  const base = `http://127.0.0.1:${port}`;
  const clients: signalR.HubConnection[] = [];
  return {
    hubwire,
    dataPlane,
    base,
    nodeId: cluster?.nodeId,
    async connect(user, configure = (builder) => builder) {
      const connection = configure(clientFor(`${base}/hubs/chat${user === undefined ? '' : `?user=${encodeURIComponent(user)}`}`, { transport: signalR.HttpTransportType.WebSockets })).build();
      clients.push(connection);
      await within(connection.start(), 5000, 'client start');
      // The client's start resolves at the handshake; the server runs onConnected (where the data
      // plane records the connection) after it, and reads invocations only once that is done.
      await within(connection.invoke('Echo', 'connected'), 5000, 'first invocation');
      return connection;
    },
    call(path, operation, callOptions = {}) {
      const url = new URL(`${base}${path}`);
      if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', callOptions.since ?? '2022-06-01');
      const authorization = callOptions.authorization === null ? undefined : (callOptions.authorization ?? `Bearer ${KEY}`);
      return within(dataPlane.run({ url: url.toString(), authorization }, { hub: callOptions.hub ?? 'chat', ...(callOptions.since === undefined ? {} : { since: callOptions.since }) }, operation), 10_000, `data-plane call ${path}`);
    },
    async stop() {
      await stopAll(clients);
      await hubwire.close();
      await dataPlane.close();
      await (cluster as (ClusterContext & { close(): Promise<void> }) | undefined)?.close();
    },
  };
}

/** A Redis prefix of its own for one test file. */
export function testPrefix(): string {
  return `t-dataplane-${randomUUID()}`;
}

/** Deletes every Redis key under `prefix` (the data plane's and the backplane's). */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  try {
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) if (keys.length > 0) await redis.del(keys);
  } finally {
    redis.destroy();
  }
}

/**
 * An Azure-style REST token: HS256 with `key`, `aud` as Azure's .NET management SDK forms it
 * (scheme and host without the port, the hub lower-cased, `?api-version=` signed) unless `aud`
 * is given, expiring in `expiresIn` seconds (negative: already expired).
 */
export async function azureToken(url: string, options: { key?: string; aud?: string; expiresIn?: number } = {}): Promise<string> {
  const parsed = new URL(url);
  const version = parsed.searchParams.get('api-version');
  const aud = options.aud ?? `${parsed.protocol}//${parsed.hostname}${parsed.pathname.toLowerCase()}${version === null ? '' : `?api-version=${version}`}`;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ nameid: 'test-server' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setAudience(aud)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 3600))
    .sign(new TextEncoder().encode(options.key ?? KEY));
}

/** Collects the first argument of each `method` call a client receives. */
export function inbox(connection: signalR.HubConnection, method: string): unknown[] {
  const received: unknown[] = [];
  connection.on(method, (value: unknown) => received.push(value));
  return received;
}

/** Waits until the client closed (bounded), answering the error it closed with. */
export function closed(connection: signalR.HubConnection, ms = 5000): Promise<Error | undefined> {
  return within(new Promise<Error | undefined>((resolve) => connection.onclose((error) => resolve(error))), ms, 'client close');
}

/**
 * A marker round trip: `marks` is the inbox of `mark` on `connection`; once the marker arrived,
 * every message sent to the connection before it has arrived too (one connection, in order).
 */
export async function flush(node: DataPlaneNode, connection: signalR.HubConnection, marks: unknown[]): Promise<void> {
  const marker = `marker:${randomUUID()}`;
  const id = connection.connectionId!;
  await node.call(`/api/hubs/chat/connections/${id}/:send`, (hub) => sendToConnection(hub, id, { target: 'mark', arguments: [marker] }));
  await until(() => marks.includes(marker), 5000, 'marker');
}

/** Polls the async `check` every 10 ms until it holds, failing after `ms`. */
export async function eventually(check: () => Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
