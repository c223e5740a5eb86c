import { describe, expect, it } from 'vitest';
import type { ArtifactUpdate, CampaignArtifact, CampaignSnapshot, OrchestrationEvent } from '../../hubs/contracts';
import { campaignReducer, emptyCampaignView, eventSequences, relationOf, type CampaignAction, type CampaignView } from './campaign-view';

const ID = 'c-1';
const at = '2025-01-01T12:00:00.000Z';
const artifact = (index: number, status: CampaignArtifact['status'], progress = 0): CampaignArtifact => ({ artifactId: `${ID}-a${index}`, kind: 'ad-copy', title: `Artifact ${index}`, status, progress, updatedAt: at });
const snapshot = (lastEventSequence: number, overrides: Partial<CampaignSnapshot> = {}): CampaignSnapshot => ({
  campaignId: ID,
  currentState: 'created',
  completedArtifacts: [],
  pendingArtifacts: [],
  auditStatus: 'not-started',
  lastEventSequence,
  timestamp: at,
  ...overrides,
});
const event = (sequence: number, state: OrchestrationEvent['state'], eventType: OrchestrationEvent['eventType'] = 'StateChanged'): CampaignAction => ({
  kind: 'event',
  event: { campaignId: ID, sequence, eventType, state, previousState: null, auditStatus: state === 'auditing' ? 'in-progress' : 'not-started', message: `to ${state}`, timestamp: at },
});
const update = (sequence: number, item: CampaignArtifact): CampaignAction => ({ kind: 'artifact', update: { campaignId: ID, sequence, artifact: item, timestamp: at } satisfies ArtifactUpdate });
const run = (actions: readonly CampaignAction[], view: CampaignView = emptyCampaignView(ID)) => actions.reduce(campaignReducer, view);

describe('sequence tracking', () => {
  it('tells the next number from a duplicate and a gap', () => {
    expect(relationOf(3, 4)).toBe('next');
    expect(relationOf(3, 3)).toBe('duplicate');
    expect(relationOf(3, 1)).toBe('duplicate');
    expect(relationOf(3, 5)).toBe('gap');
    expect(relationOf(0, 1)).toBe('next');
  });
});

describe('the campaign view', () => {
  it('starts from a snapshot and applies the events after it, in order, each once', () => {
    const view = run([
      { kind: 'snapshot', snapshot: snapshot(1) },
      event(1, 'created', 'CampaignCreated'), // included in the snapshot
      event(2, 'planning'),
      update(3, artifact(1, 'planned')),
      update(4, artifact(2, 'planned')),
      update(3, artifact(1, 'planned')), // a repeat
      event(5, 'generating'),
      update(6, artifact(1, 'generating', 40)),
    ]);
    expect(view.state).toBe('generating');
    expect(view.lastSequence).toBe(6);
    expect(view.duplicates).toBe(2);
    expect(eventSequences(view)).toEqual([2, 3, 4, 5, 6]);
    expect(view.artifacts.map((item) => [item.artifactId, item.status, item.progress])).toEqual([
      [`${ID}-a1`, 'generating', 40],
      [`${ID}-a2`, 'planned', 0],
    ]);
    expect(view.log[0]).toMatchObject({ kind: 'snapshot', sequence: 1 });
  });

  it('applies nothing before its first snapshot (the subscription answers first)', () => {
    const view = run([event(2, 'planning')]);
    expect(view.state).toBeUndefined();
    expect(view.log).toEqual([]);
  });

  it('stops at a gap and waits for a snapshot, which clears it', () => {
    let view = run([{ kind: 'snapshot', snapshot: snapshot(2, { currentState: 'planning' }) }, event(4, 'generating'), event(5, 'generating')]);
    expect(view.gap).toEqual({ expected: 3, received: 4 });
    expect(view.lastSequence).toBe(2);
    expect(view.state).toBe('planning');
    view = run([{ kind: 'snapshot', snapshot: snapshot(5, { currentState: 'generating', pendingArtifacts: [artifact(1, 'generating', 40)] }) }, event(6, 'reviewing')], view);
    expect(view.gap).toBeUndefined();
    expect(view.state).toBe('reviewing');
    expect(view.artifacts).toHaveLength(1);
  });

  it('orders a snapshot\'s artifacts by plan and keeps the cancelled ones it leaves out', () => {
    let view = run([{ kind: 'snapshot', snapshot: snapshot(1) }, event(2, 'planning'), update(3, artifact(1, 'planned')), update(4, artifact(2, 'planned')), update(5, artifact(3, 'planned'))]);
    view = run([{ kind: 'snapshot', snapshot: snapshot(9, { currentState: 'cancelled', completedArtifacts: [artifact(3, 'completed', 100)], pendingArtifacts: [artifact(1, 'generating', 40)] }) }], view);
    expect(view.artifacts.map((item) => [item.artifactId, item.status])).toEqual([
      [`${ID}-a1`, 'generating'],
      [`${ID}-a2`, 'cancelled'],
      [`${ID}-a3`, 'completed'],
    ]);
  });

  it('records a cancellation once, and ignores other campaigns', () => {
    const ack = { campaignId: ID, cancellationSequence: 4, state: 'cancelled' as const, requestedBy: 'jane.smith', reason: 'Budget cut', acknowledgedAt: at };
    const view = run([
      { kind: 'snapshot', snapshot: snapshot(3) },
      event(4, 'cancelled', 'CampaignCancelled'),
      { kind: 'cancellation', acknowledgement: ack },
      { kind: 'cancellation', acknowledgement: ack },
      { kind: 'event', event: { ...(event(5, 'planning') as { event: OrchestrationEvent }).event, campaignId: 'other' } },
    ]);
    expect(view.cancellation).toEqual(ack);
    expect(view.log.map((entry) => entry.kind)).toEqual(['snapshot', 'event', 'cancellation']);
    expect(view.lastSequence).toBe(4);
  });
});
