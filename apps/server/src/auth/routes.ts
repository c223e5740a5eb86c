/**
 * `POST /api/auth/token` (demo mode) and `GET /api/auth/me`.
 * @module
 */
import type { RestRoutes } from '../app-context.js';
import type { ServerConfig } from '../config.js';
import { objectBody, requiredString } from '../validation.js';
import { organizationsOf } from './authenticator.js';
import { checkDemoCredentials } from './demo-users.js';
import type { TokenIssuer } from './tokens.js';

/** Registers the auth endpoints; the token endpoint only when `issue` is given (demo mode). */
export function registerAuthRoutes(routes: RestRoutes, jwt: ServerConfig['jwt'], issue: TokenIssuer | undefined): void {
  if (issue !== undefined) {
    routes.add('POST', '/api/auth/token', async ({ body }) => {
      const fields = objectBody(body);
      const username = requiredString(fields, 'username', { max: 100 });
      if (typeof fields['password'] !== 'string' || fields['password'].length === 0) {
        return { status: 400, body: { error: "'password' is required.", field: 'password' } };
      }
      const user = checkDemoCredentials(username, fields['password']);
      if (user === undefined) return { status: 401, body: { error: 'Unknown user or wrong password.' }, headers: { 'WWW-Authenticate': 'Bearer' } };
      const token = await issue(user);
      return { status: 200, body: { ...token, user: { username: user.username, displayName: user.displayName, roles: user.roles, organizations: user.organizations } } };
    });
  }
  routes.add(
    'GET',
    '/api/auth/me',
    ({ user }) => ({
      status: 200,
      body: { userId: user?.userIdentifier ?? null, roles: user?.roles ?? [], organizations: organizationsOf(user, jwt), name: typeof user?.claims['name'] === 'string' ? user.claims['name'] : null },
    }),
    'user',
  );
}
