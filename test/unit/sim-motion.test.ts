import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SimulateSpec } from '../../src/config/model-schema.js';
import { createMotion, hashUnit, pointSeed, valueAt, type SimValue } from '../../src/sim/motion.js';

/** Samples a spec at t = 0, dt, 2dt, ... (n samples) with one motion object. */
function series(spec: SimulateSpec, seed: number, n: number, dt: number): SimValue[] {
  const m = createMotion(spec, seed);
  return Array.from({ length: n }, (_, i) => m.at(i * dt));
}

function numbers(values: SimValue[]): number[] {
  return values.map((v) => {
    assert.equal(typeof v, 'number');
    return v as number;
  });
}

const BOUNDED: SimulateSpec[] = [
  { pattern: 'sine', min: -8, max: 14, periodS: 60, noise: 3 },
  { pattern: 'ramp', min: 20, max: 100, periodS: 30, noise: 2 },
  { pattern: 'ramp', min: 20, max: 100, periodS: 30, step: -1, noise: 2 },
  { pattern: 'walk', min: 13, max: 19, step: 0.8, noise: 0.5 },
  { pattern: 'walk', min: 0, max: 1, step: 5, value: 1 },
];

describe('sim motion', () => {
  it('is deterministic for a seed, whatever the sampling', () => {
    for (const spec of BOUNDED) {
      const a = series(spec, 42, 400, 0.37);
      assert.deepEqual(series(spec, 42, 400, 0.37), a, spec.pattern);
      // a fresh motion asked directly about a late time gives the same value as one that stepped there
      assert.equal(valueAt(spec, 399 * 0.37, 42), a[399], spec.pattern);
    }
  });

  it('differs between seeds for random patterns', () => {
    const walk: SimulateSpec = { pattern: 'walk', min: 0, max: 100 };
    assert.notDeepEqual(series(walk, 1, 50, 1), series(walk, 2, 50, 1));
    const sine: SimulateSpec = { pattern: 'sine', min: 0, max: 100, periodS: 60 };
    assert.notEqual(valueAt(sine, 0, 1), valueAt(sine, 0, 2));
  });

  it('stays within [min, max] including noise', () => {
    for (const spec of BOUNDED) {
      for (const seed of [1, 7, 12345]) {
        for (const v of numbers(series(spec, seed, 2000, 0.13))) {
          assert.ok(v >= (spec.min ?? 0) && v <= (spec.max ?? 100), `${spec.pattern} seed ${seed}: ${v}`);
        }
      }
    }
  });

  it('walk moves at most `step` per knot and goes back in time consistently', () => {
    const spec: SimulateSpec = { pattern: 'walk', min: 0, max: 10, step: 0.5, periodS: 2, value: 5 };
    const knots = numbers(series(spec, 9, 300, 2));
    assert.equal(knots[0], 5);
    for (let i = 1; i < knots.length; i++) {
      assert.ok(Math.abs((knots[i] ?? 0) - (knots[i - 1] ?? 0)) <= 0.5 + 1e-9, `knot ${i}`);
    }
    assert.ok(new Set(knots).size > 100, 'a walk wanders');
    const m = createMotion(spec, 9);
    const late = m.at(500);
    assert.equal(m.at(20), knots[10]);
    assert.equal(m.at(500), late);
  });

  it('sine repeats every period and spans the range', () => {
    const spec: SimulateSpec = { pattern: 'sine', min: 2, max: 58, periodS: 120 };
    const v = numbers(series(spec, 3, 1200, 0.1));
    for (let i = 0; i < 10; i++) assert.ok(Math.abs((v[i] ?? 0) - (valueAt(spec, i * 0.1 + 120, 3) as number)) < 1e-9);
    assert.ok(Math.min(...v) < 2.1 && Math.max(...v) > 57.9);
  });

  it('ramp rises from min to max, or falls with a negative step', () => {
    const up: SimulateSpec = { pattern: 'ramp', min: 0, max: 360, periodS: 40 };
    assert.equal(valueAt(up, 0, 1), 0);
    assert.equal(valueAt(up, 10, 1), 90);
    assert.equal(valueAt(up, 50, 1), 90);
    const down: SimulateSpec = { pattern: 'ramp', min: 20, max: 100, periodS: 80, step: -1 };
    assert.equal(valueAt(down, 0, 1), 100);
    assert.equal(valueAt(down, 40, 1), 60);
    assert.equal(valueAt(down, 80, 1), 100);
  });

  it('toggle flips every period from its start value', () => {
    const off: SimulateSpec = { pattern: 'toggle', periodS: 5 };
    assert.deepEqual(series(off, 1, 6, 2.5), [false, false, true, true, false, false]);
    const on: SimulateSpec = { pattern: 'toggle', periodS: 5, value: true };
    assert.deepEqual(series(on, 1, 4, 5), [true, false, true, false]);
  });

  it('cycle steps through values and wraps', () => {
    const spec: SimulateSpec = { pattern: 'cycle', periodS: 20, values: [0, 1, 4, 'x', true] };
    assert.deepEqual(series(spec, 1, 7, 20), [0, 1, 4, 'x', true, 0, 1]);
    assert.equal(valueAt(spec, 19.99, 1), 0);
  });

  it('counter adds step per second, wrapping inside bounds', () => {
    assert.equal(valueAt({ pattern: 'counter', value: 182340, step: 0.9 }, 100, 1), 182430);
    const wrap: SimulateSpec = { pattern: 'counter', min: 0, max: 100, step: 30 };
    assert.deepEqual(series(wrap, 1, 5, 1), [0, 30, 60, 90, 20]);
    const down: SimulateSpec = { pattern: 'counter', min: 0, max: 100, step: -30 };
    assert.deepEqual(series(down, 1, 4, 1), [0, 70, 40, 10]);
  });

  it('constant serves its value; no spec serves 0', () => {
    assert.equal(valueAt({ pattern: 'constant', value: 16.5 }, 1000, 1), 16.5);
    assert.equal(valueAt({ pattern: 'constant', value: true }, 3, 1), true);
    assert.equal(valueAt(undefined, 3, 1), 0);
  });

  it('hashes are uniform-ish in [0,1) and point seeds depend on name and seed', () => {
    const draws = Array.from({ length: 10000 }, (_, i) => hashUnit(77, i));
    assert.ok(draws.every((d) => d >= 0 && d < 1));
    const mean = draws.reduce((s, d) => s + d, 0) / draws.length;
    assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
    assert.notEqual(pointSeed(1, 'position_x'), pointSeed(1, 'position_y'));
    assert.notEqual(pointSeed(1, 'position_x'), pointSeed(2, 'position_x'));
    assert.equal(pointSeed(1, 'position_x'), pointSeed(1, 'position_x'));
  });
});
