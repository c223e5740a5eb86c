/**
 * Serverless hubs (Azure SignalR's serverless mode, issue 11): each name of `SERVERLESS_HUBS` is
 * a hub at `/hubs/{name}` (and at Azure's client URL `/client/?hub={name}`) with no hub code.
 * Clients connect with an Azure-format client token (or the app's own user token); what they
 * invoke is `POST`ed to the upstream and answered with its response; connects and disconnects
 * go to the upstream as `connections` events. docs/serverless.md says how to use it.
 * @module
 */
import type { Authenticator, Clock, HubServer } from 'hubwire';
import type { Logger } from 'pino';
import { ConfigError, type ServerConfig } from '../../config.js';
import { hubNameOf } from '../data-plane/hub-names.js';
import type { UpstreamSettings } from '../upstream/upstream-settings.js';
import type { WebhookDispatcher } from '../upstream/upstream-types.js';
import { clientTokenAuthenticator } from './client-token.js';
import { InvocationForwarder } from './invocation-forwarder.js';
import { ServerlessHub, serverlessHubClass } from './serverless-hub.js';

export { routeClientEndpoint, type ClientRoute } from './client-endpoint.js';
export { clientAudienceMatches, clientTokenAuthenticator, ClientTokenError, principalOf, type ClientTokenOptions } from './client-token.js';
export { decodeAnswer, encodeInvocation, type EncodedInvocation, type InvocationOutcome } from './invocation-codec.js';
export { InvocationForwarder, INVOCATION_ATTEMPTS, FIRST_BACKOFF_MS, type ForwardedCall, type ForwarderOptions } from './invocation-forwarder.js';
export { ServerlessHub, serverlessHubClass, type ServerlessHubServices } from './serverless-hub.js';

/** The path a serverless hub is mapped on. */
export function serverlessHubPath(name: string): string {
  return `/hubs/${name.toLowerCase()}`;
}

/**
 * The names of the app's code hubs. A serverless hub may not take one, whichever modules run,
 * so a configuration means the same on every deployment.
 */
export const CODE_HUB_NAMES: readonly string[] = ['events', 'admin', 'chat', 'campaigns', 'synaxis'];

/**
 * Refuses `SERVERLESS_HUBS` naming a code hub (or a hub already mapped on `mappedPaths`), or the
 * same hub twice; all compared case-insensitively. Throws ConfigError.
 *
 * @example
 * ```ts
 * checkServerlessHubNames(['chat']); // ConfigError: SERVERLESS_HUBS names 'chat', a hub the server runs with code …
 * ```
 */
export function checkServerlessHubNames(names: readonly string[], mappedPaths: readonly string[] = []): void {
  const taken = new Set([...CODE_HUB_NAMES, ...mappedPaths.map(hubNameOf)]);
  const seen = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase();
    if (taken.has(key)) throw new ConfigError(`SERVERLESS_HUBS (serverless.hubs) names '${name}', a hub the server runs with code; choose another name.`);
    if (seen.has(key)) throw new ConfigError(`SERVERLESS_HUBS (serverless.hubs) names '${name}' twice (names are case-insensitive).`);
    seen.add(key);
  }
}

/** What {@link mapServerlessHubs} needs (the upstream parts from `createUpstream`). */
export interface ServerlessOptions {
  readonly hubwire: HubServer;
  readonly config: ServerConfig;
  readonly logger: Logger;
  /** Backoff timers of retried invocations. */
  readonly clock: Clock;
  readonly settings: UpstreamSettings;
  readonly dispatcher: WebhookDispatcher;
  /** The access keys: client tokens are signed with them, upstream requests signed by them. */
  readonly keys: readonly string[];
  /**
   * The app's own authenticator, tried for tokens no access key signed (so the demo users and an
   * app's own JWTs connect too). Absent: only Azure-format client tokens are accepted.
   */
  readonly userAuthenticator?: Authenticator;
}

/**
 * Maps a hub for each name of `config.serverless.hubs`. Call it after the modules registered
 * their hubs (a clash with one is a ConfigError). Returns the mapped paths.
 *
 * @example
 * ```ts
 * const upstream = createUpstream({ config, logger, clock });
 * mapServerlessHubs({ hubwire, config, logger, clock, ...upstream, userAuthenticator: authenticate });
 * ```
 */
export function mapServerlessHubs(options: ServerlessOptions): readonly string[] {
  const { hubwire, config } = options;
  const names = config.serverless.hubs;
  checkServerlessHubNames(names, hubwire.hubPaths);
  if (names.length === 0) return [];
  const logger = options.logger.child({ module: 'serverless' });
  const forwarder = new InvocationForwarder({ settings: options.settings, keys: options.keys, timeoutMs: config.serverless.upstreamTimeoutMs, clock: options.clock, logger });
  const paths: string[] = [];
  for (const name of names) {
    const hub = name.toLowerCase();
    const path = serverlessHubPath(hub);
    const { hubClass, create } = serverlessHubClass({ hub, forwarder, dispatcher: options.dispatcher });
    hubwire.mapHub(path, hubClass, {
      create,
      fallbackMethod: ServerlessHub.fallbackMethod,
      // No anonymous clients: a missing token is 401 at negotiate, as on Azure.
      authorize: true,
      authenticate: clientTokenAuthenticator({ hub, accessKeys: options.keys, ...(options.userAuthenticator === undefined ? {} : { fallback: options.userAuthenticator }) }),
    });
    paths.push(path);
  }
  if (options.settings.size === 0) logger.warn({ hubs: names }, 'serverless hubs without UPSTREAM: every invocation fails (no upstream)');
  logger.info({ hubs: paths }, 'serverless hubs mapped');
  return paths;
}
