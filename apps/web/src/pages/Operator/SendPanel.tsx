/**
 * Send a test message: to every connection of a hub, a group, a user or one connection, any
 * client method with JSON arguments (`POST /api/operator/hubs/{hub}/send`); the answer says how
 * many connections were in the audience. A listed connection's *Message* aims the form at it.
 * @module
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../../api/rest';
import { useApi } from '../../api/use-api';
import type { SendPreset } from './connection-actions';
import { operatorPaths, type SendReceipt } from './operator-api';
import { buildSendRequest, TARGET_KINDS, type SendFields, type TargetKind } from './send-form';

const TARGET_LABELS: Readonly<Record<TargetKind, string>> = { all: 'every connection', group: 'a group', user: 'a user', connection: 'a connection' };

type Outcome = { readonly kind: 'sent'; readonly receipt: SendReceipt } | { readonly kind: 'refused'; readonly message: string; readonly status: number } | undefined;

/** The send panel; `preset` aims it (hub, target) from elsewhere on the page. */
export function SendPanel({ hubs, preset }: { readonly hubs: readonly string[]; readonly preset: SendPreset | undefined }) {
  const api = useApi();
  const id = useId();
  const [fields, setFields] = useState<SendFields>({ hub: '', targetKind: 'connection', targetValue: '', method: 'ReceiveMessage', args: '["operator", "hello from the console"]' });
  const [errors, setErrors] = useState<Partial<Record<keyof SendFields, string>>>({});
  const [outcome, setOutcome] = useState<Outcome>(undefined);
  const [busy, setBusy] = useState(false);
  const methodRef = useRef<HTMLInputElement>(null);
  const sectionRef = useRef<HTMLElement>(null);
  const hub = fields.hub === '' ? (hubs[0] ?? '') : fields.hub;

  useEffect(() => {
    if (preset === undefined) return;
    setFields((current) => ({ ...current, hub: preset.hub, targetKind: preset.targetKind, targetValue: preset.targetValue }));
    setErrors({});
    setOutcome(undefined);
    sectionRef.current?.scrollIntoView({ block: 'nearest' });
    methodRef.current?.focus();
  }, [preset]);

  const set = (name: keyof SendFields) => (value: string) => setFields((current) => ({ ...current, [name]: value }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const built = buildSendRequest({ ...fields, hub });
    if (!built.ok) {
      setErrors(built.errors);
      setOutcome(undefined);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      setOutcome({ kind: 'sent', receipt: await api.post<SendReceipt>(operatorPaths.send(built.hub), built.request) });
    } catch (error) {
      setOutcome({ kind: 'refused', message: error instanceof Error ? error.message : String(error), status: error instanceof ApiError ? error.status : 0 });
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (name: keyof SendFields) =>
    errors[name] === undefined ? null : (
      <span id={`${id}-${name}-error`} className="field-error" data-testid={`send-error-${name}`}>
        {errors[name]}
      </span>
    );
  const describedBy = (name: keyof SendFields) => (errors[name] === undefined ? undefined : `${id}-${name}-error`);

  return (
    <section ref={sectionRef} className="admin-panel" aria-labelledby={`${id}-title`} data-testid="operator-send">
      <h2 id={`${id}-title`}>Send a test message</h2>
      <form className="send-form" onSubmit={submit} noValidate>
        <div className="form-grid">
          <div className="form-field">
            <label htmlFor={`${id}-hub`}>Hub</label>
            <select id={`${id}-hub`} value={hub} onChange={(event) => set('hub')(event.target.value)} data-testid="send-hub" aria-describedby={describedBy('hub')}>
              {hubs.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
            {fieldError('hub')}
          </div>
          <div className="form-field">
            <label htmlFor={`${id}-kind`}>To</label>
            <select id={`${id}-kind`} value={fields.targetKind} onChange={(event) => set('targetKind')(event.target.value)} data-testid="send-target-kind">
              {TARGET_KINDS.map((kind) => (
                <option key={kind} value={kind}>
                  {TARGET_LABELS[kind]}
                </option>
              ))}
            </select>
          </div>
          {fields.targetKind === 'all' ? null : (
            <div className="form-field">
              <label htmlFor={`${id}-target`}>{fields.targetKind === 'connection' ? 'Connection id' : fields.targetKind === 'user' ? 'User id' : 'Group'}</label>
              <input id={`${id}-target`} value={fields.targetValue} onChange={(event) => set('targetValue')(event.target.value)} aria-invalid={errors.targetValue === undefined ? undefined : true} aria-describedby={describedBy('targetValue')} data-testid="send-target" />
              {fieldError('targetValue')}
            </div>
          )}
          <div className="form-field">
            <label htmlFor={`${id}-method`}>Client method</label>
            <input ref={methodRef} id={`${id}-method`} value={fields.method} onChange={(event) => set('method')(event.target.value)} aria-invalid={errors.method === undefined ? undefined : true} aria-describedby={describedBy('method')} data-testid="send-method" />
            {fieldError('method')}
          </div>
        </div>
        <div className="form-field">
          <label htmlFor={`${id}-args`}>Arguments (a JSON array)</label>
          <textarea id={`${id}-args`} rows={3} spellCheck={false} value={fields.args} onChange={(event) => set('args')(event.target.value)} aria-invalid={errors.args === undefined ? undefined : true} aria-describedby={describedBy('args')} data-testid="send-args" />
          {fieldError('args')}
        </div>
        <button type="submit" disabled={busy || hubs.length === 0} data-testid="send-submit">
          {busy ? 'Sending…' : 'Send'}
        </button>
      </form>
      {outcome === undefined ? null : outcome.kind === 'sent' ? (
        <p className="notice" role="status" data-testid="send-receipt" data-recipients={outcome.receipt.recipients}>
          Sent <code>{outcome.receipt.method}</code> on <strong>{outcome.receipt.hub}</strong> to {outcome.receipt.recipients} connection{outcome.receipt.recipients === 1 ? '' : 's'}.
        </p>
      ) : (
        <p className="notice notice-error" role="alert" data-testid="send-refusal" data-status={outcome.status}>
          Refused{outcome.status === 0 ? '' : ` (${outcome.status})`}: {outcome.message}
        </p>
      )}
    </section>
  );
}
