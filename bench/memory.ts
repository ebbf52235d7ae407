/**
 * Memory with a backlog: RSS of a process holding the level queue with 1,000,000 queued samples vs
 * the same process with an empty queue (goal: under 30 MB more), plus the startup recovery time of
 * that backlog. Each figure comes from its own child process; the temp directory is removed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Sample } from '../src/model/sample.js';
import { Level } from 'level';
import { createQueue } from '../src/queue/index.js';
import type { BenchResult } from './types.js';

const BACKLOG = 1_000_000;
const BATCH = 1000;
const MB = 1024 * 1024;

interface ChildFigures {
  readonly depth: number;
  readonly recoveryMs: number;
  readonly rss: number;
  readonly rssAnon: number;
  readonly rssFile: number;
  readonly heapUsed: number;
}

function sample(i: number): Sample {
  return { device: `agv-${String(i % 50).padStart(2, '0')}`, point: 'position_x_m', ts: 1_764_000_000_000 + i, value: 12.345 + (i % 100), quality: 'good' };
}

async function fill(dir: string): Promise<void> {
  const q = createQueue('level', { path: dir, maxBytes: 4 * 1024 ** 3, maxAgeMs: 0, overflow: 'drop-oldest', sync: false });
  await q.start();
  for (let i = 0; i < BACKLOG; i += BATCH) await q.append(Array.from({ length: BATCH }, (_, k) => sample(i + k)));
  await q.stop();
}

async function dropCheckpoint(dir: string): Promise<void> {
  const db = new Level<string, string>(dir);
  await db.del('m!checkpoint');
  await db.close();
}

function measure(dir: string): Promise<ChildFigures> {
  const child = path.join(import.meta.dirname, 'memory-child.ts');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--import', 'tsx', child, dir], { timeout: 300_000 }, (err, stdout) => {
      if (err) reject(new Error(`memory child failed: ${err.message}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildFigures);
    });
  });
}

export async function memory(): Promise<BenchResult[]> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'edgeway-bench-memory-'));
  try {
    const empty = await measure(path.join(root, 'empty'));
    await fill(path.join(root, 'backlog'));
    const clean = await measure(path.join(root, 'backlog'));
    await dropCheckpoint(path.join(root, 'backlog')); // as after kill -9: the start scans every entry
    const crashed = await measure(path.join(root, 'backlog'));
    return [clean, crashed].map((full, i) => ({
      name: `memory: level queue with a ${BACKLOG} sample backlog vs empty, ${i === 0 ? 'after a clean stop' : 'after a crash (full scan at start)'}`,
      figures: {
        'backlog depth': full.depth,
        'RSS empty MB': empty.rss / MB,
        'RSS backlog MB': full.rss / MB,
        'RSS difference MB (goal < 30)': (full.rss - empty.rss) / MB,
        'of which anonymous MB': (full.rssAnon - empty.rssAnon) / MB,
        'of which mapped files MB': (full.rssFile - empty.rssFile) / MB,
        'recovery ms (backlog)': Math.round(full.recoveryMs),
        'recovery ms (empty)': Math.round(empty.recoveryMs),
      },
    }));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
