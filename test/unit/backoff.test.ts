import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, backoffCeiling, backoffDelay } from '../../src/util/backoff.js';

const opts = { minMs: 500, maxMs: 30_000 };

describe('backoffCeiling', () => {
  it('doubles from min and caps at max', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 7, 100].map((a) => backoffCeiling(a, opts));
    assert.deepEqual(ceilings, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('survives absurd attempt numbers and options', () => {
    assert.equal(backoffCeiling(1e9, opts), 30_000);
    assert.equal(backoffCeiling(-3, opts), 500);
    assert.equal(backoffCeiling(3, { minMs: 0, maxMs: 10 }), 8);
    assert.equal(backoffCeiling(3, { minMs: 100, maxMs: 50 }), 100);
  });
});

describe('backoffDelay (full jitter above the floor)', () => {
  it('spans [min, ceiling] with the injected random source', () => {
    assert.equal(backoffDelay(3, opts, () => 0), 500);
    assert.equal(backoffDelay(3, opts, () => 0.5), 2250);
    assert.equal(backoffDelay(3, opts, () => 0.999_999), 4000);
    assert.equal(backoffDelay(20, opts, () => 0.999_999), 30_000);
  });

  it('never goes below min or above the ceiling, whatever the random source returns (NaN included)', () => {
    for (const r of [-1, 0, 0.3, 1, 2, Number.NaN]) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const d = backoffDelay(attempt, opts, () => r);
        assert.ok(d >= 500 && d <= backoffCeiling(attempt, opts), `attempt ${attempt} r=${r}: ${d}`);
      }
    }
  });
});

describe('Backoff', () => {
  it('grows per failed attempt and starts over after reset', () => {
    const b = new Backoff(opts, () => 1);
    assert.deepEqual([b.next(), b.next(), b.next()], [500, 1000, 2000]);
    assert.equal(b.attempts, 3);
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.next(), 500);
  });

  it('draws a fresh random number per attempt', () => {
    const draws = [0.25, 0.75];
    const b = new Backoff({ minMs: 100, maxMs: 1000 }, () => draws.shift() ?? 0);
    assert.deepEqual([b.next(), b.next(), b.next()], [100, 175, 100]);
  });
});
