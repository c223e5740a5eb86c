/**
 * A campaign run as the page shows it, rebuilt from a snapshot and the numbered events after it
 * (docs/hubs.md, "Sequence numbers"): events at or below the last sequence applied are dropped
 * (a duplicate), the next one is applied, a jump is a gap the page resyncs from a new snapshot.
 * A pure reducer; the log keeps each event applied with its sequence number, so a reload that
 * recovers shows every number once.
 * @module
 */
import type { ArtifactUpdate, CampaignArtifact, CampaignAuditStatus, CampaignSnapshot, CampaignState, CancellationAcknowledgement, OrchestrationEvent } from '../../hubs/contracts';

/** Log lines kept (a run of 12 artifacts sends 43 events). */
export const MAX_LOG = 200;

/** One line of the run's log. */
export interface CampaignLogEntry {
  /** The event's sequence number (a snapshot line: the last sequence it includes). */
  readonly sequence: number;
  readonly kind: 'event' | 'artifact' | 'snapshot' | 'cancellation';
  readonly text: string;
  readonly timestamp: string;
}

/** How the view got in step with the server, the last time it joined the campaign. */
export type CampaignSync =
  /** Started from the server's snapshot (a first visit, or the history no longer had what was missed). */
  | { readonly mode: 'snapshot'; readonly sequence: number }
  /** Joined from the last sequence received and every event after it was replayed. */
  | { readonly mode: 'recovered'; readonly from: number; readonly replayed: number };

/** The page's state of one campaign. */
export interface CampaignView {
  readonly campaignId: string;
  /** Undefined until the first snapshot. */
  readonly state: CampaignState | undefined;
  readonly auditStatus: CampaignAuditStatus;
  /** Every artifact known, in plan order (cancelled ones included, as cancelled). */
  readonly artifacts: readonly CampaignArtifact[];
  /** The sequence of the last event applied (0: none yet). */
  readonly lastSequence: number;
  readonly log: readonly CampaignLogEntry[];
  readonly sync: CampaignSync | undefined;
  readonly cancellation: CancellationAcknowledgement | undefined;
  /** Events dropped because their sequence was already applied. */
  readonly duplicates: number;
  /** Set when an event skipped a number: the page takes a new snapshot. */
  readonly gap: { readonly expected: number; readonly received: number } | undefined;
}

export type CampaignAction =
  | { readonly kind: 'snapshot'; readonly snapshot: CampaignSnapshot }
  | { readonly kind: 'event'; readonly event: OrchestrationEvent }
  | { readonly kind: 'artifact'; readonly update: ArtifactUpdate }
  | { readonly kind: 'cancellation'; readonly acknowledgement: CancellationAcknowledgement }
  | { readonly kind: 'synced'; readonly sync: CampaignSync };

/** A campaign not seen yet. */
export function emptyCampaignView(campaignId: string): CampaignView {
  return { campaignId, state: undefined, auditStatus: 'not-started', artifacts: [], lastSequence: 0, log: [], sync: undefined, cancellation: undefined, duplicates: 0, gap: undefined };
}

function withLog(log: readonly CampaignLogEntry[], entry: CampaignLogEntry): CampaignLogEntry[] {
  return log.length >= MAX_LOG ? [...log.slice(log.length - MAX_LOG + 1), entry] : [...log, entry];
}

/** The artifacts with `artifact` replaced (or added at the end, in plan order as they come). */
function withArtifact(artifacts: readonly CampaignArtifact[], artifact: CampaignArtifact): CampaignArtifact[] {
  const index = artifacts.findIndex((known) => known.artifactId === artifact.artifactId);
  if (index < 0) return [...artifacts, artifact];
  const next = [...artifacts];
  next[index] = artifact;
  return next;
}

/** An artifact's place in the plan: its id ends in it (`<campaign>-a3`). */
function planIndex(artifact: CampaignArtifact): number {
  const suffix = /(\d+)$/.exec(artifact.artifactId)?.[1];
  return suffix === undefined ? Number.MAX_SAFE_INTEGER : Number(suffix);
}

/** The snapshot's artifacts, and the known ones it leaves out (snapshots drop cancelled ones), in plan order. */
function snapshotArtifacts(snapshot: CampaignSnapshot, known: readonly CampaignArtifact[]): CampaignArtifact[] {
  const listed = [...snapshot.completedArtifacts, ...snapshot.pendingArtifacts];
  const cancelled = known
    .filter((artifact) => !listed.some((other) => other.artifactId === artifact.artifactId))
    .map((artifact) => (artifact.status === 'cancelled' ? artifact : { ...artifact, status: 'cancelled' as const }));
  return [...listed, ...cancelled].sort((a, b) => planIndex(a) - planIndex(b));
}

