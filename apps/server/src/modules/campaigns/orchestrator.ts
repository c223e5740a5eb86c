/**
 * The campaign store and its simulated orchestration runs. This is the only place that changes a
 * campaign: each change assigns the campaign's next sequence number, mutates the state and hands
 * the message to the publisher in one synchronous step, so a snapshot (taken synchronously too)
 * always names exactly the events it includes.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from 'hubwire';
import {
  isFinal,
  type Artifact,
  type ArtifactStatus,
  type ArtifactUpdate,
  type AuditStatus,
  type CampaignDetails,
  type CampaignSnapshot,
  type CampaignState,
  type CancellationAcknowledgement,
  type OrchestrationEvent,
  type OrchestrationEventType,
} from './model.js';

/** Where the orchestrator's messages go (the hub's group of the campaign, in the server). */
export interface CampaignPublisher {
  orchestrationEvent(event: OrchestrationEvent): void;
  artifactUpdate(update: ArtifactUpdate): void;
  cancellationAcknowledged(acknowledgement: CancellationAcknowledgement): void;
}

/** Options of {@link CampaignOrchestrator}. */
export interface CampaignOrchestratorOptions {
  readonly publisher: CampaignPublisher;
  /** Time between two steps of a run (ms). */
  readonly stepMs: number;
  /** Schedules the steps and stamps the messages. Default: the system clock. */
  readonly clock?: Clock;
  /** Run the steps on the clock (default); false leaves stepping to {@link CampaignOrchestrator.step}. */
  readonly autoRun?: boolean;
  /** Campaigns kept in memory; beyond it the oldest ended ones are forgotten. Default 500. */
  readonly maxCampaigns?: number;
  /** Runs that may be in progress at once; more are refused. Default 100. */
  readonly maxActiveRuns?: number;
  readonly newId?: () => string;
}

/** What creating a campaign needs. */
export interface NewCampaign {
  readonly name: string;
  /** How many artifacts the run produces (1 to 12). */
  readonly artifactCount: number;
  readonly createdBy: string;
}

/** A campaign cannot be created now: too many runs in progress (429) or shutting down (503). */
export class CampaignRefused extends Error {
  override readonly name = 'CampaignRefused';
  readonly status: 429 | 503;
  constructor(status: 429 | 503, message: string) {
    super(message);
    this.status = status;
  }
}

/** The outcome of a cancel request. */
export type CancelOutcome =
  | { readonly kind: 'cancelled'; readonly acknowledgement: CancellationAcknowledgement }
  | { readonly kind: 'ended'; readonly state: CampaignState }
  | { readonly kind: 'not-found' };

const ARTIFACT_KINDS = [
  ['creative-brief', 'Creative brief'],
  ['headline-set', 'Headline set'],
  ['ad-copy', 'Ad copy'],
  ['hero-image', 'Hero image'],
  ['landing-page', 'Landing page'],
  ['email-sequence', 'Email sequence'],
  ['social-posts', 'Social posts'],
  ['video-script', 'Video script'],
] as const;

/** One step of a run, applied by {@link CampaignOrchestrator.step}. */
type Step =
  | { readonly kind: 'state'; readonly to: CampaignState; readonly eventType: OrchestrationEventType; readonly auditStatus?: AuditStatus; readonly message: string }
  | { readonly kind: 'plan' }
  | { readonly kind: 'artifact'; readonly index: number; readonly status: ArtifactStatus; readonly progress: number }
  | { readonly kind: 'audit-passed' };

interface Campaign {
  readonly id: string;
  readonly name: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly artifactCount: number;
  state: CampaignState;
  auditStatus: AuditStatus;
  /** In plan order; empty until planning is done. */
  artifacts: Artifact[];
  sequence: number;
  endedAt: number | undefined;
  readonly steps: Step[];
  timer: TimerHandle | undefined;
}

/** Creates campaigns, runs their simulated orchestration and answers snapshots. */
export class CampaignOrchestrator {
  readonly #campaigns = new Map<string, Campaign>();
  readonly #publisher: CampaignPublisher;
  readonly #clock: Clock;
  readonly #stepMs: number;
  readonly #autoRun: boolean;
  readonly #maxCampaigns: number;
  readonly #maxActiveRuns: number;
  readonly #newId: () => string;
  #stopped = false;

  constructor(options: CampaignOrchestratorOptions) {
    if (!Number.isFinite(options.stepMs) || options.stepMs <= 0) throw new RangeError(`stepMs must be a positive number; got ${options.stepMs}.`);
    this.#publisher = options.publisher;
    this.#clock = options.clock ?? systemClock;
    this.#stepMs = options.stepMs;
    this.#autoRun = options.autoRun ?? true;
    this.#maxCampaigns = options.maxCampaigns ?? 500;
    this.#maxActiveRuns = options.maxActiveRuns ?? 100;
    this.#newId = options.newId ?? randomUUID;
  }

