/**
 * A campaign's orchestration run as plain data and pure functions: what a campaign is
 * ({@link CampaignRecord}, JSON-safe so any store can keep it), what its next step changes, what
 * a cancel changes, and the snapshot of a record. Nothing here does I/O or keeps time: the
 * orchestrator loads a record, asks for a {@link Change} and commits it to its store only if the
 * record is still the one it loaded, which is what keeps sequence numbers gap-free on one node
 * and across many.
 * @module
 */
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

/** A stored campaign. Its `sequence` is the number of the last message its changes produced. */
export interface CampaignRecord {
  readonly id: string;
  readonly name: string;
  readonly createdBy: string;
  /** ms since the epoch. */
  readonly createdAt: number;
  readonly artifactCount: number;
  readonly state: CampaignState;
  readonly auditStatus: AuditStatus;
  /** In plan order; empty until planning is done. */
  readonly artifacts: readonly Artifact[];
  readonly sequence: number;
  /** ms since the epoch; null while it runs. */
  readonly endedAt: number | null;
  /** The index of the next step in {@link planSteps}`(artifactCount)`. */
  readonly nextStep: number;
}

/** A numbered message of a change, as subscribers get it (a cancel's event carries the acknowledgement). */
export type CampaignMessage =
  | { readonly kind: 'event'; readonly event: OrchestrationEvent; readonly acknowledgement?: CancellationAcknowledgement }
  | { readonly kind: 'artifact'; readonly update: ArtifactUpdate };

/** What one step (or a cancel) does: the record after it and its messages, in sequence order. */
export interface Change {
  readonly record: CampaignRecord;
  readonly messages: readonly CampaignMessage[];
}

/** What creating a campaign needs. */
export interface NewCampaign {
  readonly name: string;
  /** How many artifacts the run produces (1 to 12). */
  readonly artifactCount: number;
  readonly createdBy: string;
}

/** Who cancels and why. */
export interface CancelRequest {
  readonly requestedBy: string;
  readonly reason: string | null;
}

/** The sequence number of a message. */
export function sequenceOf(message: CampaignMessage): number {
  return message.kind === 'event' ? message.event.sequence : message.update.sequence;
}

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

/** One step of a run. */
type Step =
  | { readonly kind: 'state'; readonly to: CampaignState; readonly eventType: OrchestrationEventType; readonly auditStatus?: AuditStatus; readonly message: string }
  | { readonly kind: 'plan' }
  | { readonly kind: 'artifact'; readonly index: number; readonly status: ArtifactStatus; readonly progress: number }
  | { readonly kind: 'audit-passed' };

/**
 * Builds changes on a copy of a record: every message takes the next sequence number, so the
 * messages of one change are numbered without gaps from the record's sequence on.
 */
class Draft {
  state: CampaignState;
  auditStatus: AuditStatus;
  artifacts: Artifact[];
  sequence: number;
  endedAt: number | null;
  readonly messages: CampaignMessage[] = [];
  readonly #timestamp: string;

  constructor(
    readonly base: CampaignRecord,
    readonly now: number,
  ) {
    this.state = base.state;
    this.auditStatus = base.auditStatus;
    this.artifacts = [...base.artifacts];
    this.sequence = base.sequence;
    this.endedAt = base.endedAt;
    this.#timestamp = new Date(now).toISOString();
  }

  changeState(to: CampaignState, eventType: OrchestrationEventType, message: string, auditStatus = this.auditStatus, previous: CampaignState | null = this.state): OrchestrationEvent {
    if (isFinal(to)) this.endedAt = this.now;
    return this.emitEvent(eventType, to, auditStatus, message, previous);
  }

