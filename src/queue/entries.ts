/** Small pure helpers over queue entries (sizes, budgets, prefixes). */
import type { Sample } from '../model/sample.js';
import { encodeSample, entrySize, withSeq } from './codec.js';
import type { StoredEntry } from './store.js';

/** Whether an entry (with `alreadyFreed` bytes of entries before it doomed) is to be dropped. */
export type Doom = (entry: StoredEntry, alreadyFreed: number) => boolean;

/** The entries of one append and their encoded values (values[i] belongs to entries[i]). */
export interface Encoded {
  readonly entries: StoredEntry[];
  /** Emptied once handed to the store (see StoreQueue.write). */
  values: string[];
}

/** Numbers `samples` from `firstSeq` on and encodes each once (its size counts against the budget). */
export function encodeEntries(samples: readonly Sample[], firstSeq: number): Encoded {
  const entries = new Array<StoredEntry>(samples.length);
  const values = new Array<string>(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i] as Sample;
    const encoded = encodeSample(sample);
    const seq = firstSeq + i;
    entries[i] = { seq, sample: withSeq(sample, seq), size: entrySize(encoded) };
    values[i] = encoded;
  }
  return { entries, values };
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
