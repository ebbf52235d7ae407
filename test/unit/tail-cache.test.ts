/** The queue's in-memory tail: answers a read only when it holds every stored entry after the position. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TailCache } from '../../src/queue/tail-cache.js';
import type { StoredEntry } from '../../src/queue/store.js';

const entry = (seq: number): StoredEntry => ({ seq, size: 10, sample: { device: 'd', point: `p${seq}`, ts: seq, value: seq, quality: 'good', seq } });
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

test('tail cache: the ring wraps many times over; every answer it gives is the truth, and the newest are always answered', () => {
  const c = new TailCache(8);
  c.reset(0);
  const stored = new Set<number>();
  const truth = (after: number, max: number) => [...stored].filter((s) => s > after).sort((a, b) => a - b).slice(0, max);
  let answered = 0;
  for (let seq = 1; seq <= 1000; seq += 5) {
    const batch = [seq, seq + 1, seq + 2, seq + 3, seq + 4];
    c.added(batch.map(entry));
    for (const s of batch) stored.add(s);
    // Commits out of order: one of each append at once, the rest later (some evicted first).
    c.removed([seq + 1]);
    stored.delete(seq + 1);
    if (seq % 3 === 0) {
      c.removedRange(seq - 20, seq - 10);
      for (let s = seq - 20; s <= seq - 10; s++) stored.delete(s);
    }
    for (let after = Math.max(0, seq - 30); after <= seq + 5; after++) {
      const got = c.readAfter(after, 6);
      if (got !== undefined) {
        answered++;
        assert.deepEqual(seqs(got), truth(after, 6), `after ${after}, append at ${seq}`);
      }
    }
    assert.ok(c.readAfter(Math.max(0, seq + 4 - 8), 100) !== undefined, 'the window of the newest 8 seqs is always answered');
  }
  assert.equal(c.readAfter(0, 10), undefined, 'stored entries evicted from the ring are for the disk to answer');
  assert.ok(answered > 1000);
});

test('tail cache: an append that skips seqs (never made by the queue) forgets what lies before it', () => {
  const c = new TailCache(10);
  c.reset(0);
  c.added([1, 2].map(entry));
  c.added([5, 6].map(entry));
  assert.equal(c.readAfter(2, 10), undefined, 'seqs 3 and 4 are not known');
  assert.deepEqual(seqs(c.readAfter(4, 10)), [5, 6]);
  c.added([7].map(entry));
  assert.deepEqual(seqs(c.readAfter(4, 1)), [5], 'max is honoured');
  assert.deepEqual(seqs(c.readAfter(6, 10)), [7]);
});

test('tail cache: one append larger than the ring keeps its newest entries', () => {
  const c = new TailCache(4);
  c.reset(0);
  c.added(Array.from({ length: 10 }, (_, i) => entry(i + 1)));
  assert.equal(c.readAfter(5, 10), undefined);
  assert.deepEqual(seqs(c.readAfter(6, 10)), [7, 8, 9, 10]);
});

test('tail cache: while removals keep up with appends, reads from far back are still answered (nothing is stored there)', () => {
  const c = new TailCache(4);
  c.reset(0);
  for (let seq = 1; seq <= 100; seq += 2) {
    c.added([seq, seq + 1].map(entry));
    c.removedRange(seq, seq + 1);
  }
  c.added([101].map(entry));
  assert.deepEqual(seqs(c.readAfter(0, 10)), [101], 'the backlog lane learns from memory that only 101 is stored');
});
