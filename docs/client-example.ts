/**
 * A TypeScript client of the Hubwire demo server with the official `@microsoft/signalr` client:
 * demo login, automatic reconnect that never gives up, a campaign followed through snapshot +
 * sequence numbers (consistent across reconnects), organization notifications re-joined after
 * every reconnect, and the live event feed.
 *
 * Run it against `npm start`:
 *
 *   npx tsx docs/client-example.ts                 # http://127.0.0.1:5000
 *   npx tsx docs/client-example.ts http://host:5000
 *
 * The exported pieces are what you would copy into an application; the test suite runs them
 * (test/server-modules/client-example.test.ts), and `npm run typecheck` checks this file.
 */
import * as signalR from '@microsoft/signalr';
import { pathToFileURL } from 'node:url';

// ---- the messages (see docs/hubs.md) ----------------------------------------------------------

export type CampaignState = 'created' | 'planning' | 'generating' | 'reviewing' | 'auditing' | 'completed' | 'cancelled';
export type AuditStatus = 'not-started' | 'in-progress' | 'passed';

export interface Artifact {
  artifactId: string;
  kind: string;
  title: string;
  status: 'planned' | 'generating' | 'completed' | 'cancelled';
  progress: number;
  updatedAt: string;
}

export interface OrchestrationEvent {
  campaignId: string;
  sequence: number;
  eventType: 'CampaignCreated' | 'StateChanged' | 'AuditCompleted' | 'CampaignCompleted' | 'CampaignCancelled';
  state: CampaignState;
  previousState: CampaignState | null;
  auditStatus: AuditStatus;
  message: string;
  timestamp: string;
}

export interface ArtifactUpdate {
  campaignId: string;
  sequence: number;
  artifact: Artifact;
  timestamp: string;
}

export interface CampaignSnapshot {
  campaignId: string;
  currentState: CampaignState;
  completedArtifacts: Artifact[];
  pendingArtifacts: Artifact[];
  auditStatus: AuditStatus;
  lastEventSequence: number;
  timestamp: string;
}

export interface CancellationAcknowledgement {
  campaignId: string;
  cancellationSequence: number;
  state: 'cancelled';
  requestedBy: string;
  reason: string | null;
  acknowledgedAt: string;
}

/** Every Synaxis notification has this envelope; the rest depends on `type`. */
export interface SynaxisNotification {
  notificationId: string;
  organizationId: string;
  type: 'ProviderHealthChanged' | 'CostOptimizationApplied' | 'ModelDiscovered' | 'SecurityAlert' | 'AuditEvent';
  timestamp: string;
  [field: string]: unknown;
}

export interface MockEvent {
  type: 'NewOrder' | 'StockUpdate' | 'UserActivity' | 'SystemLog' | 'Notification';
  title: string;
  payload: Record<string, unknown>;
  timestamp: string;
}

// ---- tokens and connections ---------------------------------------------------------------------

/** Where the example writes what happens (replace `log` to silence it). */
export const output = { log: (line: string): void => console.log(line) };

/** Logs in a demo user (`POST /api/auth/token`) and renews the token shortly before it expires. */
export class DemoLogin {
  readonly baseUrl: string;
  readonly username: string;
  readonly #password: string;
  #token: string | undefined;
  #expiresAt = 0;

  constructor(baseUrl: string, username: string, password = 'demo') {
    this.baseUrl = baseUrl;
    this.username = username;
    this.#password = password;
  }

