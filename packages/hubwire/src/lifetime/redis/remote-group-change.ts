/**
 * A group change for a connection of another node, as both backplane layouts make it: the
 * command is published, the connection's node applies it and acknowledges, and the caller
 * waits for the ack. The layouts differ only in where the command goes and how they learn that
 * no node has the connection.
 * @module
 */
import type { Logger } from '../../core/logger.js';
import { HubwireError } from '../../core/errors.js';
import { errorText } from './error-text.js';
import type { PendingAcks } from './pending-acks.js';

/** One group change for a connection elsewhere. */
export interface RemoteGroupChange {
  readonly action: 'add' | 'remove';
  readonly connectionId: string;
  readonly group: string;
  /** What the layout calls the connection's owner in errors: `node` (Hubwire) or `server` (ASP.NET). */
  readonly owner: 'node' | 'server';
}

/**
 * Publishes the change with `publish(ackId)`, which resolves with how many may receive it (0: no
 * node has the connection, and there is nothing to change), and waits for its ack. A failed
 * publish is counted with `publishFailed` and thrown as HUB_ERR_BACKPLANE; a missing ack fails
 * after the acks' timeout.
 */
export async function changeGroupElsewhere(
  acks: PendingAcks,
  change: RemoteGroupChange,
  publish: (ackId: number) => Promise<number>,
  publishFailed: (text: string, error: unknown) => void,
): Promise<void> {
  const { action, connectionId, group, owner } = change;
  const verb = action === 'add' ? 'add it to' : 'remove it from';
  const { id, acked } = acks.create(
    (timeout) => new HubwireError('HUB_ERR_BACKPLANE', `The ${owner} of connection '${connectionId}' did not ${verb} group '${group}' within ${timeout} ms.`),
  );
  let receivers: number;
  try {
    receivers = await publish(id);
  } catch (error) {
    acks.forget(id);
    publishFailed('Redis publish of a group change failed', error);
    throw new HubwireError('HUB_ERR_BACKPLANE', `Connection '${connectionId}' is not on this node, and Redis is unreachable to ${verb} group '${group}': ${errorText(error)}`, { cause: error });
  }
  if (receivers === 0) {
    acks.forget(id);
    return;
  }
  await acked;
}

/** Acknowledges another node's group change once this node has applied it; a failure is logged and left unacknowledged (the caller times out). */
export function acknowledgeWhenApplied(
  applied: Promise<void>,
  acknowledge: () => Promise<unknown>,
  logger: Logger | undefined,
  change: Omit<RemoteGroupChange, 'action'>,
): void {
  const { connectionId, group, owner } = change;
  void applied.then(acknowledge, (error) => logger?.warn({ connectionId, group, error: errorText(error) }, `A group change from another ${owner} failed`));
}
