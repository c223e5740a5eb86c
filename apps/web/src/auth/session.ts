/**
 * The logged-in session: the bearer token and what its payload says (who, which roles, until
 * when), kept in sessionStorage so a reload stays logged in and closing the tab logs out.
 * @module
 */
import { decodeJwtPayload, stringList } from './jwt';

/** Who the token names. */
export interface SessionUser {
  /** The user id (`sub`). */
  readonly id: string;
  /** The display name (`name`), else the id. */
  readonly name: string;
  readonly roles: readonly string[];
  readonly organizations: readonly string[];
}

/** A usable token and its user. */
export interface Session {
  readonly token: string;
  readonly user: SessionUser;
  /** When the token expires (ms since the epoch); undefined when it has no `exp`. */
  readonly expiresAt: number | undefined;
}

const STORAGE_KEY = 'hubwire.token';

/**
 * The claims the server's demo tokens carry by default (`JWT_USER_ID_CLAIM`, `JWT_ROLES_CLAIM`,
 * `JWT_ORGS_CLAIM` of docs/server.md); `roles` is read too, as many identity providers name it.
 */
const CLAIMS = { id: ['sub'], roles: ['role', 'roles'], organizations: ['orgs'] } as const;

/** The session of `token`, or undefined when it is no JWT, names no user or has expired at `now`. */
export function sessionFromToken(token: string, now: number = Date.now()): Session | undefined {
  const claims = decodeJwtPayload(token);
  if (claims === undefined) return undefined;
  const id = CLAIMS.id.map((name) => claims[name]).find((value): value is string => typeof value === 'string' && value !== '');
  if (id === undefined) return undefined;
  const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : undefined;
  if (exp !== undefined && exp <= now) return undefined;
  const name = typeof claims['name'] === 'string' && claims['name'] !== '' ? claims['name'] : id;
  const roles = [...new Set(CLAIMS.roles.flatMap((claim) => stringList(claims[claim])))];
  const organizations = CLAIMS.organizations.flatMap((claim) => stringList(claims[claim]));
  return { token, user: { id, name, roles, organizations }, expiresAt: exp };
}

/** Whether the session's user has `role`. */
export function hasRole(session: Session | undefined, role: string): boolean {
  return session?.user.roles.includes(role) ?? false;
}

/** The stored session, if its token is still valid (an expired or broken one is removed). */
export function loadSession(storage: Storage = sessionStorage, now: number = Date.now()): Session | undefined {
  const token = storage.getItem(STORAGE_KEY);
  if (token === null) return undefined;
  const session = sessionFromToken(token, now);
  if (session === undefined) storage.removeItem(STORAGE_KEY);
  return session;
}

/** Keeps the session's token for reloads of this tab. */
export function saveSession(session: Session, storage: Storage = sessionStorage): void {
  storage.setItem(STORAGE_KEY, session.token);
}

/** Forgets the stored token. */
export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(STORAGE_KEY);
}