/**
 * Whether `sequence` comes next: 'next' applies it, 'duplicate' drops it, 'gap' stops and asks for
 * a snapshot (nothing is applied past a missing number).
 */
export function relationOf(lastSequence: number, sequence: number): 'next' | 'duplicate' | 'gap' {
  if (sequence <= lastSequence) return 'duplicate';
  return sequence === lastSequence + 1 ? 'next' : 'gap';
}

function numbered(view: CampaignView, sequence: number, apply: (view: CampaignView) => CampaignView): CampaignView {
  // Before the first snapshot nothing is numbered yet: the subscription's answer comes first.
  if (view.state === undefined) return view;
  const relation = relationOf(view.lastSequence, sequence);
  if (relation === 'duplicate') return { ...view, duplicates: view.duplicates + 1 };
  if (relation === 'gap') return view.gap === undefined ? { ...view, gap: { expected: view.lastSequence + 1, received: sequence } } : view;
  return { ...apply(view), lastSequence: sequence };
}

const STATE_TEXT: Readonly<Record<CampaignState, string>> = {
  created: 'created',
  planning: 'planning',
  generating: 'generating',
  reviewing: 'reviewing',
  auditing: 'auditing',
  completed: 'completed',
  cancelled: 'cancelled',
};

/** The view after `action`. */
export function campaignReducer(view: CampaignView, action: CampaignAction): CampaignView {
  switch (action.kind) {
    case 'snapshot': {
      const { snapshot } = action;
      if (snapshot.campaignId !== view.campaignId) return view;
      const entry: CampaignLogEntry = { sequence: snapshot.lastEventSequence, kind: 'snapshot', text: `Snapshot: ${STATE_TEXT[snapshot.currentState]}, events up to #${snapshot.lastEventSequence} included`, timestamp: snapshot.timestamp };
      return {
        ...view,
        state: snapshot.currentState,
        auditStatus: snapshot.auditStatus,
        artifacts: snapshotArtifacts(snapshot, view.artifacts),
        lastSequence: snapshot.lastEventSequence,
        log: withLog(view.log, entry),
        gap: undefined,
      };
    }
    case 'event': {
      const { event } = action;
      if (event.campaignId !== view.campaignId) return view;
      return numbered(view, event.sequence, (current) => ({
        ...current,
        state: event.state,
        auditStatus: event.auditStatus,
        log: withLog(current.log, { sequence: event.sequence, kind: 'event', text: `${event.eventType}: ${event.message}`, timestamp: event.timestamp }),
      }));
    }
    case 'artifact': {
      const { update } = action;
      if (update.campaignId !== view.campaignId) return view;
      return numbered(view, update.sequence, (current) => ({
        ...current,
        artifacts: withArtifact(current.artifacts, update.artifact),
        log: withLog(current.log, { sequence: update.sequence, kind: 'artifact', text: `${update.artifact.title}: ${update.artifact.status} (${update.artifact.progress} %)`, timestamp: update.timestamp }),
      }));
    }
    case 'cancellation': {
      const { acknowledgement } = action;
      if (acknowledgement.campaignId !== view.campaignId || view.cancellation !== undefined) return view;
      const reason = acknowledgement.reason === null ? '' : `: ${acknowledgement.reason}`;
      const entry: CampaignLogEntry = { sequence: acknowledgement.cancellationSequence, kind: 'cancellation', text: `Cancelled by ${acknowledgement.requestedBy}${reason}`, timestamp: acknowledgement.acknowledgedAt };
      return { ...view, cancellation: acknowledgement, log: withLog(view.log, entry) };
    }
    case 'synced':
      return { ...view, sync: action.sync };
  }
}

/** The sequence numbers of the events in the log, in order (snapshot and cancellation lines left out). */
export function eventSequences(view: CampaignView): number[] {
  return view.log.filter((entry) => entry.kind === 'event' || entry.kind === 'artifact').map((entry) => entry.sequence);
}

/** Done: completed or cancelled. */
export function isFinal(state: CampaignState | undefined): boolean {
  return state === 'completed' || state === 'cancelled';
}
