/**
 * Child process of bench/memory.ts (not a benchmark itself): opens the level queue at argv[2],
 * waits for recovery, lets the heap settle and prints one JSON line with RSS and recovery time.
 * A separate process so the parent's own allocations do not blur the RSS figures.
 */
import { readFileSync } from 'node:fs';
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
// RSS splits into anonymous memory (heap, allocator) and file pages mapped from disk (LevelDB maps
// its table files: pages read stay counted in RSS though the kernel can drop them at any time).
const status = readFileSync('/proc/self/status', 'utf8');
const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
console.log(JSON.stringify({ depth: queue.stats().depth, recoveryMs, rss, rssAnon: kb('RssAnon'), rssFile: kb('RssFile'), heapUsed, batch: batch?.items.length ?? 0 }));
await queue.stop();
