/** Queue keys (codec.ts) and commits of batches whose items are not in seq order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keySeq, seqKey } from '../../src/queue/codec.js';
import { MemoryQueue } from '../../src/queue/memory-queue.js';

test('queue keys: s! + 16 lower-case hex digits, round trip, and key order is seq order', () => {
  const seqs = [0, 1, 9, 10, 15, 16, 255, 256, 4095, 65_536, 2 ** 32, 2 ** 32 + 1, 2 ** 52, Number.MAX_SAFE_INTEGER];
  for (const seq of seqs) {
    const key = seqKey(seq);
    assert.match(key, /^s![0-9a-f]{16}$/, key);
    assert.equal(key, `s!${seq.toString(16).padStart(16, '0')}`);
    assert.equal(keySeq(key), seq);
  }
  const keys = seqs.map(seqKey);
  assert.deepEqual([...keys].sort(), keys, 'lexicographic order of the keys is numeric order of the seqs');
});

test('queue commit: a batch handed back with its items out of order (and repeated) removes each sample once', async () => {
  const q = new MemoryQueue({ maxBytes: 1 << 20, maxAgeMs: 0, overflow: 'drop-oldest', sync: false });
  await q.start();
  await q.append(Array.from({ length: 6 }, (_, i) => ({ device: 'd', point: `p${i}`, ts: 1, value: i, quality: 'good' as const })));
  const batch = await q.begin(6);
  assert.ok(batch);
  const items = [...batch.items].reverse();
  await q.commit({ id: batch.id, items: [...items, items[0]!] });
  const stats = q.stats();
  assert.equal(stats.depth, 0);
  assert.equal(stats.delivered, 6, 'each sample counted once');
  assert.equal(stats.bytes, 0);
  await q.stop();
});
