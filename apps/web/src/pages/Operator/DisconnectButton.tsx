/**
 * Disconnecting a connection, confirmed first: the button opens a small confirmation in place
 * (with an optional reason, which the server logs); only *Disconnect* there sends the DELETE.
 * The connection's client gets a Close and does not reconnect.
 * @module
 */
import { useId, useRef, useState, useEffect } from 'react';
import { useApi } from '../../api/use-api';
import { operatorPaths } from './operator-api';

/** The disconnect control of connection `connectionId` of `hub`; `onDone` after it closed. */
export function DisconnectButton({ hub, connectionId, onDone }: { readonly hub: string; readonly connectionId: string; readonly onDone?: () => void }) {
  const api = useApi();
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const reasonId = useId();
  const confirmRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);

  if (!asking) {
    return (
      <button type="button" className="button-quiet button-danger" data-testid="disconnect" onClick={() => setAsking(true)} aria-label={`Disconnect ${connectionId}`}>
        Disconnect
      </button>
    );
  }
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.delete(operatorPaths.disconnect(hub, connectionId, reason.trim()));
      setAsking(false);
      onDone?.();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="disconnect-confirm" role="group" aria-label={`Disconnect ${connectionId}?`} data-testid="disconnect-confirm">
      <span>
        Disconnect <code>{connectionId}</code> of <strong>{hub}</strong>? It will not reconnect.
      </span>
      <label htmlFor={reasonId} className="visually-hidden">
        Reason (logged)
      </label>
      <input id={reasonId} value={reason} onChange={(event) => setReason(event.target.value)} placeholder="reason (logged, optional)" maxLength={1024} data-testid="disconnect-reason" />
      <button ref={confirmRef} type="button" className="button-danger" disabled={busy} onClick={() => void confirm()} data-testid="disconnect-yes">
        {busy ? 'Disconnecting…' : 'Disconnect'}
      </button>
      <button type="button" className="button-quiet" disabled={busy} onClick={() => setAsking(false)} data-testid="disconnect-no">
        Cancel
      </button>
      {error === undefined ? null : (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
