import { describe, expect, it } from 'vitest';
import type { CampaignSnapshot } from '../../hubs/contracts';
import { CampaignStore, loadCampaignView, storageKey } from './campaign-store';

const snapshot: CampaignSnapshot = { campaignId: 'c-1', currentState: 'planning', completedArtifacts: [], pendingArtifacts: [], auditStatus: 'not-started', lastEventSequence: 2, timestamp: '2025-01-01T12:00:00.000Z' };

describe('the campaign store', () => {
  it('keeps the view in sessionStorage, so a reload starts from the last sequence (without the old sync)', () => {
    sessionStorage.clear();
    const store = new CampaignStore('c-1');
    const seen: number[] = [];
    store.subscribe(() => seen.push(store.getView().lastSequence));
    store.dispatch({ kind: 'snapshot', snapshot });
    store.dispatch({ kind: 'synced', sync: { mode: 'snapshot', sequence: 2 } });
    store.dispatch({ kind: 'event', event: { campaignId: 'c-1', sequence: 3, eventType: 'StateChanged', state: 'generating', previousState: 'planning', auditStatus: 'not-started', message: 'Generating.', timestamp: snapshot.timestamp } });
    expect(seen).toEqual([2, 2, 3]);
    const reloaded = new CampaignStore('c-1');
    expect(reloaded.getView().lastSequence).toBe(3);
    expect(reloaded.getView().state).toBe('generating');
    expect(reloaded.getView().sync).toBeUndefined();
  });

  it('does not tell listeners of an action that changes nothing', () => {
    sessionStorage.clear();
    const store = new CampaignStore('c-2');
    let calls = 0;
    store.subscribe(() => calls++);
    store.dispatch({ kind: 'snapshot', snapshot }); // another campaign's
    expect(calls).toBe(0);
  });

  it('drops a stored view that does not read back', () => {
    sessionStorage.setItem(storageKey('c-3'), '{"campaignId":"c-9"}');
    expect(loadCampaignView('c-3')).toBeUndefined();
    expect(sessionStorage.getItem(storageKey('c-3'))).toBeNull();
    sessionStorage.setItem(storageKey('c-3'), 'not json');
    expect(new CampaignStore('c-3').getView().lastSequence).toBe(0);
  });
});
