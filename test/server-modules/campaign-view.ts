/**
 * What a client of /hubs/campaigns does: start from a snapshot, apply the events with higher
 * sequence numbers (in order, none missing), and compare with the server's state.
 * @module
 */
import type { Artifact, ArtifactUpdate, AuditStatus, CampaignSnapshot, CampaignState, OrchestrationEvent } from '../../apps/server/src/modules/campaigns/model.js';

export type CampaignMessage = OrchestrationEvent | ArtifactUpdate;

/** A snapshot without its timestamp, for comparisons. */
export type CampaignStateView = Omit<CampaignSnapshot, 'timestamp'>;

export function withoutTimestamp(snapshot: CampaignSnapshot): CampaignStateView {
  const { timestamp: _timestamp, ...rest } = snapshot;
  return rest;
}

/** The client-side model of one campaign. */
export class CampaignView {
  readonly campaignId: string;
  state: CampaignState;
  auditStatus: AuditStatus;
  lastEventSequence: number;
  readonly #artifacts = new Map<string, Artifact>();

  constructor(snapshot: CampaignSnapshot) {
    this.campaignId = snapshot.campaignId;
    this.state = snapshot.currentState;
    this.auditStatus = snapshot.auditStatus;
    this.lastEventSequence = snapshot.lastEventSequence;
    // Plan order: completed and pending interleave by artifact number.
    const all = [...snapshot.completedArtifacts, ...snapshot.pendingArtifacts].sort((a, b) => artifactNumber(a) - artifactNumber(b));
    for (const artifact of all) this.#artifacts.set(artifact.artifactId, artifact);
  }

  /** Applies messages with a higher sequence number, in sequence order; throws on a gap. */
  applyAll(messages: readonly CampaignMessage[]): void {
    const later = messages.filter((message) => message.sequence > this.lastEventSequence).sort((a, b) => a.sequence - b.sequence);
    for (const message of later) this.apply(message);
  }

  apply(message: CampaignMessage): void {
    if (message.sequence <= this.lastEventSequence) return;
    if (message.sequence !== this.lastEventSequence + 1) throw new Error(`gap: expected ${this.lastEventSequence + 1}, got ${message.sequence}`);
    this.lastEventSequence = message.sequence;
    if ('artifact' in message) {
      this.#artifacts.set(message.artifact.artifactId, message.artifact);
    } else {
      this.state = message.state;
      this.auditStatus = message.auditStatus;
    }
  }

  view(): CampaignStateView {
    const artifacts = [...this.#artifacts.values()].sort((a, b) => artifactNumber(a) - artifactNumber(b));
    return {
      campaignId: this.campaignId,
      currentState: this.state,
      completedArtifacts: artifacts.filter((artifact) => artifact.status === 'completed'),
      pendingArtifacts: artifacts.filter((artifact) => artifact.status === 'planned' || artifact.status === 'generating'),
      auditStatus: this.auditStatus,
      lastEventSequence: this.lastEventSequence,
    };
  }
}

function artifactNumber(artifact: Artifact): number {
  return Number(/-a(\d+)$/.exec(artifact.artifactId)?.[1] ?? 0);
}
