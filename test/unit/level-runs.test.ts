/**
 * The level queue's storage of runs (one key per append; removal records for runs partly removed):
 * what a clean stop and a crash keep, queues written by the first format, damaged records.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Level } from 'level';
import { ERROR_CODES, GatewayError } from '../../src/errors.js';
import type { Sample } from '../../src/model/sample.js';
import { LevelQueue } from '../../src/queue/level-queue.js';
import { RUN_OVERHEAD, recordBytes } from '../../src/queue/run-codec.js';
import type { QueueOptions } from '../../src/queue/types.js';
import { freshDirs, takeAll } from '../helpers/level-dirs.js';

const OPTS: QueueOptions = { maxBytes: 1e9, maxAgeMs: 0, overflow: 'drop-oldest', sync: false };
const T = Date.now();

function samples(from: number, count: number, ts = T): Sample[] {
  return Array.from({ length: count }, (_, k) => ({ device: 'plc-1', point: `p${from + k}`, ts, value: from + k, quality: 'good' as const }));
}

/** The keys of the store, by kind (s! samples, x! removal records). */
async function keys(path: string): Promise<{ runs: string[]; removals: string[] }> {
  const db = new Level<string, string>(path);
  const all = await db.keys().all();
  await db.close();
  return { runs: all.filter((k) => k.startsWith('s!')), removals: all.filter((k) => k.startsWith('x!')) };
}

/** Reopens as after a kill -9: no checkpoint, so the next start reads every run. */
async function dropCheckpoint(path: string): Promise<void> {
  const db = new Level<string, string>(path);
  await db.del('m!checkpoint');
  await db.close();
}

async function corruptStart(path: string): Promise<string> {
  let message = '';
  await assert.rejects(new LevelQueue(path, OPTS).start(), (err: unknown) => {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, ERROR_CODES.QUEUE_CORRUPT);
    assert.ok(err.message.includes(path));
    message = err.message;
    return true;
  });
  return message;
}