  /** A valid access token (what `accessTokenFactory` returns; it is called on every (re)connect). */
  async token(): Promise<string> {
    if (this.#token === undefined || Date.now() > this.#expiresAt - 60_000) {
      const response = await fetch(`${this.baseUrl}/api/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: this.username, password: this.#password }),
      });
      if (!response.ok) throw new Error(`login of ${this.username} failed: ${response.status}`);
      const body = (await response.json()) as { accessToken: string; expiresAt: string };
      this.#token = body.accessToken;
      this.#expiresAt = Date.parse(body.expiresAt);
    }
    return this.#token;
  }
}

/** Reconnect delays: 0 s, 1 s, 2 s, 4 s, then every 10 s, for as long as it takes. */
export const retryForever: signalR.IRetryPolicy = {
  nextRetryDelayInMilliseconds: ({ previousRetryCount }) => (previousRetryCount === 0 ? 0 : Math.min(1000 * 2 ** (previousRetryCount - 1), 10_000)),
};

/**
 * A connection with automatic reconnect. Note what survives a reconnect: the handlers registered
 * with `on`, nothing else. The connection id changes and group memberships are gone, so
 * subscriptions must be made again in `onreconnected` (the helpers below do).
 */
export function hubConnection(baseUrl: string, path: string, login?: DemoLogin, logLevel = signalR.LogLevel.Warning): signalR.HubConnection {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(`${baseUrl}${path}`, login === undefined ? {} : { accessTokenFactory: () => login.token() })
    .withAutomaticReconnect(retryForever)
    .configureLogging(logLevel)
    .build();
  connection.onreconnecting((error) => output.log(`[${path}] reconnecting${error ? ` (${error.message})` : ''}`));
  connection.onreconnected(() => output.log(`[${path}] reconnected as ${connection.connectionId}`));
  connection.onclose((error) => output.log(`[${path}] closed${error ? ` (${error.message})` : ''}`));
  return connection;
}

/**
 * Starts a connection, retrying until it works (automatic reconnect only covers connections
 * that were up once).
 */
export async function startWithRetry(connection: signalR.HubConnection, signal?: AbortSignal): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await connection.start();
      return;
    } catch (error) {
      if (signal?.aborted) throw error;
      const delay = retryForever.nextRetryDelayInMilliseconds({ previousRetryCount: attempt, elapsedMilliseconds: 0, retryReason: error as Error }) ?? 10_000;
      output.log(`start failed (${(error as Error).message}); retrying in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

// ---- a campaign, consistent across reconnects -----------------------------------------------------

/** The client-side state of a campaign: a snapshot with later events applied. */
export interface CampaignView {
  campaignId: string;
  state: CampaignState;
  auditStatus: AuditStatus;
  lastEventSequence: number;
  /** By artifact id, in plan order. */
  artifacts: Map<string, Artifact>;
}

/**
 * Follows one campaign on `/hubs/campaigns`. `SubscribeToCampaign` joins the campaign's group and
 * returns a snapshot; events that arrive before the snapshot are buffered, and only events with a
 * higher sequence number than the snapshot's `lastEventSequence` are applied, one by one. A gap
 * (a sequence number skipped) or a reconnect means: subscribe again and start from the new snapshot.
 */
export class CampaignFollower {
  view: CampaignView | undefined;
  readonly #connection: signalR.HubConnection;
  readonly #campaignId: string;
  readonly #onChange: (view: CampaignView, cause: string) => void;
  #buffer: (OrchestrationEvent | ArtifactUpdate)[] = [];
  #resyncing: Promise<void> | undefined;

  constructor(connection: signalR.HubConnection, campaignId: string, onChange: (view: CampaignView, cause: string) => void = () => {}) {
    this.#connection = connection;
    this.#campaignId = campaignId;
    this.#onChange = onChange;
    connection.on('ReceiveOrchestrationEvent', (event: OrchestrationEvent) => this.#receive(event));
    connection.on('ReceiveArtifactUpdate', (update: ArtifactUpdate) => this.#receive(update));
    connection.on('ReceiveCancellationAcknowledgement', (ack: CancellationAcknowledgement) => {
      if (ack.campaignId === campaignId) output.log(`cancelled by ${ack.requestedBy} at event #${ack.cancellationSequence}`);
    });
    connection.onreconnected(() => this.#resyncInBackground('reconnected'));
  }

  /** Subscribes (again) and rebuilds the view from the returned snapshot plus buffered events. */
  resync(cause = 'subscribed'): Promise<void> {
    this.#resyncing ??= (async () => {
      try {
        this.#buffer = [];
        const snapshot = await this.#connection.invoke<CampaignSnapshot>('SubscribeToCampaign', this.#campaignId);
        const artifacts = [...snapshot.completedArtifacts, ...snapshot.pendingArtifacts].sort((a, b) => artifactNumber(a) - artifactNumber(b));
        this.view = {
          campaignId: snapshot.campaignId,
          state: snapshot.currentState,
          auditStatus: snapshot.auditStatus,
          lastEventSequence: snapshot.lastEventSequence,
          artifacts: new Map(artifacts.map((artifact) => [artifact.artifactId, artifact])),
        };
        this.#onChange(this.view, `snapshot (${cause})`);
      } finally {
        this.#resyncing = undefined;
      }
      const buffered = this.#buffer;
      this.#buffer = [];
      for (const message of buffered.sort((a, b) => a.sequence - b.sequence)) this.#receive(message);
    })();
    return this.#resyncing;
  }

  /** A resync nobody awaits: report failures (e.g. the campaign is gone after a server restart). */
  #resyncInBackground(cause: string): void {
    this.resync(cause).catch((error: Error) => output.log(`[campaign] cannot follow ${this.#campaignId} any more: ${error.message}`));
  }

  #receive(message: OrchestrationEvent | ArtifactUpdate): void {
    if (message.campaignId !== this.#campaignId) return;
    const view = this.view;
    if (this.#resyncing !== undefined || view === undefined) {
      this.#buffer.push(message);
      return;
    }
    if (message.sequence <= view.lastEventSequence) return; // already in the snapshot
    if (message.sequence !== view.lastEventSequence + 1) {
      this.#resyncInBackground(`gap before #${message.sequence}`);
      return;
    }
    view.lastEventSequence = message.sequence;
    if ('artifact' in message) {
      view.artifacts.set(message.artifact.artifactId, message.artifact);
      this.#onChange(view, `${message.artifact.title}: ${message.artifact.status}`);
    } else {
      view.state = message.state;
      view.auditStatus = message.auditStatus;
      this.#onChange(view, message.message);
    }
  }
}

function artifactNumber(artifact: Artifact): number {
  return Number(/-a(\d+)$/.exec(artifact.artifactId)?.[1] ?? 0);
}

/** Completed and pending artifacts of a view, as a snapshot lists them. */
export function summarize(view: CampaignView): { completed: number; pending: number } {
  const artifacts = [...view.artifacts.values()];
  return {
    completed: artifacts.filter((artifact) => artifact.status === 'completed').length,
    pending: artifacts.filter((artifact) => artifact.status === 'planned' || artifact.status === 'generating').length,
  };
}

// ---- organization notifications ------------------------------------------------------------------

const NOTIFICATION_TYPES = ['ProviderHealthChanged', 'CostOptimizationApplied', 'ModelDiscovered', 'SecurityAlert', 'AuditEvent'] as const;

/** Joins organizations on `/hubs/synaxis` (JWT required) and joins them again after every reconnect. */
export class OrganizationMember {
  readonly #connection: signalR.HubConnection;
  readonly #organizations = new Set<string>();

  constructor(connection: signalR.HubConnection, onNotification: (notification: SynaxisNotification) => void) {
    this.#connection = connection;
    for (const type of NOTIFICATION_TYPES) connection.on(type, onNotification);
    connection.onreconnected(async () => {
      for (const id of this.#organizations) {
        await connection.invoke('JoinOrganization', id).catch((error: Error) => output.log(`re-join ${id} failed: ${error.message}`));
      }
    });
  }

  /** Rejects with the server's HubError for an organization the user is not a member of. */
  async join(organizationId: string): Promise<void> {
    await this.#connection.invoke('JoinOrganization', organizationId);
    this.#organizations.add(organizationId);
  }

  async leave(organizationId: string): Promise<void> {
    this.#organizations.delete(organizationId);
    await this.#connection.invoke('LeaveOrganization', organizationId);
  }
}

// ---- the demo -----------------------------------------------------------------------------------

async function main(baseUrl: string): Promise<void> {
  const jane = new DemoLogin(baseUrl, 'jane.smith');

  const events = hubConnection(baseUrl, '/hubs/events');
  events.on('Connected', (info: { message: string }) => console.log(`[events] ${info.message}`));
  events.on('ReceiveEvent', (event: MockEvent) => console.log(`[events] ${event.type}: ${event.title}`));

  const synaxis = hubConnection(baseUrl, '/hubs/synaxis', jane);
  const member = new OrganizationMember(synaxis, (notification) => console.log(`[synaxis] ${notification.organizationId} ${notification.type}`));

  const campaigns = hubConnection(baseUrl, '/hubs/campaigns');
  await Promise.all([startWithRetry(events), startWithRetry(synaxis), startWithRetry(campaigns)]);
  await member.join('acme');
  await member.join('globex').catch((error: Error) => console.log(`[synaxis] as expected: ${error.message}`));

  const response = await fetch(`${baseUrl}/api/campaigns`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await jane.token()}` },
    body: JSON.stringify({ name: 'Client example', artifactCount: 3 }),
  });
  const { campaignId } = (await response.json()) as { campaignId: string };
  const done = new Promise<void>((resolve, reject) => {
    const follower = new CampaignFollower(campaigns, campaignId, (view, cause) => {
      const { completed, pending } = summarize(view);
      console.log(`[campaign] #${view.lastEventSequence} ${view.state} (${completed} done, ${pending} pending): ${cause}`);
      if (view.state === 'completed' || view.state === 'cancelled') resolve();
    });
    follower.resync().catch(reject);
  });
  await done;
  console.log('campaign finished; still listening for events and notifications (Ctrl+C to stop)');
  process.once('SIGINT', () => void Promise.all([events.stop(), synaxis.stop(), campaigns.stop()]).then(() => process.exit(0)));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv[2] ?? 'http://127.0.0.1:5000');
}
