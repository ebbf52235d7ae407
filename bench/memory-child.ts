/**
 * Child process of bench/memory.ts (not a benchmark itself): opens the level queue at argv[2],
 * waits for recovery, lets the heap settle and prints one JSON line with RSS and recovery time.
 * A separate process so the parent's own allocations do not blur the RSS figures.
 */
import { LevelQueue } from '../src/queue/level-queue.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: memory-child.ts <queue dir>');
const queue = new LevelQueue(dir, { maxBytes: 4 * 1024 ** 3, maxAgeMs: 0, overflow: 'drop-oldest', sync: false });
const start = performance.now();
await queue.start();
const recoveryMs = performance.now() - start;
// Like a running gateway: the drain has one batch open.
const batch = await queue.begin(500);
await new Promise((r) => setTimeout(r, 500));
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 200));
const { rss, heapUsed } = process.memoryUsage();
console.log(JSON.stringify({ depth: queue.stats().depth, recoveryMs, rss, heapUsed, batch: batch?.items.length ?? 0 }));
await queue.stop();
