/**
 * The DurableQueue contract (src/queue/types.ts): one suite, run against every implementation.
 * Level-only behaviour (reopen, locking, kill -9) is in test/unit/level-queue.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '../../src/errors.js';
import type { QueuedSample, Sample } from '../../src/model/sample.js';
import { RUN_OVERHEAD, recordBytes, runSize } from '../../src/queue/run-codec.js';
import { LevelQueue } from '../../src/queue/level-queue.js';
import { MemoryQueue } from '../../src/queue/memory-queue.js';
import type { StoreQueueOptions } from '../../src/queue/store-queue.js';
import type { Batch, DurableQueue, QueueOptions } from '../../src/queue/types.js';

export interface QueueHarness {
  readonly queue: DurableQueue;
  /** Stops the queue (if still open) and removes whatever it stored. */
  dispose(): Promise<void>;
}
export type QueueFactory = (opts: StoreQueueOptions) => Promise<QueueHarness>;

const T0 = 1_700_000_000_000;

function sample(i: number, extra: Partial<Sample> = {}): Sample {
  return { device: `dev-${i % 3}`, point: `p${i}`, ts: T0 + i, value: i, quality: 'good', ...extra };
}

function samples(from: number, count: number, extra: Partial<Sample> = {}): Sample[] {
  return Array.from({ length: count }, (_, k) => sample(from + k, extra));
}

/** Bytes of `list` appended as one run (the first sample carries the run's key and header). */
function runBytes(list: readonly Sample[]): number {
  return list.reduce((sum, s, i) => sum + runSize(s, i), 0);
}

/** Bytes of samples stored in a run after its first one. */
function recordsOf(list: readonly Sample[]): number {
  return list.reduce((sum, s) => sum + recordBytes(s), 0);
}

function seqs(batch: Batch | null): number[] {
  return batch === null ? [] : batch.items.map((i) => i.seq);
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, k) => first + k);
}

/** Takes and commits everything; returns what was handed out. */
async function drain(q: DurableQueue, max = 7): Promise<QueuedSample[]> {
  const out: QueuedSample[] = [];
  for (let b = await q.begin(max); b !== null; b = await q.begin(max)) {
    out.push(...b.items);
    await q.commit(b);
  }
  return out;
}

