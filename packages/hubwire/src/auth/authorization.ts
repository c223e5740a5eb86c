/**
 * Authorization requirements for hubs and hub methods, and how they are checked.
 * @module
 */
import type { Principal } from '../connections/http-connection.js';

/**
 * What a caller must be to use a hub or one of its methods (ASP.NET's `[Authorize]`).
 * `true` means "any authenticated user".
 *
 * @example
 * ```ts
 * hubwire.mapHub('/hubs/admin', AdminHub, {
 *   authorize: { roles: ['admin'] },
 *   authorizeMethods: { purgeCache: { policy: (user) => user?.claims['mfa'] === true } },
 * });
 * ```
 */
export type AuthorizationRequirement =
  | true
  | {
      /** Any of these roles is enough (`Principal.roles`). */
      readonly roles?: readonly string[];
      /** A custom check; may be async. Runs after the role check. */
      readonly policy?: (user: Principal) => boolean | Promise<boolean>;
    };

/** The outcome of a check: allowed, no user at all (401), or a user without the right (403). */
export type AuthorizationOutcome = 'allowed' | 'unauthenticated' | 'forbidden';

/** Checks `user` against `requirement`; a requirement always needs an authenticated user. */
export async function authorize(requirement: AuthorizationRequirement | undefined, user: Principal | undefined): Promise<AuthorizationOutcome> {
  if (requirement === undefined) return 'allowed';
  if (user === undefined) return 'unauthenticated';
  if (requirement === true) return 'allowed';
  if (requirement.roles !== undefined && requirement.roles.length > 0) {
    const roles = user.roles ?? [];
    if (!requirement.roles.some((role) => roles.includes(role))) return 'forbidden';
  }
  if (requirement.policy !== undefined && !(await requirement.policy(user))) return 'forbidden';
  return 'allowed';
}
