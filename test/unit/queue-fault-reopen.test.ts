/**
 * After a storage failure the queue reopens its store before the next operation (LevelDB refuses
 * every write after one failed until reopened), takes depth, bytes and seq from what is stored, and
 * never reuses a seq. A store that fails on demand stands in for the disk here; the real full disk
 * is in test/interop/queue-disk-full.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES, GatewayError } from '../../src/errors.js';
import type { Sample } from '../../src/model/sample.js';
import { MemoryStore } from '../../src/queue/memory-queue.js';
import type { StoredEntry } from '../../src/queue/store.js';
import { StoreQueue } from '../../src/queue/store-queue.js';

/** Memory store whose appends fail while `full`; counts opens and closes. */
class FlakyStore extends MemoryStore {
  full = false;
  opens = 0;
  override async open() {
    this.opens += 1;
    if (this.full) throw new GatewayError(ERROR_CODES.QUEUE_IO, 'No space left on device', { retryable: true });
    return super.open();
  }
  override async append(entries: readonly StoredEntry[], lastSeq: number): Promise<void> {
    if (this.full) throw new GatewayError(ERROR_CODES.QUEUE_IO, 'No space left on device', { retryable: true });
    return super.append(entries, lastSeq);
  }
}

const sample = (v: number): Sample => ({ device: 'd', point: 'p', ts: Date.now(), value: v, quality: 'good' });

test('a failed write reopens the store before the next operation; the queue carries on once space is back', async () => {
  const store = new FlakyStore();
  const q = new StoreQueue(store, { maxBytes: 1e9, maxAgeMs: 0, overflow: 'drop-oldest', sync: false });
  await q.start();
  assert.deepEqual((await q.append([sample(1), sample(2)])).map((s) => s.seq), [1, 2]);
  const open = await q.begin(1);
  assert.ok(open);
  store.full = true;
  await assert.rejects(q.append([sample(3)]), { code: ERROR_CODES.QUEUE_IO });
  await assert.rejects(q.append([sample(4)]), { code: ERROR_CODES.QUEUE_IO }, 'the reopen fails while the disk is full');
  assert.equal(store.opens, 2);
  store.full = false;
  assert.deepEqual((await q.append([sample(5)])).map((s) => s.seq), [3], 'reopened: no seq lost or reused');
  assert.equal(store.opens, 3);
  assert.deepEqual([q.stats().depth, q.stats().added], [3, 3]);
  const again = await q.begin(10);
  assert.deepEqual(again?.items.map((s) => s.seq), [1, 2, 3], 'batches open before the fault are handed out again');
  await q.stop();
});
