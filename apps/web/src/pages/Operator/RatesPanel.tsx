/**
 * Message, invocation, error and slow-consumer rates and connections over time, from the
 * operator's sampler (`GET /api/operator/series`, polled), for all hubs or one.
 * @module
 */
import { useId, useMemo, useState } from 'react';
import { TimeChart } from '../../components/charts/TimeChart';
import type { Series } from './operator-api';
import { CONNECTION_KEYS, ratesWindow, TRAFFIC_KEYS, TROUBLE_KEYS } from './rates';

const LABELS = {
  messagesIn: { label: 'messages in /s' },
  messagesOut: { label: 'messages out /s' },
  invocations: { label: 'invocations /s' },
  invocationErrors: { label: 'invocation errors /s' },
  slowConsumerActions: { label: 'slow-consumer actions /s' },
  connections: { label: 'connections' },
};

/** The rate charts of `series`. */
export function RatesPanel({ series, error }: { readonly series: Series | undefined; readonly error: string | undefined }) {
  const [path, setPath] = useState<string>('');
  const selectId = useId();
  const hub = path === '' ? undefined : path;
  const traffic = useMemo(() => ratesWindow(series, TRAFFIC_KEYS, hub), [series, hub]);
  const trouble = useMemo(() => ratesWindow(series, TROUBLE_KEYS, hub), [series, hub]);
  const connections = useMemo(() => ratesWindow(series, CONNECTION_KEYS, hub), [series, hub]);
  const waiting = series === undefined ? 'Loading…' : `No sample yet: the server samples every ${series.intervalSeconds} s.`;
  return (
    <section className="admin-panel" aria-labelledby={`${selectId}-title`} data-testid="operator-rates">
      <div className="panel-head">
        <h2 id={`${selectId}-title`}>Rates over time</h2>
        <div className="inline-field">
          <label htmlFor={selectId}>Hub</label>
          <select id={selectId} value={path} onChange={(event) => setPath(event.target.value)} data-testid="rates-hub">
            <option value="">All hubs</option>
            {series?.hubs.map((item) => (
              <option key={item.path} value={item.path}>
                {item.hub}
              </option>
            ))}
          </select>
        </div>
      </div>
      {error === undefined ? null : (
        <p className="notice notice-error" role="alert">
          The series could not be read: {error}
        </p>
      )}
      <div className="charts-grid">
        <TimeChart title="Messages and invocations" window={traffic} styles={LABELS} testId="rates-traffic" empty={waiting} />
        <TimeChart title="Errors and slow consumers" window={trouble} styles={LABELS} testId="rates-trouble" empty={waiting} />
        <TimeChart title="Connections" window={connections} styles={LABELS} testId="rates-connections" empty={waiting} />
      </div>
      {series === undefined ? null : <p className="muted">A point every {series.intervalSeconds} s over the last {Math.round(series.windowSeconds / 60)} min, per second over its interval.</p>}
    </section>
  );
}
