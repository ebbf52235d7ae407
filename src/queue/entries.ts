/** Small pure helpers over queue entries (sizes, budgets, prefixes). */
import type { Sample } from '../model/sample.js';
import { encodeSample, entrySize, withSeq } from './codec.js';
import type { NewEntry, StoredEntry } from './store.js';

/** Whether an entry (with `alreadyFreed` bytes of entries before it doomed) is to be dropped. */
export type Doom = (entry: StoredEntry, alreadyFreed: number) => boolean;

export function newEntry(sample: Sample, seq: number): NewEntry {
  const encoded = encodeSample(sample);
  return { seq, sample: withSeq(sample, seq), encoded, size: entrySize(encoded) };
}

export function sizeOf(entries: readonly StoredEntry[]): number {
  let total = 0;
  for (const e of entries) total += e.size;
  return total;
}

/** How many entries from the start fit in `room` bytes. */
export function fittingPrefix(entries: readonly StoredEntry[], room: number): number {
  let used = 0;
  let n = 0;
  for (const e of entries) {
    if (used + e.size > room) break;
    used += e.size;
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
