/**
 * The REST broadcasts of the admin feature (`POST /api/admin/realtime/…`, docs/rest-api.md
 * "Broadcasts, alerts and notifications"), one form each: its fields, and turning what was
 * typed into the request body. The browser checks what it can say at once (a required field,
 * a number, a JSON object); the rest — patterns, `active` ≤ `total`, lengths — is the server's,
 * whose 400 the form shows with the field it names.
 * @module
 */

/** How a field is typed and read. */
export type FieldType = 'text' | 'number' | 'integer' | 'select' | 'json';

/** One field of a broadcast form. */
export interface BroadcastField {
  readonly name: string;
  readonly label: string;
  readonly type: FieldType;
  readonly required?: boolean;
  /** A select's choices (an optional select also offers "server default"). */
  readonly options?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** What the empty field shows. */
  readonly placeholder?: string;
  /** The value the form starts with. */
  readonly initial?: string;
}

/** One broadcast endpoint and its form. */
export interface Broadcast {
  /** The path under `/api/admin/realtime/`. */
  readonly path: string;
  readonly title: string;
  /** The client method the hub calls with the payload (what comes back to this page). */
  readonly method: string;
  readonly fields: readonly BroadcastField[];
}

/** The base path of the admin REST API. */
export const ADMIN_REST_BASE = '/api/admin/realtime';

const alertFields: readonly BroadcastField[] = [
  { name: 'title', label: 'Title', type: 'text', required: true, initial: 'Disk space low' },
  { name: 'message', label: 'Message', type: 'text', required: true, initial: 'The volume /data is 91 % full.' },
  { name: 'source', label: 'Source', type: 'text', placeholder: 'e.g. storage-monitor' },
];

/** Every broadcast, in the order the picker lists them. */
export const BROADCASTS: readonly Broadcast[] = [
  { path: 'alert', title: 'Alert', method: 'ReceiveAlert', fields: [{ name: 'severity', label: 'Severity', type: 'select', options: ['info', 'warning', 'error', 'success'], initial: 'info' }, ...alertFields] },
  { path: 'alert/warning', title: 'Warning alert', method: 'ReceiveAlert', fields: alertFields },
  { path: 'alert/error', title: 'Error alert', method: 'ReceiveAlert', fields: alertFields },
  {
    path: 'alert/performance',
    title: 'Performance alert',
    method: 'ReceivePerformanceAlert',
    fields: [
      { name: 'metric', label: 'Metric', type: 'text', required: true, initial: 'p99 latency' },
      { name: 'value', label: 'Value', type: 'number', required: true, initial: '820' },
      { name: 'threshold', label: 'Threshold', type: 'number', required: true, initial: '500' },
      { name: 'unit', label: 'Unit', type: 'text', initial: 'ms' },
      { name: 'severity', label: 'Severity', type: 'select', options: ['warning', 'error'] },
      { name: 'message', label: 'Message', type: 'text', placeholder: 'default: "<metric> is <value> (threshold …)"' },
    ],
  },
  {
    path: 'broadcast/platform-update',
    title: 'Platform status',
    method: 'ReceivePlatformStatus',
    fields: [
      { name: 'status', label: 'Status', type: 'select', required: true, options: ['operational', 'degraded', 'maintenance', 'outage'], initial: 'degraded' },
      { name: 'message', label: 'Message', type: 'text', initial: 'Search is slow.' },
      { name: 'components', label: 'Components (JSON object)', type: 'json', placeholder: '{"search": "degraded"}' },
    ],
  },
  {
    path: 'broadcast/user-count',
    title: 'User count',
    method: 'ReceiveUserCount',
    fields: [
      { name: 'total', label: 'Total', type: 'integer', required: true, min: 0, initial: '1200' },
      { name: 'active', label: 'Active', type: 'integer', required: true, min: 0, initial: '340' },
      { name: 'newToday', label: 'New today', type: 'integer', min: 0 },
    ],
  },
  {
    path: 'broadcast/analytics',
    title: 'Analytics',
    method: 'ReceiveAnalytics',
    fields: [
      { name: 'metrics', label: 'Metrics (JSON object of numbers)', type: 'json', required: true, initial: '{"pageViews": 1520, "sessions": 310}' },
      { name: 'period', label: 'Period', type: 'text', placeholder: 'e.g. 1h' },
    ],
  },
  {
    path: 'broadcast/generation-metrics',
    title: 'Generation metrics',
    method: 'ReceiveGenerationMetrics',
    fields: [
      { name: 'totalGenerations', label: 'Total generations', type: 'integer', required: true, min: 0, initial: '5400' },
      { name: 'successRate', label: 'Success rate (0–1)', type: 'number', required: true, min: 0, max: 1, initial: '0.97' },
      { name: 'averageDurationMs', label: 'Average duration (ms)', type: 'number', required: true, min: 0, initial: '1800' },
      { name: 'activeJobs', label: 'Active jobs', type: 'integer', min: 0 },
      { name: 'model', label: 'Model', type: 'text' },
    ],
  },
  {
    path: 'broadcast/revenue',
    title: 'Revenue',
    method: 'ReceiveRevenueUpdate',
    fields: [
      { name: 'amount', label: 'Amount', type: 'number', required: true, min: 0, initial: '12500' },
      { name: 'currency', label: 'Currency', type: 'text', placeholder: 'USD' },
      { name: 'period', label: 'Period', type: 'select', options: ['hour', 'day', 'week', 'month', 'year'] },
      { name: 'changePercent', label: 'Change (%)', type: 'number' },
    ],
  },
  {
    path: 'notify/user-action',
    title: 'User action',
    method: 'ReceiveUserAction',
    fields: [
      { name: 'userId', label: 'User id', type: 'text', required: true, initial: 'john.doe' },
      { name: 'userName', label: 'User name', type: 'text', initial: 'John Doe' },
      { name: 'action', label: 'Action', type: 'text', required: true, initial: 'exported a report' },
      { name: 'details', label: 'Details (JSON object)', type: 'json' },
    ],
  },
  {
    path: 'notify/role-assignment',
    title: 'Role assignment',
    method: 'ReceiveRoleAssignment',
    fields: [
      { name: 'userId', label: 'User id', type: 'text', required: true, initial: 'jane.smith' },
      { name: 'role', label: 'Role', type: 'text', required: true, initial: 'editor' },
      { name: 'action', label: 'Action', type: 'select', options: ['granted', 'revoked'] },
      { name: 'assignedBy', label: 'Assigned by', type: 'text', placeholder: 'default: you' },
    ],
  },
  {
    path: 'notify/system-event',
    title: 'System event',
    method: 'ReceiveSystemEvent',
    fields: [
      { name: 'eventType', label: 'Event type', type: 'text', required: true, initial: 'deploy' },
      { name: 'message', label: 'Message', type: 'text', required: true, initial: 'Version 1.4.2 is rolling out.' },
      { name: 'severity', label: 'Severity', type: 'select', options: ['info', 'warning', 'error'] },
      { name: 'source', label: 'Source', type: 'text' },
    ],
  },
];

