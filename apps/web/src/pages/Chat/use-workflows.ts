/**
 * The workflows a chat page is in: each one a recoverable subscription of `@hubwire/client`
 * (`workflow:<id>`), so after a reconnect the client joins it again from the last position it
 * received and the hub replays what was missed — or says it could not.
 * @module
 */
import type { HubClient, Subscription } from '@hubwire/client';
import { useCallback, useEffect, useRef, useState, type Dispatch } from 'react';
import type { ChatClient, ChatServer, WorkflowJoin } from '../../hubs/contracts';
import type { ChatAction } from './chat-log';

/** The workflows joined, and how to join and leave one. */
export interface Workflows {
  /** Ids of the workflows joined, in join order. */
  readonly joined: readonly string[];
  /** Joins `id` (rejects with the server's refusal). */
  join(id: string): Promise<void>;
  leave(id: string): Promise<void>;
}

/** The chat group of a workflow, as the hub names it in positions. */
export function workflowGroup(id: string): string {
  return `workflow:${id}`;
}

const isoNow = () => new Date().toISOString();

/** Workflow subscriptions on `hub`; a new client (a new login) starts with none. */
export function useWorkflows(hub: HubClient<ChatServer, ChatClient> | undefined, dispatch: Dispatch<ChatAction>, now: () => string = isoNow): Workflows {
  const subscriptions = useRef(new Map<string, Subscription<WorkflowJoin>>());
  const [joined, setJoined] = useState<readonly string[]>([]);

  useEffect(() => {
    const current = new Map<string, Subscription<WorkflowJoin>>();
    subscriptions.current = current;
    setJoined([]);
    dispatch({ kind: 'reset' });
    // The client itself is stopped by useHub; leaving on the server is its disconnect.
    return () => current.clear();
  }, [hub, dispatch]);

  const join = useCallback(
    async (id: string) => {
      if (hub === undefined) throw new Error('Not connected to the chat hub yet.');
      const known = subscriptions.current;
      if (known.has(id)) return;
      dispatch({ kind: 'open', room: id });
      // Who was there before us: joins and leaves seen from now on keep the list current. Asked
      // again after every re-join (a reconnect), since the hub may have lost members meanwhile.
      const refreshMembers = (): void => {
        hub.invoke
          .getWorkflowMembers(id)
          .then((answer) => dispatch({ kind: 'members', room: id, members: answer.members, self: hub.connection.connectionId ?? undefined }))
          .catch(() => undefined);
      };
      const subscription = hub.subscribe<WorkflowJoin>({
        group: workflowGroup(id),
        // `since` is where this client stands (undefined the first time): the hub replays what came after it.
        join: (since) => hub.invoke.joinWorkflow(id, since === undefined ? null : since),
        leave: () => hub.invoke.leaveWorkflow(id),
        onRecovered: (_answer, info) => {
          dispatch({ kind: 'recovery', room: id, recovered: true, replayed: info.replayed, timestamp: now() });
          refreshMembers();
        },
        onMissed: () => {
          dispatch({ kind: 'recovery', room: id, recovered: false, replayed: 0, timestamp: now() });
          refreshMembers();
        },
      });
      known.set(id, subscription);
      try {
        await subscription.joined;
      } catch (error) {
        known.delete(id);
        await subscription.unsubscribe().catch(() => undefined);
        dispatch({ kind: 'close', room: id });
        throw error;
      }
      if (subscriptions.current === known) setJoined((ids) => (ids.includes(id) ? ids : [...ids, id]));
      refreshMembers();
    },
    [hub, dispatch, now],
  );

  const leave = useCallback(
    async (id: string) => {
      const known = subscriptions.current;
      const subscription = known.get(id);
      if (subscription === undefined) return;
      known.delete(id);
      setJoined((ids) => ids.filter((other) => other !== id));
      dispatch({ kind: 'close', room: id });
      await subscription.unsubscribe();
    },
    [dispatch],
  );

  return { joined, join, leave };
}
