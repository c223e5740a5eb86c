/**
 * The campaign orchestration domain: states, artifacts, and the messages `/hubs/campaigns`
 * sends. Every {@link OrchestrationEvent} and {@link ArtifactUpdate} carries the campaign's next
 * sequence number (1, 2, 3, … with no gaps), and a {@link CampaignSnapshot} names the last one it
 * includes, so a client can rebuild the server's state from a snapshot and the events after it.
 * @module
 */
import type { GroupPosition } from 'hubwire';

/** Where an orchestration run is. `completed` and `cancelled` are final. */
export type CampaignState = 'created' | 'planning' | 'generating' | 'reviewing' | 'auditing' | 'completed' | 'cancelled';

/** The compliance audit of a campaign's artifacts. */
export type AuditStatus = 'not-started' | 'in-progress' | 'passed';

/** `planned` and `generating` artifacts are pending; `cancelled` ones are dropped from snapshots. */
export type ArtifactStatus = 'planned' | 'generating' | 'completed' | 'cancelled';

/** What an orchestration event reports. */
export type OrchestrationEventType = 'CampaignCreated' | 'StateChanged' | 'AuditCompleted' | 'CampaignCompleted' | 'CampaignCancelled';

/** One thing the orchestration run produces. */
export interface Artifact {
  readonly artifactId: string;
  readonly kind: string;
  readonly title: string;
  readonly status: ArtifactStatus;
  /** 0 to 100. */
  readonly progress: number;
  /** When it last changed (ISO 8601). */
  readonly updatedAt: string;
}

/** `ReceiveOrchestrationEvent`: the run changed state (or its audit status). */
export interface OrchestrationEvent {
  readonly campaignId: string;
  readonly sequence: number;
  readonly eventType: OrchestrationEventType;
  /** The campaign's state after this event. */
  readonly state: CampaignState;
  /** The state before it (equal to `state` when only the audit status changed; null for CampaignCreated). */
  readonly previousState: CampaignState | null;
  /** The audit status after this event. */
  readonly auditStatus: AuditStatus;
  readonly message: string;
  readonly timestamp: string;
}

/** `ReceiveArtifactUpdate`: an artifact was planned, progressed, completed or cancelled. */
export interface ArtifactUpdate {
  readonly campaignId: string;
  readonly sequence: number;
  /** The artifact as it is after this update. */
  readonly artifact: Artifact;
  readonly timestamp: string;
}

/** `ReceiveCampaignSnapshot` (and the result of `GetCampaignSnapshot` / `SubscribeToCampaign`). */
export interface CampaignSnapshot {
  readonly campaignId: string;
  readonly currentState: CampaignState;
  /** Completed artifacts, in plan order. */
  readonly completedArtifacts: readonly Artifact[];
  /** Planned and generating artifacts, in plan order. */
  readonly pendingArtifacts: readonly Artifact[];
  readonly auditStatus: AuditStatus;
  /** The sequence number of the last event this snapshot includes (0: none). */
  readonly lastEventSequence: number;
  readonly timestamp: string;
}

/** `ReceiveCancellationAcknowledgement`: a cancel request was carried out. */
export interface CancellationAcknowledgement {
  readonly campaignId: string;
  /**
   * The sequence number of the `CampaignCancelled` orchestration event that carried the
   * cancellation (the acknowledgement has no sequence number of its own).
   */
  readonly cancellationSequence: number;
  readonly state: 'cancelled';
  readonly requestedBy: string;
  readonly reason: string | null;
  readonly acknowledgedAt: string;
}

/** `GET /api/campaigns/{id}`: the snapshot plus what the campaign is. */
export interface CampaignDetails extends CampaignSnapshot {
  readonly name: string;
  readonly createdBy: string;
  readonly createdAt: string;
  /** When it completed or was cancelled; null while it runs. */
  readonly endedAt: string | null;
}

/**
 * The answer of `SubscribeToCampaign(id, fromSequence)`: whether every message after
 * `fromSequence` was replayed (false: `ReceiveCampaignSnapshot` was sent first), the last sequence
 * number the history had given the connection, and how many messages were replayed.
 */
export interface CampaignRecovery {
  readonly recovered: boolean;
  readonly lastSequence: number;
  readonly replayed: number;
  /** The same place as the group position the messages carry (`offset` = `lastSequence`), for clients that track positions. */
  readonly position: GroupPosition;
}

/**
 * The client methods of `/hubs/campaigns` (names as sent on the wire). The group's messages carry
 * their position as a last argument (the library adds it; `offset` is the sequence number).
 */
export interface CampaignsClient {
  ReceiveOrchestrationEvent(event: OrchestrationEvent, position?: GroupPosition): void;
  ReceiveArtifactUpdate(update: ArtifactUpdate, position?: GroupPosition): void;
  ReceiveCampaignSnapshot(snapshot: CampaignSnapshot): void;
  /** Right behind its `CampaignCancelled` event, with the same position. */
  ReceiveCancellationAcknowledgement(acknowledgement: CancellationAcknowledgement, position?: GroupPosition): void;
}

/** True for the states a run never leaves. */
export function isFinal(state: CampaignState): boolean {
  return state === 'completed' || state === 'cancelled';
}

/** The group a campaign's subscribers are in. */
export function campaignGroup(campaignId: string): string {
  return `campaign:${campaignId}`;
}
