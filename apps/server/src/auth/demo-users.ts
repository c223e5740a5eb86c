/**
 * The demo users of demo mode. Every one has the password `demo`.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** A user the demo token endpoint knows. */
export interface DemoUser {
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly string[];
  /** Organization ids the user is a member of (the `orgs` claim of its tokens). */
  readonly organizations: readonly string[];
}

/** The password of every demo user. */
export const DEMO_PASSWORD = 'demo';

/** `admin` (role admin), `jane.smith` (member of `acme`), `john.doe` (member of `globex`). */
export const DEMO_USERS: readonly DemoUser[] = Object.freeze([
  { username: 'admin', displayName: 'Ada Admin', roles: ['admin'], organizations: [] },
  { username: 'jane.smith', displayName: 'Jane Smith', roles: ['member'], organizations: ['acme'] },
  { username: 'john.doe', displayName: 'John Doe', roles: ['member'], organizations: ['globex'] },
]);

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
const PASSWORD_DIGEST = digest(DEMO_PASSWORD);

/** The demo user with these credentials, or undefined (compared in constant time). */
export function checkDemoCredentials(username: string, password: string): DemoUser | undefined {
  const passwordOk = timingSafeEqual(digest(password), PASSWORD_DIGEST);
  const user = DEMO_USERS.find((candidate) => candidate.username === username);
  return passwordOk && user !== undefined ? user : undefined;
}
