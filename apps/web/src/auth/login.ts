/**
 * Logging in with the server's demo token endpoint (`POST /api/auth/token`, demo mode only).
 * @module
 */
import { ApiError, request } from '../api/rest';
import { sessionFromToken, type Session } from './session';

/** What the token endpoint answers (apps/server/src/auth/routes.ts). */
interface TokenAnswer {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
  readonly expiresAt: string;
}

/** The demo users of demo mode (password `demo`), offered on the login page. */
export const DEMO_USERS: readonly { readonly username: string; readonly description: string }[] = [
  { username: 'admin', description: 'role admin: every view' },
  { username: 'jane.smith', description: 'member of acme' },
  { username: 'john.doe', description: 'member of globex' },
];

/** Asks for a token; rejects with an {@link ApiError} the login page shows. */
export async function login(username: string, password: string, fetcher: typeof fetch = fetch): Promise<Session> {
  let answer: TokenAnswer;
  try {
    answer = await request<TokenAnswer>('POST', '/api/auth/token', { body: { username, password } }, fetcher);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
      throw new ApiError(error.status, 'This server issues no demo tokens (demo mode is off): log in through your identity provider.');
    }
    throw error;
  }
  const session = sessionFromToken(answer.accessToken);
  if (session === undefined) throw new ApiError(200, 'The server answered a token this app cannot read.');
  return session;
}
