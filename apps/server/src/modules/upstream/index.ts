/**
 * Azure-style upstream delivery (issue 11): the upstream settings, the request pieces shared with
 * the serverless hubs (headers, signature, the bounded POST), and the lifecycle webhooks of
 * code-backed hubs with their dispatcher and dead-letter route. docs/webhooks.md is the user's
 * guide.
 * @module
 */
import type { Clock } from 'hubwire';
import type { ServerConfig } from '../../config.js';
import { UpstreamSettings } from './upstream-settings.js';
import { Dispatcher, type DispatcherLogger } from './webhook-dispatcher.js';

export type * from './upstream-types.js';
export { UpstreamSettings, redactedTarget } from './upstream-settings.js';
export { signConnectionId, verifySignature } from './signature.js';
export { connectionFacts, headerSafe, upstreamHeaders, type CallerContextLike } from './upstream-headers.js';
export { MAX_RESPONSE_BYTES, postUpstream, UpstreamFailure, type UpstreamFailureReason, type UpstreamResponse } from './upstream-client.js';
export { parseRetryAfter, retryDelay, type BackoffOptions } from './backoff.js';
export { DEAD_LETTER_LIMIT, Dispatcher, type DispatcherLogger, type DispatcherOptions } from './webhook-dispatcher.js';
export { lifecycleWebhooks, type LifecycleWebhookOptions } from './lifecycle-webhooks.js';
export { registerWebhookRoutes } from './routes.js';

/** The upstream as the app holds it. */
export interface Upstream {
  readonly settings: UpstreamSettings;
  readonly dispatcher: Dispatcher;
  /** The access keys upstream requests are signed with (`ACCESS_KEYS`). */
  readonly keys: readonly string[];
  /** Waits up to `ms` for webhooks in flight, then dead-letters what is left. */
  close(ms: number): Promise<void>;
}

/**
 * The upstream of an app, from its settings (`UPSTREAM`, `WEBHOOK_*`, `UPSTREAM_TIMEOUT_MS`,
 * `ACCESS_KEYS`).
 *
 * @example
 * ```ts
 * const upstream = createUpstream({ config, logger, clock });
 * createHubServer({ filters: [lifecycleWebhooks({ dispatcher: upstream.dispatcher, skipHubs: config.serverless.hubs })] });
 * await upstream.close(5000);
 * ```
 */
export function createUpstream(options: { readonly config: ServerConfig; readonly logger: DispatcherLogger; readonly clock: Clock }): Upstream {
  const { serverless, dataPlane } = options.config;
  const settings = new UpstreamSettings(serverless.upstreams);
  const keys = dataPlane.accessKeys;
  const dispatcher = new Dispatcher({
    settings,
    keys,
    logger: options.logger,
    clock: options.clock,
    maxAttempts: serverless.webhookMaxAttempts,
    timeoutMs: serverless.upstreamTimeoutMs,
    queueLimit: serverless.webhookQueueLimit,
  });
  return { settings, dispatcher, keys, close: (ms) => dispatcher.close(ms) };
}
