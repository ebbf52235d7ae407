/**
 * Durable ingest: samples/s appended through the LevelDB queue vs a bare LevelDB batch-put loop
 * writing the same number of entries in the same batch sizes, in the same process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import type { Sample } from '../src/model/sample.js';
import { createQueue } from '../src/queue/index.js';
import type { BenchResult } from './types.js';

const TOTAL = 200_000;
const BATCH = 200;

function sample(i: number): Sample {
  return { device: `agv-${String(i % 50).padStart(2, '0')}`, point: 'position_x_m', ts: 1_764_000_000_000 + i, value: 12.345 + (i % 100), quality: 'good' };
}

async function bare(dir: string, sync: boolean): Promise<number> {
  const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.open();
  const start = performance.now();
  for (let i = 0; i < TOTAL; i += BATCH) {
    const ops = [];
    for (let j = i; j < i + BATCH; j++) ops.push({ type: 'put' as const, key: `s!${j.toString(16).padStart(16, '0')}`, value: JSON.stringify(sample(j)) });
    await db.batch(ops, { sync });
  }
  const rate = TOTAL / ((performance.now() - start) / 1000);
  await db.close();
  return rate;
}

async function queue(dir: string, sync: boolean): Promise<number> {
  const q = createQueue('level', { path: dir, maxBytes: 4 * 1024 ** 3, maxAgeMs: 0, overflow: 'drop-oldest', sync });
  await q.start();
  const start = performance.now();
  for (let i = 0; i < TOTAL; i += BATCH) {
    const batch: Sample[] = [];
    for (let j = i; j < i + BATCH; j++) batch.push(sample(j));
    await q.append(batch);
  }
  const rate = TOTAL / ((performance.now() - start) / 1000);
  await q.stop();
  return rate;
}

export async function ingest(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const sync of [false, true]) {
    const root = await mkdtemp(path.join(os.tmpdir(), 'edgeway-bench-'));
    try {
      const baseline = await bare(path.join(root, 'bare'), sync);
      const ours = await queue(path.join(root, 'queue'), sync);
      results.push({
        name: `ingest ${TOTAL} samples in batches of ${BATCH}, sync ${sync}`,
        figures: { 'queue samples/s': Math.round(ours), 'bare level puts/s': Math.round(baseline), 'queue/bare': ours / baseline },
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  return results;
}
