/**
 * `GET /api/webhooks/dead-letters`: the latest webhook deliveries that ran out of attempts (or
 * found the queue full), for operators. Callers prove an access key as on the data plane: the key
 * as a bearer, or an HS256 JWT signed with it whose `aud` is the request URL.
 * @module
 */
import { Unauthorized, type RestRoutes } from '../../app-context.js';
import { AccessKeys } from '../data-plane/access-keys.js';
import { requestUrl } from '../data-plane/routes.js';
import { DataPlaneError } from '../data-plane/results.js';
import type { WebhookDispatcher } from './upstream-types.js';

const DEAD_LETTER: Readonly<Record<string, unknown>> = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'The delivery id, sent as X-Hubwire-Event-Id.' },
    hub: { type: 'string' },
    category: { type: 'string', enum: ['connections', 'messages', 'groups'] },
    event: { type: 'string' },
    connectionId: { type: 'string' },
    target: { type: 'string', description: 'The upstream origin and path (no query).' },
    attempts: { type: 'integer' },
    reason: { type: 'string', examples: ['HTTP 503', 'timeout', 'ECONNREFUSED', 'queue full'] },
    at: { type: 'string', format: 'date-time' },
  },
};

/**
 * Registers the dead-letter route.
 *
 * @example
 * ```ts
 * registerWebhookRoutes(router, upstream.dispatcher, config.dataPlane.accessKeys);
 * // curl -H "Authorization: Bearer $ACCESS_KEY" http://localhost:3000/api/webhooks/dead-letters
 * ```
 */
export function registerWebhookRoutes(routes: RestRoutes, dispatcher: WebhookDispatcher, accessKeys: readonly string[]): void {
  const keys = new AccessKeys(accessKeys);
  routes.add(
    'GET',
    '/api/webhooks/dead-letters',
    () => ({ status: 200, body: { value: dispatcher.deadLetters() } }),
    {
      custom: async ({ req }) => {
        try {
          await keys.authenticate(req.headers.authorization, requestUrl(req));
        } catch (error) {
          if (error instanceof DataPlaneError) throw new Unauthorized(error.message);
          throw error;
        }
        return undefined;
      },
      scheme: 'AccessKey',
    },
    {
      summary: 'The latest webhook deliveries that were given up (at most 1000, oldest first).',
      tags: ['webhooks'],
      schema: { response: { 200: { type: 'object', properties: { value: { type: 'array', items: DEAD_LETTER } } } } },
    },
  );
}
