/**
 * Child process of the kill -9 test in level-queue.test.ts (not a test itself).
 * Appends batches to the level queue at argv[2] forever; after each append resolves it prints
 * `accepted <firstSeq> <lastSeq>`. Every sample's value equals its seq, so the parent can check
 * both presence and content after killing this process with SIGKILL mid-write.
 */
import { LevelQueue } from '../../src/queue/level-queue.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: level-queue.child.ts <queue dir>');
const queue = new LevelQueue(path, { maxBytes: 1e12, maxAgeMs: 0, overflow: 'drop-oldest', sync: false });
await queue.start();
for (let next = queue.stats().nextSeq; ; ) {
  const batch = Array.from({ length: 25 }, (_, k) => ({
    device: `d${k % 4}`, point: 'counter', ts: Date.now(), value: next + k, quality: 'good' as const,
  }));
  const accepted = await queue.append(batch);
  const first = accepted[0]?.seq;
  const last = accepted.at(-1)?.seq;
  next = (last ?? next) + 1;
  process.stdout.write(`accepted ${first} ${last}\n`);
}
