/**
 * The broadcast forms: pick one of the admin REST broadcasts, fill its fields, send it with the
 * user's token; the answer (what was delivered, to which method and group) or the refusal (the
 * server's text, the field it names marked) is shown under the form. What is sent comes back to
 * this page through the hub like any other broadcast.
 * @module
 */
import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../api/rest';
import { useApi } from '../../api/use-api';
import { ADMIN_REST_BASE, BROADCASTS, broadcastAt, buildBody, initialValues, type Broadcast, type BroadcastField } from './broadcasts';

type Outcome = { readonly kind: 'sent'; readonly answer: unknown } | { readonly kind: 'refused'; readonly status: number; readonly message: string; readonly field: string | undefined } | undefined;

function Field({ field, value, error, onChange, formId }: { readonly field: BroadcastField; readonly value: string; readonly error: string | undefined; readonly onChange: (value: string) => void; readonly formId: string }) {
  const id = `${formId}-${field.name}`;
  const errorId = `${id}-error`;
  const common = {
    id,
    name: field.name,
    value,
    'aria-invalid': error === undefined ? undefined : true,
    'aria-describedby': error === undefined ? undefined : errorId,
    'data-testid': `broadcast-field-${field.name}`,
  } as const;
  return (
    <div className="form-field">
      <label htmlFor={id}>
        {field.label}
        {field.required === true ? <span aria-hidden="true"> *</span> : null}
      </label>
      {field.type === 'select' ? (
        <select {...common} required={field.required} onChange={(event) => onChange(event.target.value)}>
          {field.required === true ? null : <option value="">(server default)</option>}
          {field.options?.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      ) : field.type === 'json' ? (
        <textarea {...common} rows={2} placeholder={field.placeholder} spellCheck={false} onChange={(event) => onChange(event.target.value)} />
      ) : (
        <input {...common} type="text" inputMode={field.type === 'text' ? undefined : 'decimal'} placeholder={field.placeholder} onChange={(event) => onChange(event.target.value)} />
      )}
      {error === undefined ? null : (
        <span id={errorId} className="field-error" data-testid={`broadcast-error-${field.name}`}>
          {error}
        </span>
      )}
    </div>
  );
}

function BroadcastForm({ broadcast }: { readonly broadcast: Broadcast }) {
  const api = useApi();
  const formId = useId();
  const [values, setValues] = useState(() => initialValues(broadcast));
  const [errors, setErrors] = useState<Readonly<Record<string, string>>>({});
  const [outcome, setOutcome] = useState<Outcome>(undefined);
  const [sending, setSending] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const built = buildBody(broadcast, values);
    if (!built.ok) {
      setErrors(built.errors);
      setOutcome(undefined);
      return;
    }
    setErrors({});
    setSending(true);
    try {
      const answer = await api.post(`${ADMIN_REST_BASE}/${broadcast.path}`, built.body);
      setOutcome({ kind: 'sent', answer });
    } catch (error) {
      const refusal = error instanceof ApiError ? error : new ApiError(0, String(error));
      setOutcome({ kind: 'refused', status: refusal.status, message: refusal.message, field: refusal.field });
      if (refusal.field !== undefined && broadcast.fields.some((field) => field.name === refusal.field)) setErrors({ [refusal.field]: refusal.message });
    } finally {
      setSending(false);
    }
  };

  return (
    <form className="broadcast-form" onSubmit={submit} noValidate data-testid="broadcast-form" data-path={broadcast.path}>
      <p className="muted">
        <code>POST {ADMIN_REST_BASE}/{broadcast.path}</code> → <code>{broadcast.method}</code>
      </p>
      <div className="form-grid">
        {broadcast.fields.map((field) => (
          <Field key={field.name} field={field} formId={formId} value={values[field.name] ?? ''} error={errors[field.name]} onChange={(value) => setValues((current) => ({ ...current, [field.name]: value }))} />
        ))}
      </div>
      <button type="submit" disabled={sending} data-testid="broadcast-send">
        {sending ? 'Sending…' : `Send ${broadcast.title.toLowerCase()}`}
      </button>
      {outcome === undefined ? null : outcome.kind === 'sent' ? (
        <div className="notice" role="status" data-testid="broadcast-answer">
          <strong>Delivered.</strong>
          <pre className="answer">{JSON.stringify(outcome.answer, null, 2)}</pre>
        </div>
      ) : (
        <p className="notice notice-error" role="alert" data-testid="broadcast-refusal" data-status={outcome.status} data-field={outcome.field}>
          Refused{outcome.status === 0 ? '' : ` (${outcome.status})`}: {outcome.message}
        </p>
      )}
    </form>
  );
}

/** The picker and the form of the chosen broadcast. */
export function BroadcastPanel() {
  const [path, setPath] = useState(BROADCASTS[0]!.path);
  const broadcast = broadcastAt(path) ?? BROADCASTS[0]!;
  const pickerId = useId();
  return (
    <section className="admin-panel" aria-labelledby={`${pickerId}-title`} data-testid="broadcast-panel">
      <h2 id={`${pickerId}-title`}>Broadcast</h2>
      <div className="form-field">
        <label htmlFor={pickerId}>What to send</label>
        <select id={pickerId} value={path} onChange={(event) => setPath(event.target.value)} data-testid="broadcast-kind">
          {BROADCASTS.map((item) => (
            <option key={item.path} value={item.path}>
              {item.title}
            </option>
          ))}
        </select>
      </div>
      {/* A new form per broadcast: its own values, errors and answer. */}
      <BroadcastForm key={broadcast.path} broadcast={broadcast} />
    </section>
  );
}
