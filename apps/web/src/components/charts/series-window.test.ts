import { describe, expect, it } from 'vitest';
import { addPoint, bound, emptyWindow, latestValue, toColumns, windowOf } from './series-window';

const at = (seconds: number, values: Record<string, number | null>) => ({ at: seconds * 1000, values });

describe('the chart window', () => {
  it('keeps at most maxPoints points, dropping the oldest', () => {
    let window = emptyWindow();
    for (let second = 1; second <= 10; second++) window = addPoint(window, at(second, { a: second }), { maxPoints: 4 });
    expect(window.points.map((point) => point.at / 1000)).toEqual([7, 8, 9, 10]);
  });

  it('drops points older than maxAgeMs behind the newest', () => {
    const window = windowOf([at(0, { a: 1 }), at(30, { a: 2 }), at(61, { a: 3 }), at(90, { a: 4 })], { maxPoints: 100, maxAgeMs: 60_000 });
    expect(window.points.map((point) => point.at / 1000)).toEqual([30, 61, 90]);
  });

  it('puts a late point in time order and replaces one at the same time', () => {
    let window = windowOf([at(1, { a: 1 }), at(3, { a: 3 })], { maxPoints: 10 });
    window = addPoint(window, at(2, { a: 2 }), { maxPoints: 10 });
    window = addPoint(window, at(3, { a: 33 }), { maxPoints: 10 });
    expect(window.points.map((point) => point.values['a'])).toEqual([1, 2, 33]);
  });

  it('adds a series the first time a point names it; earlier points are gaps in its column', () => {
    const window = windowOf([at(1, { a: 1 }), at(2, { a: 2, b: 5 })], { maxPoints: 10 });
    expect(window.keys).toEqual(['a', 'b']);
    expect(toColumns(window)).toEqual([[1, 2], [1, 2], [null, 5]]);
  });

  it('ignores a point without a usable time and reads the latest value of a series', () => {
    const window = addPoint(windowOf([at(1, { a: 1, b: 4 }), at(2, { a: null })], { maxPoints: 10 }), { at: Number.NaN, values: { a: 9 } }, { maxPoints: 10 });
    expect(window.points).toHaveLength(2);
    expect(latestValue(window, 'a')).toBe(1);
    expect(latestValue(window, 'b')).toBe(4);
    expect(latestValue(window, 'c')).toBeUndefined();
  });

  it('leaves a window within its limits as it is', () => {
    const window = windowOf([at(1, { a: 1 })], { maxPoints: 10 });
    expect(bound(window, { maxPoints: 10, maxAgeMs: 5000 })).toBe(window);
  });
});
