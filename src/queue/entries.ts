/**
 * Small pure helpers over queue entries (sizes, budgets, prefixes). The loops are indexed: they run
 * for every sample, and `for...of` left an iterator result per element in allocation profiles.
 */
import type { Sample } from '../model/sample.js';
import { withSeq } from './codec.js';
import { runSize } from './run-codec.js';
import type { StoredEntry } from './store.js';

/** Whether an entry (with `alreadyFreed` bytes of entries before it doomed) is to be dropped. */
export type Doom = (entry: StoredEntry, alreadyFreed: number) => boolean;

/**
 * Numbers `samples` from `firstSeq` on, as the runs the level store writes (run-codec.ts): each
 * entry's size is what it takes there, so the byte budget counts the same in both stores.
 */
export function encodeEntries(samples: readonly Sample[], firstSeq: number): StoredEntry[] {
  const entries = new Array<StoredEntry>(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i] as Sample;
    const seq = firstSeq + i;
    entries[i] = { seq, sample: withSeq(sample, seq), size: runSize(sample, i) };
  }
  return entries;
}

export function sizeOf(entries: readonly StoredEntry[]): number {
  let total = 0;
  for (let i = 0; i < entries.length; i++) total += (entries[i] as StoredEntry).size;
  return total;
}

/** How many entries from the start fit in `room` bytes. */
export function fittingPrefix(entries: readonly StoredEntry[], room: number): number {
  let used = 0;
  let n = 0;
  for (let i = 0; i < entries.length; i++) {
    const size = (entries[i] as StoredEntry).size;
    if (used + size > room) break;
    used += size;
    n += 1;
  }
  return n;
}

export function takeWhile(chunk: readonly StoredEntry[], doom: Doom): StoredEntry[] {
  const out: StoredEntry[] = [];
  let freed = 0;
  for (const e of chunk) {
    if (!doom(e, freed)) break;
    out.push(e);
    freed += e.size;
  }
  return out;
}