/** The broadcast at `path`. */
export function broadcastAt(path: string): Broadcast | undefined {
  return BROADCASTS.find((broadcast) => broadcast.path === path);
}

/** The values a form starts with. */
export function initialValues(broadcast: Broadcast): Record<string, string> {
  return Object.fromEntries(broadcast.fields.map((field) => [field.name, field.initial ?? '']));
}

/** The body to send, or what is wrong per field. */
export type BodyResult = { readonly ok: true; readonly body: Record<string, unknown> } | { readonly ok: false; readonly errors: Readonly<Record<string, string>> };

function readNumber(field: BroadcastField, text: string): number | string {
  const value = Number(text);
  if (!Number.isFinite(value)) return `${field.label} must be a number.`;
  if (field.type === 'integer' && !Number.isInteger(value)) return `${field.label} must be a whole number.`;
  if (field.min !== undefined && value < field.min) return `${field.label} must be at least ${field.min}.`;
  if (field.max !== undefined && value > field.max) return `${field.label} must be at most ${field.max}.`;
  return value;
}

function readJsonObject(field: BroadcastField, text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `${field.label.replace(/ \(.*\)$/, '')} is not valid JSON.`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${field.label.replace(/ \(.*\)$/, '')} must be a JSON object ({…}).`;
  return value as Record<string, unknown>;
}

/**
 * The request body of `broadcast` from the typed `values`: empty optional fields left out (the
 * server's defaults apply), text trimmed, numbers and JSON parsed.
 */
export function buildBody(broadcast: Broadcast, values: Readonly<Record<string, string>>): BodyResult {
  const body: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of broadcast.fields) {
    const text = (values[field.name] ?? '').trim();
    if (text === '') {
      if (field.required === true) errors[field.name] = `${field.label.replace(/ \(.*\)$/, '')} is required.`;
      continue;
    }
    if (field.type === 'number' || field.type === 'integer') {
      const value = readNumber(field, text);
      if (typeof value === 'string') errors[field.name] = value;
      else body[field.name] = value;
    } else if (field.type === 'json') {
      const value = readJsonObject(field, text);
      if (typeof value === 'string') errors[field.name] = value;
      else body[field.name] = value;
    } else if (field.type === 'select' && field.options !== undefined && !field.options.includes(text)) {
      errors[field.name] = `${field.label} must be one of ${field.options.join(', ')}.`;
    } else {
      body[field.name] = text;
    }
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, body };
}
