/**
 * One campaign's view outside React: updated synchronously by the hub's handlers (the
 * subscription asks where the view stands while it joins, before React renders), kept in
 * sessionStorage after every change so a reload of `/campaigns/<id>` starts from the last
 * sequence received, and read by the page through `useSyncExternalStore`.
 * @module
 */
import { campaignReducer, emptyCampaignView, type CampaignAction, type CampaignView } from './campaign-view';

const KEY_PREFIX = 'hubwire.campaign.';

/** The sessionStorage key of a campaign's view. */
export function storageKey(campaignId: string): string {
  return `${KEY_PREFIX}${campaignId}`;
}

/** The stored view of `campaignId`, if this tab has one that reads back. */
export function loadCampaignView(campaignId: string, storage: Storage = sessionStorage): CampaignView | undefined {
  const text = storage.getItem(storageKey(campaignId));
  if (text === null) return undefined;
  try {
    const view = JSON.parse(text) as CampaignView;
    if (view.campaignId !== campaignId || !Number.isSafeInteger(view.lastSequence) || !Array.isArray(view.log) || !Array.isArray(view.artifacts)) throw new Error('not a view');
    return view;
  } catch {
    storage.removeItem(storageKey(campaignId));
    return undefined;
  }
}

/** Keeps `view` for a reload of this tab (a full storage only costs the recovery: it is not fatal). */
export function saveCampaignView(view: CampaignView, storage: Storage = sessionStorage): void {
  try {
    storage.setItem(storageKey(view.campaignId), JSON.stringify(view));
  } catch {
    // Quota exceeded or storage disabled: the page works, a reload starts from a snapshot.
  }
}

/** A campaign's view and who listens to it. */
export class CampaignStore {
  #view: CampaignView;
  readonly #listeners = new Set<() => void>();
  readonly #storage: Storage | undefined;

  /** Starts from the stored view of `campaignId` when there is one. */
  constructor(campaignId: string, storage: Storage | undefined = sessionStorage) {
    this.#storage = storage;
    const stored = storage === undefined ? undefined : loadCampaignView(campaignId, storage);
    // How the last page got in step is not how this one will: the next join says.
    this.#view = stored === undefined ? emptyCampaignView(campaignId) : { ...stored, sync: undefined };
  }

  /** The view now (stable between changes, as useSyncExternalStore needs). */
  readonly getView = (): CampaignView => this.#view;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  dispatch(action: CampaignAction): void {
    const next = campaignReducer(this.#view, action);
    if (next === this.#view) return;
    this.#view = next;
    if (this.#storage !== undefined) saveCampaignView(next, this.#storage);
    for (const listener of [...this.#listeners]) listener();
  }
}
