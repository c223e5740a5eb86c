/**
 * The session for the whole app: `<AuthProvider>` holds it (from sessionStorage at start),
 * `useAuth()` reads it and logs in or out. The session ends by itself when its token expires.
 * @module
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { login as requestToken } from './login';
import { clearSession, hasRole, loadSession, saveSession, type Session, type SessionUser } from './session';

/** What `useAuth()` gives. */
export interface Auth {
  readonly session: Session | undefined;
  readonly user: SessionUser | undefined;
  readonly token: string | undefined;
  /** Why the last session ended, when it was not a logout (e.g. expiry); shown on the login page. */
  readonly notice: string | undefined;
  /** Logs in with the demo token endpoint; rejects with the server's reason. */
  login(username: string, password: string): Promise<Session>;
  logout(): void;
  /** Ends the session because the server refused its token (a REST 401). */
  expire(reason: string): void;
  hasRole(role: string): boolean;
}

const AuthContext = createContext<Auth | undefined>(undefined);

/** Longest a timer may wait (setTimeout's limit); a token living longer is re-checked then. */
const MAX_TIMER_MS = 2_147_483_647;

/** Provides {@link useAuth} to the app. `initial` is for tests; default: the stored session. */
export function AuthProvider({ children, initial }: { readonly children: ReactNode; readonly initial?: Session }) {
  const [session, setSession] = useState<Session | undefined>(() => initial ?? loadSession());
  const [notice, setNotice] = useState<string | undefined>(undefined);

  const logout = useCallback(() => {
    clearSession();
    setNotice(undefined);
    setSession(undefined);
  }, []);

  const expire = useCallback((reason: string) => {
    clearSession();
    setNotice(reason);
    setSession(undefined);
  }, []);

  const login = useCallback(async (username: string, password: string) => {
    const next = await requestToken(username, password);
    saveSession(next);
    setNotice(undefined);
    setSession(next);
    return next;
  }, []);

  // The token's end is the session's end: its hubs would be refused from then on anyway.
  useEffect(() => {
    if (session?.expiresAt === undefined) return undefined;
    const wait = Math.min(Math.max(0, session.expiresAt - Date.now()), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      if (session.expiresAt !== undefined && session.expiresAt <= Date.now()) expire('Your session expired; please log in again.');
      else setSession({ ...session });
    }, wait);
    return () => clearTimeout(timer);
  }, [session, expire]);

  const auth = useMemo<Auth>(
    () => ({
      session,
      user: session?.user,
      token: session?.token,
      notice,
      login,
      logout,
      expire,
      hasRole: (role: string) => hasRole(session, role),
    }),
    [session, notice, login, logout, expire],
  );
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}

/** The session and the login/logout actions; only inside `<AuthProvider>`. */
export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (auth === undefined) throw new Error('useAuth() is used outside <AuthProvider>.');
  return auth;
}
