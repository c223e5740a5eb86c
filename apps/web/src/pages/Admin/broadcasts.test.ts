import { describe, expect, it } from 'vitest';
import { broadcastAt, BROADCASTS, buildBody, initialValues } from './broadcasts';

const form = (path: string) => {
  const broadcast = broadcastAt(path);
  if (broadcast === undefined) throw new Error(`no broadcast ${path}`);
  return broadcast;
};

describe('the broadcast forms', () => {
  it('has one form per REST broadcast of the admin API', () => {
    expect(BROADCASTS.map((broadcast) => broadcast.path).sort()).toEqual(
      ['alert', 'alert/error', 'alert/performance', 'alert/warning', 'broadcast/analytics', 'broadcast/generation-metrics', 'broadcast/platform-update', 'broadcast/revenue', 'broadcast/user-count', 'notify/role-assignment', 'notify/system-event', 'notify/user-action'],
    );
  });

  it('starts every form with values that make a valid body', () => {
    for (const broadcast of BROADCASTS) expect(buildBody(broadcast, initialValues(broadcast)).ok, broadcast.path).toBe(true);
  });

  it('sends numbers as numbers, trims text and leaves empty optional fields to the server', () => {
    expect(buildBody(form('broadcast/user-count'), { total: ' 10 ', active: '4', newToday: '' })).toEqual({ ok: true, body: { total: 10, active: 4 } });
    expect(buildBody(form('alert'), { severity: 'warning', title: '  Disk ', message: 'full', source: '' })).toEqual({ ok: true, body: { severity: 'warning', title: 'Disk', message: 'full' } });
  });

  it('names each required field that is empty', () => {
    const result = buildBody(form('alert'), { severity: 'info', title: '', message: ' ' });
    expect(result).toEqual({ ok: false, errors: { title: 'Title is required.', message: 'Message is required.' } });
  });

  it('refuses what is not a number, not whole, or out of range', () => {
    expect(buildBody(form('broadcast/user-count'), { total: 'ten', active: '1.5' })).toEqual({ ok: false, errors: { total: 'Total must be a number.', active: 'Active must be a whole number.' } });
    expect(buildBody(form('broadcast/generation-metrics'), { totalGenerations: '1', successRate: '1.2', averageDurationMs: '-1' })).toEqual({
      ok: false,
      errors: { successRate: 'Success rate (0–1) must be at most 1.', averageDurationMs: 'Average duration (ms) must be at least 0.' },
    });
  });

  it('parses JSON objects and refuses other JSON', () => {
    expect(buildBody(form('broadcast/analytics'), { metrics: '{"views": 3}' })).toEqual({ ok: true, body: { metrics: { views: 3 } } });
    expect(buildBody(form('broadcast/analytics'), { metrics: '[1]' })).toEqual({ ok: false, errors: { metrics: 'Metrics must be a JSON object ({…}).' } });
    expect(buildBody(form('broadcast/analytics'), { metrics: '{views' })).toEqual({ ok: false, errors: { metrics: 'Metrics is not valid JSON.' } });
  });

  it('refuses a choice a select does not offer', () => {
    expect(buildBody(form('notify/system-event'), { eventType: 'x', message: 'y', severity: 'fatal' })).toEqual({ ok: false, errors: { severity: 'Severity must be one of info, warning, error.' } });
  });

  it('leaves rules across fields to the server (active above total goes out as typed)', () => {
    expect(buildBody(form('broadcast/user-count'), { total: '1', active: '5' })).toEqual({ ok: true, body: { total: 1, active: 5 } });
  });
});
