/**
 * `useApi()`: REST calls with the logged-in user's token. A 401 means the server no longer takes
 * the token (expired, or signed with another secret after a restart): the session ends and the
 * login page says why.
 * @module
 */
import { useMemo } from 'react';
import { useAuth } from '../auth/auth-context';
import { ApiError, request, type HttpMethod, type RequestOptions } from './rest';

/** REST calls bound to the current token. */
export interface Api {
  call<T = unknown>(method: HttpMethod, path: string, options?: Omit<RequestOptions, 'token'>): Promise<T>;
  get<T = unknown>(path: string, options?: Omit<RequestOptions, 'token' | 'body'>): Promise<T>;
  post<T = unknown>(path: string, body?: unknown, options?: Omit<RequestOptions, 'token' | 'body'>): Promise<T>;
  delete<T = unknown>(path: string, options?: Omit<RequestOptions, 'token' | 'body'>): Promise<T>;
}

/** The REST API as the current user. */
export function useApi(): Api {
  const { token, expire } = useAuth();
  return useMemo<Api>(() => {
    const call = async <T,>(method: HttpMethod, path: string, options: Omit<RequestOptions, 'token'> = {}): Promise<T> => {
      try {
        return await request<T>(method, path, { ...options, token });
      } catch (error) {
        if (error instanceof ApiError && error.status === 401 && token !== undefined) expire('The server no longer accepts your session; please log in again.');
        throw error;
      }
    };
    return {
      call,
      get: (path, options) => call('GET', path, options),
      post: (path, body, options) => call('POST', path, { ...options, body }),
      delete: (path, options) => call('DELETE', path, options),
    };
  }, [token, expire]);
}
