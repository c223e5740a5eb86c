/**
 * The data plane's composition: access keys, the connection directory and its hub filter, the
 * user-group and idempotency stores (memory alone, Redis on a cluster), the node mesh, and
 * {@link DataPlane.run}, which takes a request through api-version, authentication and hub
 * resolution to one operation and turns every failure into its Azure answer.
 *
 * The HTTP routes (routes.ts) do only HTTP: read path, query, headers and body, call `run`
 * with the matching operation, write the result.
 * @module
 */
import { HubwireError, type HubServer } from 'hubwire';
import type { Logger } from 'pino';
import type { ClusterContext } from '../../cluster/cluster-context.js';
import { AccessKeys, type Credential } from './access-keys.js';
import { checkApiVersion, type ApiVersion } from './api-version.js';
import { ClusterConnections } from './cluster-connections.js';
import { ConnectionDirectory } from './connection-directory.js';
import { resolveHubPath } from './hub-names.js';
import type { HubTarget } from './hub-target.js';
import { MemoryIdempotencyStore, RedisIdempotencyStore, type IdempotencyStore } from './idempotency.js';
import { aloneMesh, answerLocally, RedisNodeMesh, type NodeMesh } from './node-mesh.js';
import { RedisUserGroupStore } from './redis-user-groups.js';
import { DataPlaneError, OK, type DataPlaneResult } from './results.js';
import { MemoryUserGroupStore, type UserGroupStore } from './user-groups.js';

/** The data plane started on each hub server, for {@link dataPlaneOf}. */
const started = new WeakMap<HubServer, DataPlane>();

/**
 * The data plane started on `hubwire` (app.ts starts one per server), for the app's own routes
 * that run its operations under their own authentication — the operator API's admin JWT instead
 * of an access key — through {@link DataPlane.target}. Undefined before `start`.
 *
 * @example
 * ```ts
 * const hub = dataPlaneOf(app.hubwire)!.target('/hubs/chat', requestUrl);
 * await closeConnection(hub, connectionId, { reason: 'operator' });
 * ```
 */
export function dataPlaneOf(hubwire: HubServer): DataPlane | undefined {
  return started.get(hubwire);
}

/** What the data plane is built from. */
export interface DataPlaneOptions {
  /** `ACCESS_KEYS`: the keys tokens are signed with (or sent as is); none refuses every call. */
  readonly accessKeys: readonly string[];
  /** The app's cluster (`AppContext.cluster`): shared stores and the mesh. Undefined: one process. */
  readonly cluster?: ClusterContext;
  readonly logger?: Logger;
  /** The time tokens and memberships are checked against (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
  /** How long `:invoke` waits for a client. Default 10 s. */
  readonly invokeTimeoutMs?: number;
  /** How long a question to the other nodes waits for their answers. Default 2 s. */
  readonly meshTimeoutMs?: number;
}

/** One data-plane request, as the HTTP layer hands it over. */
export interface DataPlaneRequest {
  /** The absolute URL as the caller addressed it (`https://host/api/hubs/chat/:send?api-version=…`). */
  readonly url: string;
  /** The `Authorization` header. */
  readonly authorization?: string | undefined;
}

/** Which hub a request addresses and what the operation needs. */
export interface RouteTarget {
  /** The `{hub}` path parameter. */
  readonly hub: string;
  /** The oldest api-version the operation exists in (default 2022-06-01). */
  readonly since?: ApiVersion;
}

/**
 * The data plane of one node.
 *
 * @example
 * ```ts
 * const dataPlane = createDataPlane({ accessKeys: config.dataPlane.accessKeys, cluster, logger });
 * const hubwire = createHubServer({ filters: [dataPlane.filter] });
 * // … map hubs …
 * await dataPlane.start(hubwire);
 * const result = await dataPlane.run({ url, authorization }, { hub: 'chat' }, (hub) => sendToGroup(hub, 'room-1', body));
 * ```
 */
export class DataPlane {
  readonly #keys: AccessKeys;
  readonly #directory: ConnectionDirectory;
  readonly #userGroups: UserGroupStore;
  readonly #idempotency: IdempotencyStore;
  readonly #options: DataPlaneOptions;
  #hubwire: HubServer | undefined;
  #mesh: NodeMesh = aloneMesh;
  #connections: ClusterConnections;