  /** Creates a campaign (its `CampaignCreated` event is sequence 1) and starts its run. */
  create(input: NewCampaign): CampaignDetails {
    if (this.#stopped) throw new CampaignRefused(503, 'The server is shutting down.');
    if (this.activeRuns() >= this.#maxActiveRuns) throw new CampaignRefused(429, `At most ${this.#maxActiveRuns} campaigns may run at once.`);
    const campaign: Campaign = {
      id: this.#newId(),
      name: input.name,
      createdBy: input.createdBy,
      createdAt: this.#clock.now(),
      artifactCount: input.artifactCount,
      state: 'created',
      auditStatus: 'not-started',
      artifacts: [],
      sequence: 0,
      endedAt: undefined,
      steps: planSteps(input.artifactCount),
      timer: undefined,
    };
    this.#campaigns.set(campaign.id, campaign);
    this.#evict();
    this.#changeState(campaign, { kind: 'state', to: 'created', eventType: 'CampaignCreated', message: `Campaign '${campaign.name}' created.` }, null);
    this.#schedule(campaign);
    return this.#details(campaign);
  }

  /** The campaign's details, or undefined for an unknown id. */
  get(campaignId: string): CampaignDetails | undefined {
    const campaign = this.#campaigns.get(campaignId);
    return campaign && this.#details(campaign);
  }

  /** True if the campaign exists. */
  has(campaignId: string): boolean {
    return this.#campaigns.has(campaignId);
  }

  /** The campaign's state as of its latest event, or undefined for an unknown id. */
  snapshot(campaignId: string): CampaignSnapshot | undefined {
    const campaign = this.#campaigns.get(campaignId);
    return campaign && this.#snapshot(campaign);
  }

  /** Every known campaign, newest first. */
  list(): CampaignDetails[] {
    return [...this.#campaigns.values()].reverse().map((campaign) => this.#details(campaign));
  }

  /** Runs in progress. */
  activeRuns(): number {
    let count = 0;
    for (const campaign of this.#campaigns.values()) if (!isFinal(campaign.state)) count += 1;
    return count;
  }

  /**
   * Cancels a running campaign: pending artifacts get a `cancelled` update, then a
   * `CampaignCancelled` event, then the acknowledgement goes to the subscribers.
   */
  cancel(campaignId: string, request: { readonly requestedBy: string; readonly reason: string | null }): CancelOutcome {
    const campaign = this.#campaigns.get(campaignId);
    if (campaign === undefined) return { kind: 'not-found' };
    if (isFinal(campaign.state)) return { kind: 'ended', state: campaign.state };
    campaign.timer?.cancel();
    campaign.timer = undefined;
    campaign.steps.length = 0;
    campaign.artifacts.forEach((artifact, index) => {
      if (artifact.status === 'planned' || artifact.status === 'generating') this.#updateArtifact(campaign, index, 'cancelled', artifact.progress);
    });
    const reason = request.reason === null ? '' : ` (${request.reason})`;
    const event = this.#changeState(campaign, { kind: 'state', to: 'cancelled', eventType: 'CampaignCancelled', message: `Cancelled by ${request.requestedBy}${reason}.` });
    const acknowledgement: CancellationAcknowledgement = {
      campaignId,
      cancellationSequence: event.sequence,
      state: 'cancelled',
      requestedBy: request.requestedBy,
      reason: request.reason,
      acknowledgedAt: event.timestamp,
    };
    this.#publisher.cancellationAcknowledged(acknowledgement);
    return { kind: 'cancelled', acknowledgement };
  }

  /**
   * Applies the next step of a run now (what the timer does every `stepMs`). Returns false when
   * the run has ended or the id is unknown. Tests with `autoRun: false` drive runs with it.
   */
  step(campaignId: string): boolean {
    const campaign = this.#campaigns.get(campaignId);
    if (campaign === undefined || isFinal(campaign.state)) return false;
    const step = campaign.steps.shift();
    if (step === undefined) return false;
    switch (step.kind) {
      case 'state':
        this.#changeState(campaign, step);
        break;
      case 'plan':
        campaign.artifacts = Array.from({ length: campaign.artifactCount }, (_, index) => {
          const [kind, label] = ARTIFACT_KINDS[index % ARTIFACT_KINDS.length]!;
          const round = Math.floor(index / ARTIFACT_KINDS.length);
          return {
            artifactId: `${campaign.id}-a${index + 1}`,
            kind,
            title: round === 0 ? `${campaign.name}: ${label}` : `${campaign.name}: ${label} ${round + 1}`,
            status: 'planned',
            progress: 0,
            updatedAt: '',
          };
        });
        for (let index = 0; index < campaign.artifacts.length; index++) this.#updateArtifact(campaign, index, 'planned', 0);
        break;
      case 'artifact':
        this.#updateArtifact(campaign, step.index, step.status, step.progress);
        break;
      case 'audit-passed':
        this.#emitEvent(campaign, 'AuditCompleted', campaign.state, 'passed', 'Compliance audit passed: no findings.');
        break;
    }
    return !isFinal(campaign.state);
  }

  /** Stops every run's timer (graceful shutdown); campaigns stay readable. */
  stop(): void {
    this.#stopped = true;
    for (const campaign of this.#campaigns.values()) {
      campaign.timer?.cancel();
      campaign.timer = undefined;
    }
  }

  #schedule(campaign: Campaign): void {
    if (!this.#autoRun || this.#stopped || isFinal(campaign.state)) return;
    campaign.timer = this.#clock.setTimeout(() => {
      campaign.timer = undefined;
      if (this.step(campaign.id)) this.#schedule(campaign);
    }, this.#stepMs);
  }

  // The three mutators below are the only code that assigns sequence numbers.

  #changeState(campaign: Campaign, step: Extract<Step, { kind: 'state' }>, previous: CampaignState | null = campaign.state): OrchestrationEvent {
    if (isFinal(step.to)) campaign.endedAt = this.#clock.now();
    return this.#emitEvent(campaign, step.eventType, step.to, step.auditStatus ?? campaign.auditStatus, step.message, previous);
  }

  #emitEvent(
    campaign: Campaign,
    eventType: OrchestrationEventType,
    state: CampaignState,
    auditStatus: AuditStatus,
    message: string,
    previousState: CampaignState | null = campaign.state,
  ): OrchestrationEvent {
    campaign.sequence += 1;
    campaign.state = state;
    campaign.auditStatus = auditStatus;
    const event: OrchestrationEvent = {
      campaignId: campaign.id,
      sequence: campaign.sequence,
      eventType,
      state,
      previousState,
      auditStatus,
      message,
      timestamp: this.#timestamp(),
    };
    this.#publisher.orchestrationEvent(event);
    return event;
  }

  #updateArtifact(campaign: Campaign, index: number, status: ArtifactStatus, progress: number): ArtifactUpdate {
    const current = campaign.artifacts[index];
    if (current === undefined) throw new RangeError(`Campaign ${campaign.id} has no artifact ${index}.`);
    const timestamp = this.#timestamp();
    const artifact: Artifact = { ...current, status, progress, updatedAt: timestamp };
    campaign.sequence += 1;
    campaign.artifacts[index] = artifact;
    const update: ArtifactUpdate = { campaignId: campaign.id, sequence: campaign.sequence, artifact, timestamp };
    this.#publisher.artifactUpdate(update);
    return update;
  }

