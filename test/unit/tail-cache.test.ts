/** The queue's in-memory tail: answers a read only when it holds every stored entry after the position. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TailCache } from '../../src/queue/tail-cache.js';
import type { StoredEntry } from '../../src/queue/store.js';

const entry = (seq: number): StoredEntry => ({ seq, size: 10, sample: { device: 'd', point: `p${seq}`, ts: seq, value: seq, quality: 'good' } });
const seqs = (entries: StoredEntry[] | undefined) => entries?.map((e) => e.seq);

test('tail cache: reads after the reset point come from memory, in seq order, up to max', () => {
  const c = new TailCache(100);
  assert.equal(c.readAfter(0, 10), undefined, 'nothing known before a reset');
  c.reset(4); // the store holds seqs up to 4
  assert.equal(c.readAfter(3, 10), undefined, 'seq 4 is on disk only');
  assert.deepEqual(seqs(c.readAfter(4, 10)), [], 'nothing after 4 yet');
  c.added([5, 6, 7, 8].map(entry));
  assert.deepEqual(seqs(c.readAfter(4, 10)), [5, 6, 7, 8]);
  assert.deepEqual(seqs(c.readAfter(5, 2)), [6, 7]);
  c.removedRange(5, 6);
  c.removed([8]);
  assert.deepEqual(seqs(c.readAfter(4, 10)), [7]);
  c.removedRange(1, 1_000_000); // a range wider than the cache
  assert.deepEqual(seqs(c.readAfter(4, 10)), []);
});

test('tail cache: evicting the oldest entries moves the start, so older reads go to disk', () => {
  const c = new TailCache(3);
  c.reset(0);
  c.added([1, 2, 3, 4, 5].map(entry));
  assert.equal(c.readAfter(0, 10), undefined, 'seqs 1 and 2 were evicted');
  assert.equal(c.readAfter(1, 10), undefined);
  assert.deepEqual(seqs(c.readAfter(2, 10)), [3, 4, 5]);
});

test('tail cache: disabled (after a failed write or a close) it answers nothing until reset', () => {
  const c = new TailCache(10);
  c.reset(0);
  c.added([1, 2].map(entry));
  c.disable();
  c.added([3].map(entry));
  assert.equal(c.readAfter(2, 10), undefined);
  c.reset(3);
  assert.deepEqual(seqs(c.readAfter(3, 10)), []);
});