export function queueContract(name: string, factory: QueueFactory): void {
  describe(`DurableQueue contract: ${name}`, () => {
    let clock = T0 + 1000;
    const base: StoreQueueOptions = { maxBytes: 1e9, maxAgeMs: 0, overflow: 'drop-oldest', sync: false, now: () => clock };

    async function withQueue(opts: Partial<QueueOptions>, body: (q: DurableQueue) => Promise<void>): Promise<void> {
      clock = T0 + 1000;
      const h = await factory({ ...base, ...opts });
      try {
        await h.queue.start();
        await body(h.queue);
      } finally {
        await h.dispose();
      }
    }

    it('append assigns consecutive sequence numbers from 1 and keeps every field', async () => {
      await withQueue({}, async (q) => {
        assert.equal(q.stats().nextSeq, 1);
        const input: Sample[] = [
          sample(1),
          { device: 'plc-7', point: 'serial', ts: T0, value: '18446744073709551615', quality: 'good' },
          { device: 'plc-7', point: 'run', ts: T0, value: true, quality: 'good' },
          { device: 'plc-7', point: 'temp', ts: T0, value: null, quality: 'bad', code: ERROR_CODES.DEVICE_TIMEOUT },
          { device: 'zähler-ü', point: 'nan', ts: T0, value: Number.NaN, quality: 'good' },
          { device: 'x', point: 'inf', ts: T0, value: Number.NEGATIVE_INFINITY, quality: 'good' },
          { device: 'x', point: 'float', ts: T0, value: -0.1 + 1e-17, quality: 'good' },
        ];
        const first = await q.append(input);
        assert.deepEqual(first, input.map((s, k) => ({ ...s, seq: k + 1 })));
        const second = await q.append(samples(10, 2));
        assert.deepEqual(second.map((s) => s.seq), [8, 9]);
        assert.equal(q.stats().nextSeq, 10);
        const out = await drain(q, 100);
        assert.deepEqual(out, [...first, ...second]);
      });
    });

    it('append of nothing changes nothing', async () => {
      await withQueue({}, async (q) => {
        assert.deepEqual(await q.append([]), []);
        assert.equal(q.stats().nextSeq, 1);
        assert.equal(await q.begin(10), null);
      });
    });

    it('begin hands out in sequence order; commit removes for good', async () => {
      await withQueue({}, async (q) => {
        await q.append(samples(1, 5));
        const a = await q.begin(2);
        const b = await q.begin(2);
        const c = await q.begin(10);
        assert.deepEqual([seqs(a), seqs(b), seqs(c)], [[1, 2], [3, 4], [5]]);
        assert.equal(await q.begin(10), null);
        for (const batch of [a, b, c]) if (batch !== null) await q.commit(batch);
        assert.equal(q.stats().depth, 0);
        assert.equal(q.stats().delivered, 5);
        assert.equal(await q.begin(10), null);
      });
    });

    it('several open batches get disjoint consecutive ranges, also across appends', async () => {
      await withQueue({}, async (q) => {
        await q.append(samples(1, 4));
        const a = await q.begin(3);
        await q.append(samples(5, 4));
        const b = await q.begin(3);
        const c = await q.begin(3);
        assert.deepEqual([...seqs(a), ...seqs(b), ...seqs(c)], range(1, 8));
        assert.equal(c?.items.length, 2);
        assert.notEqual(a?.id, b?.id);
      });
    });

    it('reject hands the same samples out again (same seq, ts, value)', async () => {
      await withQueue({}, async (q) => {
        await q.append(samples(1, 6));
        const a = await q.begin(3);
        assert.ok(a);
        await q.reject(a);
        const again = await q.begin(3);
        assert.deepEqual(again?.items, a.items);
        await q.reject(a); // a is no longer open: no effect
        assert.deepEqual(seqs(await q.begin(10)), [4, 5, 6]);
      });
    });

    it('reject with later batches open: nothing is skipped, duplicates keep their seq', async () => {
      await withQueue({}, async (q) => {
        await q.append(samples(1, 9));
        const a = await q.begin(3);
        const b = await q.begin(3);
        assert.ok(a && b);
        await q.reject(a);
        const again = await q.begin(100);
        assert.deepEqual(seqs(again), range(1, 9)); // b's samples go out a second time
        assert.ok(again);
        await q.commit(again);
        await q.commit(b); // its samples are already gone: nothing counted twice
        const s = q.stats();
        assert.deepEqual([s.depth, s.bytes, s.delivered], [0, 0, 9]);
      });
    });

    it('rejectAll returns every open batch, from the oldest', async () => {
      await withQueue({}, async (q) => {
        await q.append(samples(1, 10));
        const a = await q.begin(2);
        const b = await q.begin(2);
        await q.begin(2);
        assert.ok(a && b);
        await q.commit(b);
        await q.rejectAll();
        assert.deepEqual(seqs(await q.begin(100)), [1, 2, 5, 6, 7, 8, 9, 10]);
        await q.rejectAll();
        await q.commit(a); // after rejectAll a late commit still removes what it names
        assert.deepEqual(seqs(await q.begin(100)), [5, 6, 7, 8, 9, 10]);
        assert.equal(q.stats().depth, 6);
      });
    });

    it('commit is idempotent and may come in any order', async () => {
      await withQueue({}, async (q) => {
        const input = samples(1, 6);
        await q.append(input);
        const a = await q.begin(2);
        const b = await q.begin(2);
        assert.ok(a && b);
        await q.commit(b);
        await q.commit(b);
        assert.deepEqual([q.stats().depth, q.stats().delivered], [4, 2]);
        await q.commit(a);
        await q.commit(a);
        const s = q.stats();
        assert.deepEqual([s.depth, s.delivered, s.bytes], [2, 4, recordsOf(input.slice(4))]);
        assert.deepEqual(seqs(await q.begin(1)), [5]);
        await q.reject(a); // committed batches are closed: rejecting them moves nothing
        await q.reject(b);
        assert.deepEqual(seqs(await q.begin(10)), [6]);
      });
    });

    it('stats: depth, bytes, oldest age, added, delivered', async () => {
      await withQueue({}, async (q) => {
        const empty = q.stats();
        assert.deepEqual(empty, {
          depth: 0, bytes: 0, oldestAgeMs: 0, added: 0, delivered: 0, nextSeq: 1,
          dropped: { 'max-bytes': 0, 'max-age': 0, 'reject-new': 0 },
        });
        const input = samples(1, 5); // ts = T0+1 .. T0+5
        await q.append(input);
        clock = T0 + 101;
        let s = q.stats();
        assert.deepEqual([s.depth, s.bytes, s.added, s.delivered, s.nextSeq], [5, runBytes(input), 5, 0, 6]);
        assert.equal(s.oldestAgeMs, 100);
        const a = await q.begin(2);
        assert.ok(a);
        assert.equal(q.stats().depth, 5, 'begun samples still count until commit');
        await q.commit(a);
        s = q.stats();
        assert.deepEqual([s.depth, s.bytes, s.delivered], [3, recordsOf(input.slice(2)), 2]);
        assert.equal(s.oldestAgeMs, 98);
        await drain(q);
        assert.deepEqual([q.stats().depth, q.stats().bytes, q.stats().oldestAgeMs], [0, 0, 0]);
      });
    });

    it('drop-oldest keeps bytes within budget + one batch and counts every drop', async () => {
      // Every sample here has the same record size; the first of each append also carries its run's key and header.
      const record = recordBytes(sample(10));
      const maxBytes = record * 10 + RUN_OVERHEAD * 3;
      const sizeOfSeq = (seq: number) => record + (seq === 1 || (seq >= 5 && (seq - 5) % 3 === 0) ? RUN_OVERHEAD : 0);
      await withQueue({ maxBytes }, async (q) => {
        const open = await (async () => {
          await q.append(samples(10, 4)); // seqs 1-4, then runs of three: 5-7, 8-10, ...
          return q.begin(4); // these go to drop-oldest while open
        })();
        assert.ok(open);
        for (let i = 14; i < 90; i += 3) {
          const batch = samples(i, 3);
          await q.append(batch);
          assert.ok(q.stats().bytes <= maxBytes + runBytes(batch));
        }
        await q.commit(open); // its samples were dropped: must not change counts
        const s = q.stats();
        assert.equal(s.delivered, 0);
        assert.equal(s.dropped['max-bytes'], s.added - s.depth - s.delivered);
        const kept = seqs(await q.begin(1000));
        assert.deepEqual(kept, range(s.nextSeq - s.depth, s.nextSeq - 1), 'the newest samples survive');
        assert.equal(s.bytes, kept.reduce((sum, seq) => sum + sizeOfSeq(seq), 0), 'bytes count what is stored');
        assert.ok(s.bytes <= maxBytes);
        assert.ok(s.bytes + sizeOfSeq((kept[0] ?? 0) - 1) > maxBytes, 'drops only what the new batch needs');
      });
    });

    it('drop-oldest stores a batch bigger than the whole budget (alone)', async () => {
      await withQueue({ maxBytes: runBytes(samples(10, 3)) }, async (q) => {
        await q.append(samples(10, 2));
        const big = await q.append(samples(20, 5));
        assert.equal(big.length, 5);
        const s = q.stats();
        assert.deepEqual([s.depth, s.dropped['max-bytes']], [5, 2]);
      });
    });

    it('reject-new accepts what fits, counts the rest, and accepts again after a commit', async () => {
      const maxBytes = runBytes(samples(10, 5)); // five samples of one append fit, a sixth does not
      await withQueue({ maxBytes, overflow: 'reject-new' }, async (q) => {
        const accepted = await q.append(samples(10, 8));
        assert.deepEqual(accepted.map((s) => s.seq), [1, 2, 3, 4, 5]);
        assert.deepEqual(await q.append(samples(18, 1)), []);
        let s = q.stats();
        assert.deepEqual([s.depth, s.added, s.dropped['reject-new'], s.nextSeq], [5, 5, 4, 6]);
        const a = await q.begin(2);
        assert.ok(a);
        await q.commit(a);
        const more = await q.append(samples(19, 3));
        assert.deepEqual(more.map((x) => x.seq), [6, 7]);
        s = q.stats();
        assert.deepEqual([s.depth, s.dropped['reject-new'], s.dropped['max-bytes']], [5, 5, 0]);
        assert.ok(s.bytes <= maxBytes);
      });
    });

    it('max-age: expired samples are never handed out and are counted', async () => {
      await withQueue({ maxAgeMs: 1000 }, async (q) => {
        clock = T0 + 10_000;
        const old = { ts: T0 };
        const fresh = { ts: T0 + 9_500 };
        // the stale ones in the middle go too, not only those at the head
        await q.append([sample(1, old), sample(2, fresh), sample(3, old), sample(4, fresh), sample(5, fresh)]);
        const b = await q.begin(2);
        assert.deepEqual(seqs(b), [2, 4]);
        assert.ok(b);
        await q.commit(b);
        let s = q.stats();
        assert.deepEqual([s.depth, s.delivered, s.dropped['max-age']], [1, 2, 2]);
        const b2 = await q.begin(10);
        assert.deepEqual(seqs(b2), [5]);
        // time passes: the begun sample expires too, dropped on the next append
        clock = T0 + 20_000;
        await q.append([sample(6, { ts: T0 + 19_990 })]);
        s = q.stats();
        assert.deepEqual([s.depth, s.dropped['max-age'], s.oldestAgeMs], [1, 3, 10]);
        assert.ok(b2);
        await q.commit(b2); // dropped meanwhile: nothing delivered
        assert.equal(q.stats().delivered, 2);
        assert.deepEqual(seqs(await q.begin(10)), [6]);
      });
    });

    it('max-age: a backlog that expired while waiting is dropped on begin', async () => {
      await withQueue({ maxAgeMs: 1000 }, async (q) => {
        clock = T0 + 100;
        await q.append(samples(1, 20));
        clock = T0 + 5000;
        assert.equal(await q.begin(5), null);
        const s = q.stats();
        assert.deepEqual([s.depth, s.bytes, s.dropped['max-age'], s.oldestAgeMs], [0, 0, 20, 0]);
      });
    });

    it('max-age: a long expired run at the head goes at once, oldest age follows', async () => {
      await withQueue({ maxAgeMs: 1000 }, async (q) => {
        clock = T0 + 10_000;
        await q.append([...samples(1, 700, { ts: T0 }), ...samples(701, 10, { ts: T0 + 9_900 })]);
        await q.append(samples(711, 1, { ts: T0 + 9_950 }));
        const s = q.stats();
        assert.deepEqual([s.depth, s.dropped['max-age'], s.oldestAgeMs], [11, 700, 100]);
        assert.deepEqual(seqs(await q.begin(100)), range(701, 711));
      });
    });

    it('concurrent appends, begins and commits keep counters exact', async () => {
      await withQueue({}, async (q) => {
        const appends: Promise<QueuedSample[]>[] = [];
        const takers: Promise<number[]>[] = [];
        for (let k = 0; k < 20; k++) {
          appends.push(q.append(samples(k * 5, 5)));
          takers.push(q.begin(4).then(async (b) => (b === null ? [] : q.commit(b).then(() => seqs(b)))));
        }
        const [appended, taken] = await Promise.all([Promise.all(appends), Promise.all(takers)]);
        assert.deepEqual(appended.flat().map((s) => s.seq), range(1, 100));
        const handed = taken.flat();
        assert.equal(new Set(handed).size, handed.length, 'no sample in two batches');
        const rest = await drain(q);
        assert.deepEqual([...handed, ...rest.map((x) => x.seq)].sort((x, y) => x - y), range(1, 100));
        const s = q.stats();
        assert.deepEqual([s.added, s.delivered, s.depth, s.bytes], [100, 100, 0, 0]);
      });
    });

    it('begin rejects a max that is not a positive integer', async () => {
      await withQueue({}, async (q) => {
        await assert.rejects(q.begin(0), { code: ERROR_CODES.INTERNAL });
        await assert.rejects(q.begin(1.5), { code: ERROR_CODES.INTERNAL });
      });
    });

    it('live lane: beginLive hands out from its first seq on, the backlog lane stops before it', async () => {
      await withQueue({}, async (q) => {
        await q.append(samples(1, 6)); // backlog 1..6
        const old = await q.begin(2);
        assert.deepEqual(seqs(old), [1, 2]);
        assert.equal(await q.beginLive(0, 7), null, 'max 0 opens the lane');
        assert.deepEqual(seqs(await q.begin(1)), [3]);
        assert.equal(await q.beginLive(10, 7), null, 'nothing live yet');
        await q.append(samples(7, 3)); // live 7..9
        const live = await q.beginLive(2, 7);
        assert.deepEqual(seqs(live), [7, 8]);
        assert.deepEqual(seqs(await q.begin(100)), [4, 5, 6], 'the backlog lane stops before the live lane');
        assert.equal(await q.begin(100), null);
        assert.deepEqual(seqs(await q.beginLive(10, 7)), [9]);
        await q.append(samples(10, 1));
        assert.deepEqual(seqs(await q.beginLive(10, 7)), [10]);
        assert.equal(await q.begin(100), null, 'new samples belong to the live lane');
      });
    });

    it('live lane: reject rewinds the lane the batch belongs to; every sample goes out, none twice without a reject', async () => {
      await withQueue({}, async (q) => {
        await q.append(samples(1, 4));
        const back = await q.begin(2); // 1, 2
        await q.append(samples(5, 4));
        const live = await q.beginLive(2, 5); // 5, 6
        assert.ok(back && live);
        await q.reject(live);
        assert.deepEqual(seqs(await q.beginLive(10, 5)), [5, 6, 7, 8]);
        await q.reject(back);
        assert.deepEqual(seqs(await q.begin(10)), [1, 2, 3, 4]);
        await q.rejectAll();
        const out = [...seqs(await q.beginLive(10, 5)), ...seqs(await q.begin(10))];
        assert.deepEqual(out, [5, 6, 7, 8, 1, 2, 3, 4]);
      });
    });

    it('live lane: a new start turns the rest of the old lane into backlog; commits count once', async () => {
      await withQueue({}, async (q) => {
        await q.append(samples(1, 3)); // 1..3 backlog
        const a = await q.beginLive(1, 2); // lane from 2: hands out 2
        assert.deepEqual(seqs(a), [2]);
        assert.deepEqual(seqs(await q.begin(10)), [1]);
        await q.rejectAll(); // e.g. a disconnect
        await q.append(samples(4, 2)); // 4, 5
        assert.deepEqual(seqs(await q.beginLive(10, 6)), [], 'nothing at or after the new start yet');
        const rest = await q.begin(10);
        assert.deepEqual(seqs(rest), [1, 2, 3, 4, 5], 'the old lane is backlog again');
        assert.ok(rest);
        await q.commit(rest);
        await q.append(samples(6, 1));
        const b = await q.beginLive(10, 6);
        assert.deepEqual(seqs(b), [6]);
        assert.ok(b);
        await q.commit(b);
        const s = q.stats();
        assert.deepEqual([s.depth, s.delivered, s.bytes], [0, 6, 0]);
      });
    });

    it('after stop every method fails with QUEUE_CLOSED; stop again is harmless', async () => {
      await withQueue({}, async (q) => {
        await q.append(samples(1, 2));
        const b = await q.begin(1);
        assert.ok(b);
        const pending = q.append(samples(3, 1)); // called before stop: completes
        await q.stop();
        assert.equal((await pending).length, 1);
        const closed = { code: ERROR_CODES.QUEUE_CLOSED };
        await assert.rejects(q.append(samples(4, 1)), closed);
        await assert.rejects(q.begin(1), closed);
        await assert.rejects(q.beginLive(1, 1), closed);
        await assert.rejects(q.commit(b), closed);
        await assert.rejects(q.reject(b), closed);
        await assert.rejects(q.rejectAll(), closed);
        assert.throws(() => q.stats(), closed);
        await q.stop();
      });
    });
  });
}

queueContract('memory', async (opts) => {
  const queue = new MemoryQueue(opts);
  return { queue, dispose: () => queue.stop() };
});

queueContract('level', async (opts) => {
  const dir = await mkdtemp(join(tmpdir(), 'edgeway-queue-'));
  const queue = new LevelQueue(join(dir, 'queue'), opts);
  return {
    queue,
    dispose: async () => {
      await queue.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
