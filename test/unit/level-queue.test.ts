/**
 * Level-only behaviour of the durable queue: what survives a stop, a restart and a kill -9; locking;
 * damaged directories. The shared semantics are in test/contract/queue.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Level } from 'level';
import { ERROR_CODES, GatewayError } from '../../src/errors.js';
import type { Sample } from '../../src/model/sample.js';
import { createQueue } from '../../src/queue/index.js';
import { ioError, openError } from '../../src/queue/level-errors.js';
import { LevelQueue } from '../../src/queue/level-queue.js';
import type { QueueOptions } from '../../src/queue/types.js';
import { freshDirs, takeAll } from '../helpers/level-dirs.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OPTS: QueueOptions = { maxBytes: 1e9, maxAgeMs: 0, overflow: 'drop-oldest', sync: false };

function samples(from: number, count: number): Sample[] {
  return Array.from({ length: count }, (_, k) => ({
    device: 'plc-1', point: `p${from + k}`, ts: Date.now() - 1000 + k, value: from + k, quality: 'good' as const,
  }));
}

describe('LevelQueue', () => {
  const fresh = freshDirs('edgeway-level-queue-');

  it('a reopen keeps every uncommitted sample with its seq, and the counters', async () => {
    const path = fresh();
    const q1 = new LevelQueue(path, OPTS);
    await q1.start();
    const appended = await q1.append(samples(1, 10));
    const b = await q1.begin(4);
    assert.ok(b);
    await q1.commit(b);
    const before = q1.stats();
    await q1.stop();

    const q2 = new LevelQueue(path, OPTS);
    await q2.start();
    const s = q2.stats();
    assert.deepEqual([s.depth, s.bytes, s.nextSeq], [6, before.bytes, 11]);
    assert.deepEqual([s.added, s.delivered], [0, 0], 'since-open counters start again');
    assert.ok(s.oldestAgeMs >= 1000 - 4);
    assert.deepEqual(await takeAll(q2), appended.slice(4));
    assert.deepEqual((await q2.append(samples(11, 1))).map((x) => x.seq), [11]);
    await q2.stop();
  });

  it('seq stays monotonic after a full drain and a restart (also with the same object)', async () => {
    const q = new LevelQueue(fresh(), { ...OPTS, sync: true });
    await q.start();
    await q.append(samples(1, 5));
    const b = await q.begin(10);
    assert.ok(b);
    await q.commit(b);
    assert.equal(q.stats().depth, 0);
    await q.stop();
    await q.start();
    assert.deepEqual([q.stats().depth, q.stats().bytes, q.stats().nextSeq], [0, 0, 6]);
    assert.deepEqual((await q.append(samples(6, 2))).map((x) => x.seq), [6, 7]);
    await q.stop();
  });

  it('a begun but uncommitted batch is handed out again after a reopen', async () => {
    const path = fresh();
    const q1 = new LevelQueue(path, OPTS);
    await q1.start();
    await q1.append(samples(1, 6));
    const committed = await q1.begin(2);
    const open = await q1.begin(2);
    assert.ok(committed && open);
    await q1.commit(committed);
    await q1.stop();

    const q2 = new LevelQueue(path, OPTS);
    await q2.start();
    const again = await q2.begin(2);
    assert.deepEqual(again?.items, open.items);
    assert.deepEqual((await takeAll(q2)).map((x) => x.seq), [5, 6]);
    await q2.stop();
  });

  it('begin(max) returns max samples even when they exceed one iterator read-ahead', async () => {
    const q = new LevelQueue(fresh(), OPTS);
    await q.start();
    const big = samples(1, 60).map((s) => ({ ...s, value: 'x'.repeat(10_000) })); // ~600 KB
    await q.append(big);
    assert.equal((await q.begin(60))?.items.length, 60);
    await q.stop();
  });

  it('drops by the byte budget are durable', async () => {
    const path = fresh();
    const q1 = new LevelQueue(path, { ...OPTS, maxBytes: 1000 });
    await q1.start();
    for (let i = 0; i < 30; i++) await q1.append(samples(i * 4, 4));
    const before = q1.stats();
    assert.ok(before.dropped['max-bytes'] > 0);
    await q1.stop();
    const q2 = new LevelQueue(path, { ...OPTS, maxBytes: 1000 });
    await q2.start();
    assert.deepEqual([q2.stats().depth, q2.stats().bytes], [before.depth, before.bytes]);
    await q2.stop();
  });

  it('without its sequence mark, recovery continues after the newest stored sample', async () => {
    const path = fresh();
    const q = new LevelQueue(path, OPTS);
    await q.start();
    await q.append(samples(1, 3));
    await q.stop();
    const db = new Level<string, string>(path);
    await db.del('m!seq');
    await db.close();
    await q.start();
    assert.deepEqual([q.stats().depth, q.stats().nextSeq], [3, 4]);
    await q.stop();
  });

  it('a second open of the same directory fails with QUEUE_LOCKED; the first keeps working', async () => {
    const path = fresh();
    const first = new LevelQueue(path, OPTS);
    await first.start();
    const second = new LevelQueue(path, OPTS);
    await assert.rejects(second.start(), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, ERROR_CODES.QUEUE_LOCKED);
      assert.match(err.message, new RegExp(`${path} is in use by another Edgeway process`));
      return true;
    });
    await assert.rejects(second.append(samples(1, 1)), { code: ERROR_CODES.QUEUE_CLOSED });
    assert.equal((await first.append(samples(1, 1))).length, 1);
    await first.stop();
    await second.start(); // free now
    assert.equal(second.stats().depth, 1);
    await second.stop();
  });

  it('a damaged LevelDB directory fails with QUEUE_CORRUPT naming the path and the way out', async () => {
    const path = fresh();
    const q = new LevelQueue(path, OPTS);
    await q.start();
    await q.append(samples(1, 3));
    await q.stop();
    const manifest = (await readdir(path)).find((f) => f.startsWith('MANIFEST-'));
    assert.ok(manifest);
    await writeFile(join(path, manifest), Buffer.alloc(200, 0xab));
    await assert.rejects(new LevelQueue(path, OPTS).start(), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, ERROR_CODES.QUEUE_CORRUPT);
      assert.ok(err.message.includes(path));
      assert.match(err.message, /move the directory aside/);
      return true;
    });
  });

  it('a clean stop leaves a checkpoint: the next start reads only the head, and a damaged entry is reported when read', async () => {
    const path = fresh();
    const q = new LevelQueue(path, OPTS);
    await q.start();
    await q.append(samples(1, 5));
    const before = q.stats();
    await q.stop();
    const db = new Level<string, string>(path);
    assert.ok(await db.get('m!checkpoint'), 'written at the clean stop');
    await db.put('s!0000000000000003', '{not json');
    await db.close();
    const q2 = new LevelQueue(path, OPTS);
    await q2.start();
    assert.deepEqual([q2.stats().depth, q2.stats().nextSeq], [before.depth, before.nextSeq]);
    await assert.rejects(q2.begin(10), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, ERROR_CODES.QUEUE_CORRUPT);
      assert.ok(err.message.includes(path));
      return true;
    });
    await q2.stop();
    const after = new Level<string, string>(path);
    assert.ok(await after.get('m!checkpoint'), 'a later clean stop writes it again');
    await after.close();
  });

  it('after a crash (no checkpoint), an entry or a sequence mark it cannot read fails the start with QUEUE_CORRUPT', async () => {
    for (const [key, value] of [['s!0000000000000002', '{not json'], ['m!seq', 'twelve']] as const) {
      const path = fresh();
      const q = new LevelQueue(path, OPTS);
      await q.start();
      await q.append(samples(1, 3));
      await q.stop();
      const db = new Level<string, string>(path);
      await db.del('m!checkpoint'); // as if the process had been killed: the next start scans every entry
      await db.put(key, value);
      await db.close();
      await assert.rejects(new LevelQueue(path, OPTS).start(), (err: unknown) => {
        assert.ok(err instanceof GatewayError);
        assert.equal(err.code, ERROR_CODES.QUEUE_CORRUPT);
        assert.ok(err.message.includes(path));
        return true;
      });
      // the failed start released the directory: it can be opened again
      const again = new Level<string, string>(path);
      await again.open();
      await again.close();
    }
  });

  it('maps storage failures: I/O is retryable QUEUE_IO, the environment is named', async () => {
    const db = new Level<string, string>(fresh());
    await db.open();
    await db.close();
    const closed = await db.put('k', 'v').then(() => null, (err: unknown) => err);
    const mapped = ioError('/data/queue', 'append', closed);
    assert.equal(mapped.code, ERROR_CODES.QUEUE_IO);
    assert.equal(mapped.retryable, true);
    assert.match(mapped.message, /append failed in \/data\/queue/);

    const noSpace = Object.assign(new Error('IO error: /data/queue/000005.log: No space left on device'), { code: 'LEVEL_IO_ERROR' });
    const opening = openError('/data/queue', new Error('Database failed to open', { cause: noSpace }));
    assert.equal(opening.code, ERROR_CODES.QUEUE_IO);
    assert.equal(opening.retryable, true);
    assert.match(opening.message, /No space left on device/);
  });

  it('createQueue builds either kind; level needs a path', async () => {
    assert.throws(() => createQueue('level', OPTS), { code: ERROR_CODES.CONFIG_INVALID });
    const mem = createQueue('memory', OPTS);
    await mem.start();
    assert.equal((await mem.append(samples(1, 2))).length, 2);
    await mem.stop();
    const lvl = createQueue('level', { ...OPTS, path: fresh() });
    await lvl.start();
    assert.equal(lvl.stats().nextSeq, 1);
    await lvl.stop();
  });

  it('kill -9 while appending: every sample reported accepted is there after reopen', { timeout: 30_000 }, async () => {
    const path = fresh();
    const reported = await runAndKill(path, 40);
    assert.ok(reported.length >= 40 * 25);
    const q = new LevelQueue(path, OPTS);
    await q.start();
    const stored = new Map((await takeAll(q)).map((s) => [s.seq, s.value]));
    for (const seq of reported) assert.equal(stored.get(seq), seq, `accepted seq ${seq} is missing or changed`);
    assert.ok(q.stats().nextSeq > Math.max(...reported));
    await q.stop();
  });
});

/**
 * Runs level-queue.child.ts on `path`, kills it with SIGKILL once it reported `lines` accepted
 * appends, and returns every seq it reported (only complete lines count).
 */
async function runAndKill(path: string, lines: number): Promise<number[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/unit/level-queue.child.ts', path], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.split('\n').length > lines) child.kill('SIGKILL');
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  assert.equal(signal, 'SIGKILL', `child ended by itself (code ${code}): ${err}`);
  const complete = out.slice(0, out.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '');
  return complete.flatMap((line) => {
    const m = /^accepted (\d+) (\d+)$/.exec(line);
    assert.ok(m, `unexpected child output: ${line}`);
    const first = Number(m[1]);
    return Array.from({ length: Number(m[2]) - first + 1 }, (_, k) => first + k);
  });
}
