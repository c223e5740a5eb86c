/**
 * `POST /api/auth/token` (demo mode) and `GET /api/auth/me`.
 * @module
 */
import type { RestRoutes, RouteOptions } from '../app-context.js';
import type { ServerConfig } from '../config.js';
import { organizationsOf } from './authenticator.js';
import { checkDemoCredentials } from './demo-users.js';
import type { TokenIssuer } from './tokens.js';

const TOKEN: RouteOptions = {
  summary: 'A token for a demo user (demo mode only).',
  tags: ['auth'],
  schema: {
    body: {
      type: 'object',
      required: ['username', 'password'],
      properties: { username: { type: 'string', pattern: '\\S', maxLength: 100 }, password: { type: 'string', minLength: 1 } },
    },
    response: {
      200: { type: 'object', required: ['accessToken', 'tokenType', 'expiresIn', 'expiresAt', 'user'], properties: { accessToken: { type: 'string' }, tokenType: { const: 'Bearer' }, expiresIn: { type: 'integer' }, expiresAt: { type: 'string' }, user: { type: 'object' } } },
      401: {},
    },
  },
};

const ME: RouteOptions = {
  summary: 'What the server reads from the caller\'s token.',
  tags: ['auth'],
  schema: {
    response: {
      200: {
        type: 'object',
        properties: { userId: { type: ['string', 'null'] }, roles: { type: 'array', items: { type: 'string' } }, organizations: { type: 'array', items: { type: 'string' } }, name: { type: ['string', 'null'] } },
      },
    },
  },
};

/** Registers the auth endpoints; the token endpoint only when `issue` is given (demo mode). */
export function registerAuthRoutes(routes: RestRoutes, jwt: ServerConfig['jwt'], issue: TokenIssuer | undefined): void {
  if (issue !== undefined) {
    routes.add('POST', '/api/auth/token', async ({ body }) => {
      const fields = body as { readonly username: string; readonly password: string };
      const user = checkDemoCredentials(fields.username.trim(), fields.password);
      if (user === undefined) return { status: 401, body: { error: 'Unknown user or wrong password.' }, headers: { 'WWW-Authenticate': 'Bearer' } };
      const token = await issue(user);
      return { status: 200, body: { ...token, user: { username: user.username, displayName: user.displayName, roles: user.roles, organizations: user.organizations } } };
    }, 'anonymous', TOKEN);
  }
  routes.add(
    'GET',
    '/api/auth/me',
    ({ user }) => ({
      status: 200,
      body: { userId: user?.userIdentifier ?? null, roles: user?.roles ?? [], organizations: organizationsOf(user, jwt), name: typeof user?.claims['name'] === 'string' ? user.claims['name'] : null },
    }),
    'user',
    ME,
  );
}
