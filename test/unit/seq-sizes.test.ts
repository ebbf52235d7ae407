/** The queue's in-flight set (seq -> size): an open-addressing table, checked against a Map. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeqSizes } from '../../src/queue/seq-sizes.js';
import { prng } from '../helpers/prng.js';

function assertSame(t: SeqSizes, model: Map<number, number>, probe: Iterable<number>, at: string): void {
  assert.equal(t.size, model.size, `${at}: size`);
  for (const seq of probe) {
    assert.equal(t.has(seq), model.has(seq), `${at}: has(${seq})`);
    assert.equal(t.get(seq), model.get(seq), `${at}: get(${seq})`);
  }
}

test('seq sizes: set, get, update, delete of single seqs', () => {
  const t = new SeqSizes();
  assert.equal(t.get(1), undefined);
  t.set(1, 40);
  t.set(2, 41);
  t.set(1, 42); // an update, not a second entry
  assert.equal(t.size, 2);
  assert.equal(t.get(1), 42);
  assert.equal(t.delete(1), 42);
  assert.equal(t.delete(1), undefined, 'a second delete finds nothing');
  assert.equal(t.has(1), false);
  assert.equal(t.get(2), 41);
  assert.equal(t.has(0), false, '0 is the empty marker, never a member');
  assert.throws(() => t.set(0, 1), /positive integer/);
  assert.throws(() => t.set(1.5, 1), /positive integer/);
});

test('seq sizes: colliding seqs (same slot modulo the capacity) survive deletes in any order', () => {
  const t = new SeqSizes();
  const model = new Map<number, number>();
  // 4096 is the initial capacity: these all want slot 7, and wrap-around runs start near the end.
  const seqs = [7, 7 + 4096, 7 + 2 * 4096, 4095, 4095 + 4096, 8, 7 + 3 * 4096];
  for (const s of seqs) {
    t.set(s, s % 1000);
    model.set(s, s % 1000);
  }
  for (const s of [7 + 4096, 4095, 7, 8]) {
    assert.equal(t.delete(s), model.get(s));
    model.delete(s);
    assertSame(t, model, seqs, `after deleting ${s}`);
  }
});

test('seq sizes: random sets and deletes across growth and clear agree with a Map', () => {
  for (const seed of [1, 2, 3]) {
    const next = prng(seed);
    const t = new SeqSizes();
    const model = new Map<number, number>();
    const touched = new Set<number>();
    let base = 1 + Math.floor(next() * 2 ** 40); // seqs far above 2^32 fold onto slots too
    for (let step = 0; step < 40_000; step++) {
      const r = next();
      // Mostly a moving window of consecutive seqs (as a queue hands them out), some far ones.
      const seq = r < 0.1 ? 1 + Math.floor(next() * 2 ** 45) : base + Math.floor(next() * 9000);
      touched.add(seq);
      if (next() < 0.55) {
        const size = Math.floor(next() * 500);
        t.set(seq, size);
        model.set(seq, size);
      } else {
        assert.equal(t.delete(seq), model.get(seq), `seed ${seed} step ${step}: delete(${seq})`);
        model.delete(seq);
      }
      if (step % 500 === 0) base += 300;
      if (step === 25_000) {
        t.clear();
        model.clear();
      }
    }
    assertSame(t, model, touched, `seed ${seed}`);
    assert.ok(model.size > 4096, `seed ${seed}: the table grew past its first capacity (${model.size} entries)`);
  }
});

test('seq sizes: a sliding window like the queue in flight, grown and then rebuilt many times', { timeout: 20_000 }, () => {
  const t = new SeqSizes();
  const model = new Map<number, number>();
  let oldest = 1;
  let next = 1;
  // The window grows to 6,000 (the table doubles twice), then slides: deleted slots pile up and
  // force rebuilds at the grown size, then shrinks again.
  for (let round = 0; round < 400; round++) {
    const window = round < 100 ? 60 * round : round < 300 ? 6000 : 6000 - 30 * (round - 300);
    for (; next - oldest < window + 100; next++) {
      t.set(next, next % 97);
      model.set(next, next % 97);
    }
    for (; next - oldest > window; oldest++) {
      assert.equal(t.delete(oldest), model.get(oldest), `round ${round}: delete(${oldest})`);
      model.delete(oldest);
    }
    assert.equal(t.size, model.size, `round ${round}: size`);
  }
  assertSame(t, model, Array.from({ length: next + 10 }, (_, i) => i), 'end');
});
