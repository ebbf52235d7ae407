/** Queue keys (codec.ts) and commits of batches whose items are not in seq order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyRange, runKey, seqKey } from '../../src/queue/codec.js';
import { MemoryQueue } from '../../src/queue/memory-queue.js';

const SEQS = [0, 1, 9, 10, 15, 16, 255, 256, 4095, 65_536, 2 ** 32, 2 ** 32 + 1, 2 ** 52, Number.MAX_SAFE_INTEGER];

test('queue keys: a run is s! + first + last as 16 lower-case hex digits each, round trip, and key order is seq order', () => {
  for (const seq of SEQS) {
    const key = runKey(seq, seq + 5 > Number.MAX_SAFE_INTEGER ? seq : seq + 5);
    assert.match(key, /^s![0-9a-f]{32}$/, key);
    assert.equal(key.slice(0, 18), `s!${seq.toString(16).padStart(16, '0')}`);
    assert.deepEqual(keyRange(key), [seq, seq + 5 > Number.MAX_SAFE_INTEGER ? seq : seq + 5]);
    // the first format's one-sample key still reads
    assert.deepEqual(keyRange(seqKey(seq)), [seq, seq]);
  }
  const keys = SEQS.map((s) => runKey(s, s));
  assert.deepEqual([...keys].sort(), keys, 'lexicographic order of the keys is numeric order of the seqs');
  const mixed = [runKey(1, 4), seqKey(5), runKey(6, 6), seqKey(7), runKey(8, 300)];
  assert.deepEqual([...mixed].sort(), mixed, 'old and run keys interleave in seq order');
  assert.deepEqual(keyRange(runKey(1, 256)), [1, 256]);
  for (const bad of ['s!12', 'x!0000000000000001', `s!${'0'.repeat(15)}g`, runKey(5, 4), runKey(1, 257), `s!${'f'.repeat(16)}`]) {
    assert.throws(() => keyRange(bad), /sample key/, bad);
  }
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
