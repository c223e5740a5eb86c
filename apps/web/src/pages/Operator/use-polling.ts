/**
 * `usePolling(path, ms)`: GETs `path` of the REST API with the user's token now and then every
 * `ms` while mounted (one request at a time: the next is timed from the end of the last), so a
 * slow server is never asked twice at once. `refresh()` asks again at once (after an action).
 * @module
 */
import { useCallback, useEffect, useState } from 'react';
import { useApi } from '../../api/use-api';

/** The latest answer of a polled path. */
export interface Polled<T> {
  /** The latest answer for the current path (kept while a later request fails). */
  readonly data: T | undefined;
  /** Why the latest request failed, until one succeeds. */
  readonly error: string | undefined;
  /** When the latest answer came (ms since the epoch). */
  readonly at: number | undefined;
  readonly refresh: () => void;
}

interface PollState<T> {
  readonly path: string | undefined;
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly at: number | undefined;
}

/** Polls `path` (nothing while undefined) every `intervalMs`. */
export function usePolling<T>(path: string | undefined, intervalMs: number): Polled<T> {
  const api = useApi();
  const [state, setState] = useState<PollState<T>>({ path: undefined, data: undefined, error: undefined, at: undefined });
  const [round, setRound] = useState(0);

  useEffect(() => {
    if (path === undefined) return undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const poll = async () => {
      try {
        const data = await api.get<T>(path, { signal: controller.signal });
        if (!stopped) setState({ path, data, error: undefined, at: Date.now() });
      } catch (error) {
        if (stopped) return;
        const message = error instanceof Error ? error.message : String(error);
        setState((current) => ({ path, data: current.path === path ? current.data : undefined, error: message, at: current.path === path ? current.at : undefined }));
      }
      if (!stopped) timer = setTimeout(() => void poll(), intervalMs);
    };
    void poll();
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
    };
  }, [api, path, intervalMs, round]);

  const refresh = useCallback(() => setRound((count) => count + 1), []);
  const current = state.path === path;
  return { data: current ? state.data : undefined, error: current ? state.error : undefined, at: current ? state.at : undefined, refresh };
}