  emitEvent(eventType: OrchestrationEventType, state: CampaignState, auditStatus: AuditStatus, message: string, previousState: CampaignState | null = this.state): OrchestrationEvent {
    this.sequence += 1;
    this.state = state;
    this.auditStatus = auditStatus;
    const event: OrchestrationEvent = { campaignId: this.base.id, sequence: this.sequence, eventType, state, previousState, auditStatus, message, timestamp: this.#timestamp };
    this.messages.push({ kind: 'event', event });
    return event;
  }

  updateArtifact(index: number, status: ArtifactStatus, progress: number): void {
    const current = this.artifacts[index];
    if (current === undefined) throw new RangeError(`Campaign ${this.base.id} has no artifact ${index}.`);
    const artifact: Artifact = { ...current, status, progress, updatedAt: this.#timestamp };
    this.sequence += 1;
    this.artifacts[index] = artifact;
    this.messages.push({ kind: 'artifact', update: { campaignId: this.base.id, sequence: this.sequence, artifact, timestamp: this.#timestamp } });
  }

  done(nextStep: number): Change {
    const record: CampaignRecord = {
      ...this.base,
      state: this.state,
      auditStatus: this.auditStatus,
      artifacts: this.artifacts,
      sequence: this.sequence,
      endedAt: this.endedAt,
      nextStep,
    };
    return { record, messages: this.messages };
  }
}

/** A new campaign: its `CampaignCreated` event is sequence 1. */
export function createCampaign(id: string, input: NewCampaign, now: number): Change {
  const empty: CampaignRecord = {
    id,
    name: input.name,
    createdBy: input.createdBy,
    createdAt: now,
    artifactCount: input.artifactCount,
    state: 'created',
    auditStatus: 'not-started',
    artifacts: [],
    sequence: 0,
    endedAt: null,
    nextStep: 0,
  };
  const draft = new Draft(empty, now);
  draft.changeState('created', 'CampaignCreated', `Campaign '${input.name}' created.`, 'not-started', null);
  return draft.done(0);
}

/** The run's next step, or undefined when the run has ended. */
export function nextStep(record: CampaignRecord, now: number): Change | undefined {
  if (isFinal(record.state)) return undefined;
  const step = planSteps(record.artifactCount)[record.nextStep];
  if (step === undefined) return undefined;
  const draft = new Draft(record, now);
  switch (step.kind) {
    case 'state':
      draft.changeState(step.to, step.eventType, step.message, step.auditStatus ?? draft.auditStatus);
      break;
    case 'plan':
      draft.artifacts = Array.from({ length: record.artifactCount }, (_, index) => {
        const [kind, label] = ARTIFACT_KINDS[index % ARTIFACT_KINDS.length]!;
        const round = Math.floor(index / ARTIFACT_KINDS.length);
        return {
          artifactId: `${record.id}-a${index + 1}`,
          kind,
          title: round === 0 ? `${record.name}: ${label}` : `${record.name}: ${label} ${round + 1}`,
          status: 'planned',
          progress: 0,
          updatedAt: '',
        };
      });
      for (let index = 0; index < draft.artifacts.length; index++) draft.updateArtifact(index, 'planned', 0);
      break;
    case 'artifact':
      draft.updateArtifact(step.index, step.status, step.progress);
      break;
    case 'audit-passed':
      draft.emitEvent('AuditCompleted', draft.state, 'passed', 'Compliance audit passed: no findings.');
      break;
  }
  return draft.done(record.nextStep + 1);
}

/**
 * Cancels a running campaign: a `cancelled` update for each pending artifact, then the
 * `CampaignCancelled` event carrying the acknowledgement. Undefined when the run has ended.
 */
export function cancelCampaign(record: CampaignRecord, request: CancelRequest, now: number): { change: Change; acknowledgement: CancellationAcknowledgement } | undefined {
  if (isFinal(record.state)) return undefined;
  const draft = new Draft(record, now);
  draft.artifacts.forEach((artifact, index) => {
    if (artifact.status === 'planned' || artifact.status === 'generating') draft.updateArtifact(index, 'cancelled', artifact.progress);
  });
  const reason = request.reason === null ? '' : ` (${request.reason})`;
  const event = draft.changeState('cancelled', 'CampaignCancelled', `Cancelled by ${request.requestedBy}${reason}.`);
  const acknowledgement: CancellationAcknowledgement = {
    campaignId: record.id,
    cancellationSequence: event.sequence,
    state: 'cancelled',
    requestedBy: request.requestedBy,
    reason: request.reason,
    acknowledgedAt: event.timestamp,
  };
  draft.messages[draft.messages.length - 1] = { kind: 'event', event, acknowledgement };
  return { change: draft.done(planSteps(record.artifactCount).length), acknowledgement };
}

/** The record's state as of its latest message, stamped `now`. */
export function snapshotOf(record: CampaignRecord, now: number): CampaignSnapshot {
  return {
    campaignId: record.id,
    currentState: record.state,
    completedArtifacts: record.artifacts.filter((artifact) => artifact.status === 'completed'),
    pendingArtifacts: record.artifacts.filter((artifact) => artifact.status === 'planned' || artifact.status === 'generating'),
    auditStatus: record.auditStatus,
    lastEventSequence: record.sequence,
    timestamp: new Date(now).toISOString(),
  };
}

/** The snapshot plus what the campaign is. */
export function detailsOf(record: CampaignRecord, now: number): CampaignDetails {
  return {
    ...snapshotOf(record, now),
    name: record.name,
    createdBy: record.createdBy,
    createdAt: new Date(record.createdAt).toISOString(),
    endedAt: record.endedAt === null ? null : new Date(record.endedAt).toISOString(),
  };
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
