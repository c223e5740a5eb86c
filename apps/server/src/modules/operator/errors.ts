/**
 * The operator API answers in the app's own error shape (`{error, field?}`), while the data-plane
 * operations it reuses throw Azure-shaped DataPlaneErrors and presence throws HubwireErrors. This
 * turns both into the app's answers.
 * @module
 */
import { HubwireError } from 'hubwire';
import { BadRequest, NotFound, type RestResult } from '../../app-context.js';
import { DataPlaneError } from '../data-plane/index.js';

/**
 * Runs `handler`, answering a data-plane 400 as `BadRequest` (its `target` as the field), a 404 as
 * `NotFound`, an unreachable Redis as `503 {"error"}`; anything else is rethrown (a 500, logged).
 */
export async function answering(handler: () => Promise<RestResult>): Promise<RestResult> {
  try {
    return await handler();
  } catch (error) {
    if (error instanceof DataPlaneError) {
      if (error.status === 400) throw new BadRequest(error.target ?? 'body', error.message);
      if (error.status === 404) throw new NotFound(error.message);
      return { status: error.status, body: { error: error.message } };
    }
    if (error instanceof HubwireError) {
      if (error.code === 'HUB_ERR_BACKPLANE') return { status: 503, body: { error: error.message }, headers: { 'Retry-After': '1' } };
      if (error.code === 'HUB_ERR_PRESENCE_DISABLED') return { status: 501, body: { error: error.message } };
      if (error.code === 'HUB_ERR_INVALID_OPTION') throw new BadRequest('cursor', error.message);
    }
    throw error;
  }
}
