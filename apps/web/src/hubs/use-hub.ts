/**
 * `useHub()`: one `@hubwire/client` connection to a hub for as long as the component is mounted,
 * started with the logged-in user's token and stopped on unmount or logout; the component gets
 * the typed client and its status (state, transport, protocol), and the header's indicator too.
 * @module
 */
import type { HubClient, RetrySchedule, Unsubscribe } from '@hubwire/client';
import { LogLevel } from '@microsoft/signalr';
import { useContext, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useAuth } from '../auth/auth-context';
import { HubConnector, type Connect } from './hub-connector';
import { useHubStatusRegistry } from './hub-status-context';
import { idleStatus, statusOf, type HubStatus } from './hub-view';

/**
 * Registers the page's handlers on a new client, before it starts (so nothing sent right after
 * the connect, like `Connected`, is missed); returns what removes them.
 */
export type HubSetup<S, C> = (hub: HubClient<S, C>) => void | Unsubscribe | readonly Unsubscribe[];

/** Options of {@link useHub}. */
export interface UseHubOptions {
  /** Connect at all (default true); a page passes false until it knows it needs the hub. */
  readonly enabled?: boolean;
  /** Connect without a token when logged out (default false: no session, no connection). */
  readonly anonymous?: boolean;
  /** When to retry (default: 0, 1, 2, 5 s, then every 5 s — a demo server restarts quickly). */
  readonly reconnect?: RetrySchedule;
  /** Creates the client (tests pass a fake). Default: the {@link HubConnector} context's, `connectHub`. */
  readonly connect?: Connect;
}

/** What {@link useHub} returns: the client (undefined while not started) and its status. */
export interface HubView<S, C> extends HubStatus {
  readonly hub: HubClient<S, C> | undefined;
}

/** The app's reconnect schedule: short, as a demo server restarts in a second or two. */
export const APP_RETRY_SCHEDULE: RetrySchedule = { delays: [0, 1000, 2000, 5000], then: 5000 };

/**
 * Connects to the hub at `path` (same origin) while mounted and logged in.
 *
 * @example
 * ```tsx
 * const events = useHub<EventsServer, EventsClient>('/hubs/events', (hub) => hub.on.ReceiveEvent(add));
 * if (events.state === 'connected') void events.hub?.invoke.getRecentEvents().then(addAll);
 * ```
 */
export function useHub<S, C>(path: string, setup?: HubSetup<S, C>, options: UseHubOptions = {}): HubView<S, C> {
  const { token } = useAuth();
  const enabled = (options.enabled ?? true) && (token !== undefined || options.anonymous === true);
  const key = useId();
  const contextConnect = useContext(HubConnector);
  const registry = useHubStatusRegistry();
  const report = registry?.report;
  const remove = registry?.remove;
  // Handlers and options are read when the client is created: a new render does not reconnect.
  const setupRef = useRef(setup);
  setupRef.current = setup;
  const optionsRef = useRef({ ...options, connect: options.connect ?? contextConnect });
  optionsRef.current = { ...options, connect: options.connect ?? contextConnect };
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const [current, setView] = useState<HubView<S, C>>(() => ({ ...idleStatus(path), hub: undefined }));
  // Logged out (or disabled) shows idle at once, before the effect below has stopped the client.
  const view = useMemo(() => (enabled && current.path === path ? current : idleView<S, C>(path)), [enabled, current, path]);

  useEffect(() => {
    if (!enabled) return undefined;
    const { connect, reconnect = APP_RETRY_SCHEDULE } = optionsRef.current;
    const hub = connect<S, C>(path, {
      accessTokenFactory: () => tokenRef.current ?? '',
      reconnect,
      autoStart: false,
      // The indicator shows a lost connection; the console gets it as a warning, not an error.
      logger: {
        log: (level, message) => {
          if (level >= LogLevel.Warning && level !== LogLevel.None) console.warn(`[${path}] ${message}`);
        },
      },
      onError: (error, where) => console.warn(`[${path}] ${where}: ${error instanceof Error ? error.message : String(error)}`),
    });
    let status: HubStatus = statusOf(path, hub, undefined);
    const publish = (error: Error | undefined) => {
      status = statusOf(path, hub, error, status);
      setView({ ...status, hub });
    };
    const removers = setupRef.current?.(hub);
    const stopWatching = hub.onStateChange((_state, change) => publish(change.error));
    publish(undefined);
    hub.start().catch(() => undefined); // a start stopped by unmount; failures show as the state
    return () => {
      stopWatching();
      if (typeof removers === 'function') removers();
      else if (Array.isArray(removers)) for (const remover of removers) remover();
      void hub.stop();
    };
    // A new token is a new login (maybe another user): the hub must see the new identity.
  }, [path, enabled, token]);

  useEffect(() => {
    if (report === undefined) return;
    const { hub: _hub, ...status } = view;
    report(key, status);
  }, [report, key, view]);
  useEffect(() => (remove === undefined ? undefined : () => remove(key)), [remove, key]);

  return view;
}

function idleView<S, C>(path: string): HubView<S, C> {
  return { ...idleStatus(path), hub: undefined };
}
