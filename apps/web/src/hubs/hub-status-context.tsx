/**
 * The connection states of the hubs the current page uses, for the header's indicator: every
 * `useHub()` reports its status here and removes it when its page unmounts.
 * @module
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { sameStatus, type HubStatus } from './hub-view';

/** A reported status and the key of the `useHub()` that reported it. */
export interface HubStatusEntry {
  readonly key: string;
  readonly status: HubStatus;
}

interface HubStatusRegistry {
  readonly statuses: readonly HubStatusEntry[];
  report(key: string, status: HubStatus): void;
  remove(key: string): void;
}

const Registry = createContext<HubStatusRegistry | undefined>(undefined);

/** Collects the statuses of the hubs used below it. */
export function HubStatusProvider({ children }: { readonly children: ReactNode }) {
  const [entries, setEntries] = useState<ReadonlyMap<string, HubStatus>>(() => new Map());
  const report = useCallback((key: string, status: HubStatus) => {
    setEntries((current) => {
      const known = current.get(key);
      return known !== undefined && sameStatus(known, status) ? current : new Map(current).set(key, status);
    });
  }, []);
  const remove = useCallback((key: string) => {
    setEntries((current) => {
      if (!current.has(key)) return current;
      const next = new Map(current);
      next.delete(key);
      return next;
    });
  }, []);
  const registry = useMemo(() => ({ statuses: [...entries].map(([key, status]) => ({ key, status })), report, remove }), [entries, report, remove]);
  return <Registry.Provider value={registry}>{children}</Registry.Provider>;
}

/** The statuses of the hubs in use, in the order they started (empty outside a provider). */
export function useHubStatuses(): readonly HubStatusEntry[] {
  return useContext(Registry)?.statuses ?? [];
}

/** The registry a `useHub()` reports to, if any. */
export function useHubStatusRegistry(): Pick<HubStatusRegistry, 'report' | 'remove'> | undefined {
  return useContext(Registry);
}