describe('LevelQueue runs', () => {
  const fresh = freshDirs('edgeway-level-runs-');

  it('each append is one key (a long one a key per 256 samples); removing all of a run deletes it and leaves no record', async () => {
    const path = fresh();
    const q = new LevelQueue(path, OPTS);
    await q.start();
    for (let i = 0; i < 3; i++) await q.append(samples(i * 100, 100));
    const long = samples(1000, 600);
    await q.append(long);
    const bytes = q.stats().bytes;
    await q.stop();
    assert.deepEqual((await keys(path)).runs.length, 6, 'three appends of 100: three keys; one of 600: runs of 256, 256 and 88');
    await dropCheckpoint(path); // depth and bytes recounted from the runs
    await q.start();
    assert.deepEqual([q.stats().depth, q.stats().bytes], [900, bytes]);
    assert.equal(bytes, [...samples(0, 300), ...long].reduce((sum, s) => sum + recordBytes(s), 0) + 6 * RUN_OVERHEAD);
    const read = await q.begin(1000); // from disk: across every run, in seq order
    assert.deepEqual(read?.items.map((s) => s.value), [...samples(0, 300), ...long].map((s) => s.value));
    assert.ok(read);
    await q.reject(read);
    for (let b = await q.begin(70); b !== null; b = await q.begin(70)) await q.commit(b);
    assert.equal(q.stats().depth, 0);
    await q.stop();
    assert.deepEqual(await keys(path), { runs: [], removals: [] });
  });

  for (const how of ['a clean stop', 'a crash'] as const) {
    it(`samples committed out of a run stay removed after ${how}: depth, bytes and the rest come back`, async () => {
      const path = fresh();
      const q = new LevelQueue(path, OPTS);
      await q.start();
      await q.append(samples(1, 10)); // seqs 1-10, one run
      await q.append(samples(11, 10)); // seqs 11-20
      const a = await q.begin(4); // 1-4
      const b = await q.begin(9); // 5-13: the rest of the first run and part of the second
      assert.ok(a && b);
      await q.commit(b); // a hole in the middle: 1-4 still stored, 5-13 gone
      const before = q.stats();
      await q.stop();
      assert.equal((await keys(path)).removals.length, 2, 'both runs carry a removal record');
      if (how === 'a crash') await dropCheckpoint(path);
      const q2 = new LevelQueue(path, OPTS);
      await q2.start();
      const s = q2.stats();
      assert.deepEqual([s.depth, s.bytes, s.nextSeq], [before.depth, before.bytes, 21]);
      const again = await takeAll(q2);
      assert.deepEqual(again.map((x) => x.seq), [1, 2, 3, 4, 14, 15, 16, 17, 18, 19, 20]);
      assert.deepEqual(again.map((x) => x.value), [1, 2, 3, 4, 14, 15, 16, 17, 18, 19, 20]);
      await q2.stop();
    });
  }

  it('expired samples in the middle of runs (max-age) do not come back after a crash', async () => {
    const path = fresh();
    let clock = T;
    const q = new LevelQueue(path, { ...OPTS, maxAgeMs: 1000, now: () => clock });
    await q.start();
    const mixed = [...samples(1, 2, T), ...samples(3, 2, T - 5000), ...samples(5, 2, T)];
    await q.append(mixed); // seqs 1-6
    const scattered = [...samples(7, 1, T - 5000), ...samples(8, 1, T), ...samples(9, 1, T - 5000), ...samples(10, 1, T)];
    await q.append(scattered); // seqs 7-10
    await q.stop(); // reads from disk from here on
    await q.start();
    clock = T + 100;
    assert.deepEqual((await takeAll(q)).map((x) => x.seq), [1, 2, 5, 6, 8, 10]);
    assert.equal(q.stats().dropped['max-age'], 4);
    const bytes = q.stats().bytes;
    const kept = [...mixed, ...scattered].filter((s) => s.ts === T);
    assert.equal(bytes, kept.reduce((sum, s) => sum + recordBytes(s), 0) + RUN_OVERHEAD, 'only the first run still has its first sample, which carries the overhead');
    await q.stop();
    await dropCheckpoint(path);
    const q2 = new LevelQueue(path, { ...OPTS, maxAgeMs: 1000, now: () => clock });
    await q2.start();
    assert.deepEqual([q2.stats().depth, q2.stats().bytes], [6, bytes]);
    assert.deepEqual((await takeAll(q2)).map((x) => x.seq), [1, 2, 5, 6, 8, 10]);
    await q2.stop();
  });

  it('a queue of the first format (JSON, one key per sample) drains after an upgrade, old samples first', async () => {
    const path = fresh();
    const old = new Level<string, string>(path);
    await old.open();
    const key = (seq: number) => `s!${seq.toString(16).padStart(16, '0')}`;
    await old.batch([
      { type: 'put', key: key(7), value: '[1764131234567,"plc-1","temp","good",21.5]' },
      { type: 'put', key: key(8), value: '[1764131234568,"plc-1","temp","bad",null,"EW_DEVICE_TIMEOUT"]' },
      { type: 'put', key: key(9), value: '[1764131234569,"plc-1","flow","good",{"n":"Infinity"}]' },
      { type: 'put', key: 'm!seq', value: '9' },
    ]);
    await old.close();
    const q = new LevelQueue(path, OPTS);
    await q.start();
    assert.deepEqual([q.stats().depth, q.stats().nextSeq], [3, 10]);
    const fresh3 = await q.append(samples(100, 3));
    assert.deepEqual(fresh3.map((x) => x.seq), [10, 11, 12]);
    await q.stop(); // the tail cache is gone: the next reads come from disk
    await q.start();
    const first = await q.begin(4); // three old samples and one of the new run
    assert.ok(first);
    assert.deepEqual(first.items.map((x) => [x.seq, x.point, x.value, x.quality, x.code]), [
      [7, 'temp', 21.5, 'good', undefined], [8, 'temp', null, 'bad', 'EW_DEVICE_TIMEOUT'], [9, 'flow', Infinity, 'good', undefined], [10, 'p100', 100, 'good', undefined],
    ]);
    await q.commit(first);
    await q.stop();
    await dropCheckpoint(path);
    await q.start();
    assert.deepEqual((await takeAll(q)).map((x) => x.seq), [11, 12]);
    assert.equal(q.stats().depth, 2);
    await q.stop();
    assert.deepEqual((await keys(path)).runs.length, 1, 'the old keys are gone once committed');
  });

  it('overlapping runs, a damaged run value or a damaged removal record fail the start with QUEUE_CORRUPT', async () => {
    const cases: [string, (db: Level<string, string>) => Promise<void>, RegExp][] = [
      ['overlap', (db) => db.put(`s!${'0'.repeat(15)}3`, '[1,"d","p","good",1]'), /overlaps/],
      ['removal record', (db) => db.put(`x!${'0'.repeat(15)}1`, '[[3,1]]'), /removal record has a bad range/],
      ['cut run', async (db) => {
        const [k] = await db.keys({ gte: 's!', lt: 's"' }).all();
        const v = await db.get<string, Buffer>(k ?? '', { valueEncoding: 'buffer' });
        await db.put<string, Buffer>(k ?? '', (v ?? Buffer.alloc(0)).subarray(0, 20), { valueEncoding: 'buffer' });
      }, /ends inside a record/],
    ];
    for (const [name, damage, why] of cases) {
      const path = fresh();
      const q = new LevelQueue(path, OPTS);
      await q.start();
      await q.append(samples(1, 5));
      await q.stop();
      const db = new Level<string, string>(path);
      await db.del('m!checkpoint');
      await damage(db);
      await db.close();
      assert.match(await corruptStart(path), why, name);
    }
  });
});
