import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HubwireError } from '../../core/errors.js';
import { GroupSpecs, RecoveryDefaults } from './group-specs.js';
import type { RecoveryOptions } from './recovery-types.js';

const invalidOption = (error: unknown): boolean => error instanceof HubwireError && error.code === 'HUB_ERR_INVALID_OPTION';

describe('GroupSpecs', () => {
  test('exact names, globs, RegExps and predicates; the first match wins', () => {
    const specs = new GroupSpecs({
      groups: [
        { match: 'lobby', maxCount: 1 },
        { match: 'org:*:news', maxCount: 2 },
        { match: /^room-\d+$/g, maxCount: 3 },
        { match: (group) => group.endsWith('!'), maxCount: 4 },
        { match: 'org:*', maxCount: 5 },
      ],
    });
    const count = (group: string) => specs.resolve(group)?.maxCount;
    assert.equal(count('lobby'), 1);
    assert.equal(count('lobby2'), undefined);
    assert.equal(count('org:1:news'), 2);
    assert.equal(count('org:a:b:news'), 2);
    assert.equal(count('org:1'), 5);
    assert.equal(count('xorg:1'), undefined);
    // A global RegExp keeps lastIndex between tests; asked twice, the answer must not change.
    assert.equal(count('room-12'), 3);
    assert.equal(new GroupSpecs({ groups: [{ match: /^room-\d+$/g }] }).resolve('room-1') !== undefined, true);
    const global = new GroupSpecs({ groups: [{ match: /^r\d$/g }] });
    assert.deepEqual(['r1', 'r1', 'r2', 'r2'].map((group) => global.resolve(group) !== undefined), [true, true, true, true]);
    assert.equal(count('room-x'), undefined);
    assert.equal(count('anything!'), 4);
    // Glob characters other than * are literal.
    assert.equal(new GroupSpecs({ groups: [{ match: 'a.b*' }] }).resolve('axb1'), undefined);
    assert.equal(new GroupSpecs({ groups: [{ match: 'a.b*' }] }).resolve('a.b1') !== undefined, true);
  });

  test('defaults fill every spec, and the limits object is one per spec', () => {
    const specs = new GroupSpecs({ groups: [{ match: 'g' }] });
    const spec = specs.resolve('g')!;
    assert.equal(spec.maxCount, RecoveryDefaults.maxCount);
    assert.equal(spec.maxAge, RecoveryDefaults.maxAge);
    assert.equal(spec.positionArgument, true);
    assert.deepEqual(spec.policy, { action: 'disconnect' });
    assert.equal(spec.highWaterMark, RecoveryDefaults.highWaterMark);
    assert.equal(spec.maxQueued, RecoveryDefaults.maxQueued);
    assert.equal(specs.metaTtl, RecoveryDefaults.metaTtl);
    assert.deepEqual(specs.limits(spec), { maxCount: 1000, maxAge: 300_000, metaTtl: 86_400_000 });
    assert.equal(specs.limits(spec), specs.limits(specs.resolve('g')!));
    assert.equal(new GroupSpecs({ groups: [] }).empty, true);
  });

  test('a predicate is asked once per name (answers are cached), and the cache stays bounded', () => {
    let asked = 0;
    const specs = new GroupSpecs({ groups: [{ match: (group) => (asked++, group.startsWith('a')) }] });
    for (let i = 0; i < 3; i++) specs.resolve('a1');
    for (let i = 0; i < 3; i++) specs.resolve('b1');
    assert.equal(asked, 2);
    for (let i = 0; i < 10_050; i++) specs.resolve(`n${i}`);
    asked = 0;
    specs.resolve('a1'); // the oldest answers were forgotten
    assert.equal(asked, 1);
  });

  test('nonsense options fail with HUB_ERR_INVALID_OPTION', () => {
    const bad: unknown[] = [
      undefined,
      { groups: 'org:*' },
      { groups: [{ match: '' }] },
      { groups: [{ match: 42 }] },
      { groups: [{ match: 'g', maxCount: 0 }] },
      { groups: [{ match: 'g', maxCount: 1.5 }] },
      { groups: [{ match: 'g', maxAge: -1 }] },
      { groups: [{ match: 'g', positionArgument: 'yes' }] },
      { groups: [{ match: 'g', slowConsumer: { maxQueued: 0 } }] },
      { groups: [{ match: 'g', slowConsumer: { highWaterMark: -1 } }] },
      { groups: [{ match: 'g', slowConsumer: { policy: { action: 'shout' } } }] },
      { groups: [{ match: 'g', slowConsumer: { policy: { action: 'keep-latest' } } }] },
      { groups: [], metaTtl: 0 },
    ];
    for (const options of bad) assert.throws(() => new GroupSpecs(options as RecoveryOptions), invalidOption, JSON.stringify(options));
    assert.doesNotThrow(() => new GroupSpecs({ groups: [{ match: 'g', slowConsumer: { highWaterMark: 0, policy: { action: 'keep-latest', key: () => 'k' } } }] }));
  });
});