  constructor(options: DataPlaneOptions) {
    this.#options = options;
    const now = options.now ?? Date.now;
    this.#keys = new AccessKeys(options.accessKeys, now);
    this.#userGroups = options.cluster === undefined ? new MemoryUserGroupStore(now) : new RedisUserGroupStore(options.cluster, now);
    this.#idempotency = options.cluster === undefined ? new MemoryIdempotencyStore(now) : new RedisIdempotencyStore(options.cluster);
    this.#directory = new ConnectionDirectory({ userGroups: this.#userGroups, now, ...(options.logger === undefined ? {} : { logger: options.logger }) });
    this.#connections = new ClusterConnections(this.#directory, this.#mesh);
  }

  /** The hub filter that records connections; give it to `createHubServer({ filters })`. */
  get filter() {
    return this.#directory.filter;
  }

  /** Binds the hub server and, on a cluster, joins the node mesh (subscribes on Redis). */
  async start(hubwire: HubServer): Promise<void> {
    this.#hubwire = hubwire;
    started.set(hubwire, this);
    const { cluster, logger, meshTimeoutMs } = this.#options;
    if (cluster !== undefined) {
      this.#mesh = await RedisNodeMesh.start({
        cluster,
        answer: (question) => answerLocally(this.#directory, question),
        ...(logger === undefined ? {} : { logger }),
        ...(meshTimeoutMs === undefined ? {} : { timeoutMs: meshTimeoutMs }),
      });
      this.#connections = new ClusterConnections(this.#directory, this.#mesh);
    }
  }

  /** Leaves the mesh. */
  async close(): Promise<void> {
    await this.#mesh.close();
  }

  /**
   * Runs `operation` on the request's hub after checking the api-version and the credential;
   * every failure becomes its Azure answer (an unexpected one is logged and answered 500).
   */
  async run(request: DataPlaneRequest, target: RouteTarget, operation: (hub: HubTarget) => Promise<DataPlaneResult>): Promise<DataPlaneResult> {
    try {
      const url = new URL(request.url);
      checkApiVersion(url.searchParams, url.pathname, target.since);
      await this.authenticate(request);
      const hubwire = this.#hubwire;
      if (hubwire === undefined) throw new Error('DataPlane.start(hubwire) was not called.');
      const path = resolveHubPath(hubwire.hubPaths, target.hub, url.searchParams.get('application') ?? undefined);
      return await operation(this.target(path, request.url));
    } catch (error) {
      return this.#failed(error, request);
    }
  }

  /**
   * Hub `path` (a mapped path, e.g. from `resolveHubPath`) with the data plane's services, for a
   * caller that authenticated the request itself: no api-version or credential is checked, and
   * the operations' DataPlaneErrors reach the caller as they are, to answer in its own shape.
   */
  target(path: string, requestUrl: string): HubTarget {
    const hubwire = this.#hubwire;
    if (hubwire === undefined) throw new Error('DataPlane.start(hubwire) was not called.');
    return {
      path,
      context: hubwire.hubContext(path),
      connections: this.#connections,
      userGroups: this.#userGroups,
      idempotency: this.#idempotency,
      requestUrl,
      invokeTimeoutMs: this.#options.invokeTimeoutMs ?? 10_000,
      accessKey: this.#options.accessKeys[0],
      now: this.#options.now ?? Date.now,
      ...(this.#options.logger === undefined ? {} : { logger: this.#options.logger }),
    };
  }

  /** `HEAD /api/health`: 200 for a served api-version; no credential needed. */
  health(request: DataPlaneRequest): DataPlaneResult {
    try {
      const url = new URL(request.url);
      checkApiVersion(url.searchParams, url.pathname);
      return OK;
    } catch (error) {
      return this.#failed(error, request);
    }
  }

  /** Checks the request's credential only (rejects with a DataPlaneError `Unauthorized`). */
  authenticate(request: DataPlaneRequest): Promise<Credential> {
    return this.#keys.authenticate(request.authorization, request.url);
  }

  #failed(error: unknown, request: DataPlaneRequest): DataPlaneResult {
    if (error instanceof DataPlaneError) return error.result();
    if (error instanceof HubwireError && error.code === 'HUB_ERR_BACKPLANE') return new DataPlaneError('ServiceUnavailable', error.message).result();
    // The URL's path only: its query may name users and groups, never credentials, but keep logs lean.
    this.#options.logger?.error({ err: error, path: safePath(request.url) }, 'data-plane operation failed');
    return new DataPlaneError('InternalServerError', 'The operation failed unexpectedly.').result();
  }
}

/** Builds a data plane; see {@link DataPlane}. */
export function createDataPlane(options: DataPlaneOptions): DataPlane {
  return new DataPlane(options);
}

function safePath(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}
