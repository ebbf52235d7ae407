/** Fixtures shared by the level queue tests: a temp directory per suite, and reading a queue out. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { QueuedSample } from '../../src/model/sample.js';
import type { DurableQueue } from '../../src/queue/types.js';

/** Inside a describe: a temp directory made before and removed after the suite; returns a fresh path in it per call. */
export function freshDirs(prefix: string): () => string {
  let dir = '';
  let n = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => join(dir, `q${++n}`);
}

/** Everything the queue hands out, without committing (begun batches are left open). */
export async function takeAll(q: DurableQueue): Promise<QueuedSample[]> {
  const out: QueuedSample[] = [];
  for (let b = await q.begin(1000); b !== null; b = await q.begin(1000)) out.push(...b.items);
  return out;
}
