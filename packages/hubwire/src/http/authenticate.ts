/**
 * Runs a hub's authenticator for a request.
 * @module
 */
import type { ConnectionRequestInfo, Principal } from '../connections/http-connection.js';
import type { HubEndpoint } from '../hubs/hub-endpoint.js';

/** The outcome of authenticating one request. */
export type AuthOutcome = { ok: true; principal: Principal | undefined } | { ok: false; error: unknown };

/** Anonymous when the hub has no authenticator; refused when the authenticator throws. */
export async function authenticateRequest(endpoint: HubEndpoint, info: ConnectionRequestInfo): Promise<AuthOutcome> {
  const authenticate = endpoint.options.authenticate;
  if (authenticate === undefined) return { ok: true, principal: undefined };
  try {
    return { ok: true, principal: await authenticate(info) };
  } catch (error) {
    endpoint.logger.info({ hub: endpoint.path, error: error instanceof Error ? error.message : String(error) }, 'authentication refused');
    return { ok: false, error };
  }
}
