/**
 * Runs an endpoint's authenticator and its endpoint-level authorization requirement for a request.
 * @module
 */
import { authorize } from '../auth/authorization.js';
import type { Endpoint } from '../connections/endpoint.js';
import type { ConnectionRequestInfo, Principal } from '../connections/http-connection.js';

/**
 * The outcome of authenticating one request; a refusal carries the HTTP status to answer, with an
 * empty body as ASP.NET's authentication middleware answers (the client reports the status text).
 */
export type AuthOutcome = { ok: true; principal: Principal | undefined } | { ok: false; status: 401 | 403 };

const UNAUTHORIZED = { ok: false, status: 401 } as const;
const FORBIDDEN = { ok: false, status: 403 } as const;

/**
 * Anonymous when the endpoint has no authenticator; 401 when the authenticator throws (a bad
 * token) or the endpoint requires a user and there is none; 403 when the user does not meet the
 * requirement. ASP.NET runs this on negotiate and on every transport request.
 */
export async function authenticateRequest(endpoint: Endpoint, info: ConnectionRequestInfo): Promise<AuthOutcome> {
  const { authenticate, authorize: requirement } = endpoint.options;
  let principal: Principal | undefined;
  try {
    principal = authenticate === undefined ? undefined : await authenticate(info);
  } catch (error) {
    endpoint.logger.info({ hub: endpoint.path, error: error instanceof Error ? error.message : String(error) }, 'authentication refused');
    return UNAUTHORIZED;
  }
  switch (await authorize(requirement, principal)) {
    case 'allowed':
      return { ok: true, principal };
    case 'unauthenticated':
      return UNAUTHORIZED;
    case 'forbidden':
      endpoint.logger.info({ hub: endpoint.path, user: principal?.userIdentifier }, 'authorization refused');
      return FORBIDDEN;
  }
}