  #snapshot(campaign: Campaign): CampaignSnapshot {
    return {
      campaignId: campaign.id,
      currentState: campaign.state,
      completedArtifacts: campaign.artifacts.filter((artifact) => artifact.status === 'completed'),
      pendingArtifacts: campaign.artifacts.filter((artifact) => artifact.status === 'planned' || artifact.status === 'generating'),
      auditStatus: campaign.auditStatus,
      lastEventSequence: campaign.sequence,
      timestamp: this.#timestamp(),
    };
  }

  #details(campaign: Campaign): CampaignDetails {
    return {
      ...this.#snapshot(campaign),
      name: campaign.name,
      createdBy: campaign.createdBy,
      createdAt: new Date(campaign.createdAt).toISOString(),
      endedAt: campaign.endedAt === undefined ? null : new Date(campaign.endedAt).toISOString(),
    };
  }

  #timestamp(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  /** Forgets the oldest ended campaigns beyond the limit (running ones are never dropped). */
  #evict(): void {
    if (this.#campaigns.size <= this.#maxCampaigns) return;
    for (const [id, campaign] of this.#campaigns) {
      if (this.#campaigns.size <= this.#maxCampaigns) break;
      if (isFinal(campaign.state)) this.#campaigns.delete(id);
    }
  }
}

/**
 * The steps of a run after `created`: planning, each artifact generating then completed,
 * reviewing, auditing, audit passed, completed (2 × artifacts + 7 steps).
 */
function planSteps(artifactCount: number): Step[] {
  const steps: Step[] = [
    { kind: 'state', to: 'planning', eventType: 'StateChanged', message: 'Planning the campaign.' },
    { kind: 'plan' },
    { kind: 'state', to: 'generating', eventType: 'StateChanged', message: `Generating ${artifactCount} artifact${artifactCount === 1 ? '' : 's'}.` },
  ];
  for (let index = 0; index < artifactCount; index++) {
    steps.push({ kind: 'artifact', index, status: 'generating', progress: 40 });
    steps.push({ kind: 'artifact', index, status: 'completed', progress: 100 });
  }
  steps.push(
    { kind: 'state', to: 'reviewing', eventType: 'StateChanged', message: 'Reviewing the artifacts.' },
    { kind: 'state', to: 'auditing', eventType: 'StateChanged', auditStatus: 'in-progress', message: 'Compliance audit started.' },
    { kind: 'audit-passed' },
    { kind: 'state', to: 'completed', eventType: 'CampaignCompleted', message: 'Campaign completed.' },
  );
  return steps;
}
