/** Removal records of partly removed runs (src/queue/removed-ranges.ts), against a Set as the model. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodecError } from '../../src/queue/codec.js';
import { addRange, coversAll, decodeRanges, encodeRanges, isRemoved, rangesOf, type Ranges } from '../../src/queue/removed-ranges.js';
import { prng } from '../helpers/prng.js';

test('removed ranges: adding ranges in any order keeps them sorted, disjoint and merged, and equal to a set', () => {
  const rand = prng(4242);
  for (let round = 0; round < 300; round++) {
    let ranges: Ranges = [];
    const model = new Set<number>();
    for (let k = 0; k < 8; k++) {
      const a = 100 + Math.floor(rand() * 60);
      const b = a + Math.floor(rand() * 6);
      ranges = addRange(ranges, a, b);
      for (let s = a; s <= b; s++) model.add(s);
      assert.doesNotThrow(() => decodeRanges(encodeRanges(ranges)), 'sorted, disjoint, not adjacent');
      for (let s = 95; s <= 170; s++) assert.equal(isRemoved(ranges, s), model.has(s), `seq ${s} after ${JSON.stringify(ranges)}`);
    }
    const all = [...model].sort((x, y) => x - y);
    const first = all[0] ?? 0;
    const last = all.at(-1) ?? 0;
    assert.equal(coversAll(ranges, first, last), all.length === last - first + 1);
  }
  assert.deepEqual(addRange([[1, 2], [6, 7]], 3, 5), [[1, 7]], 'adjacent ranges merge');
  for (let round = 0; round < 200; round++) {
    const seqs = Array.from({ length: Math.floor(rand() * 40) }, () => 1000 + Math.floor(rand() * 50));
    let expected: Ranges = [];
    for (const s of seqs) expected = addRange(expected, s, s);
    assert.deepEqual(rangesOf(seqs), expected, `rangesOf ${JSON.stringify(seqs)}`);
  }
  assert.equal(isRemoved(undefined, 3), false);
});

test('removed ranges: a record that is not sorted, disjoint integer ranges is a CodecError', () => {
  for (const raw of ['nope', '{}', '[[1]]', '[[2,1]]', '[[1,2],[3,4]]', '[[5,6],[1,2]]', '[[1.5,2]]', '[["1",2]]']) {
    assert.throws(() => decodeRanges(raw), CodecError, raw);
  }
  assert.deepEqual(decodeRanges('[[1,2],[4,9]]'), [[1, 2], [4, 9]]);
});
