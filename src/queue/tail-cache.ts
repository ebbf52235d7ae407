/**
 * The newest entries a store wrote, kept in memory so the cloud link's live lane reads them without
 * a LevelDB iterator and a JSON decode per sample: in steady state every sample is read back once,
 * shortly after it was appended. The disk stays the truth; the cache only answers reads it can
 * answer completely.
 *
 * Invariant: every stored entry with seq >= `from` is in `entries`. Appends add at the end
 * (ascending seq, so the map's order is seq order); removals delete; eviction of the oldest entry
 * (past `max`) moves `from` up past it. Anything that makes the invariant doubtful (open, close, a
 * failed write) resets the cache to "nothing known below `from`".
 */
import type { StoredEntry } from './store.js';

export class TailCache {
  private readonly entries = new Map<number, StoredEntry>();
  private from = Number.POSITIVE_INFINITY;

  constructor(private readonly max: number) {}

  /** Forgets everything; entries with seq > `lastSeq` (not written yet) will be cached. */
  reset(lastSeq: number): void {
    this.entries.clear();
    this.from = lastSeq + 1;
  }

  /** Nothing can be answered from memory until the next reset. */
  disable(): void {
    this.entries.clear();
    this.from = Number.POSITIVE_INFINITY;
  }

  /** Entries just written (ascending seq, after every cached one). */
  added(entries: readonly StoredEntry[]): void {
    if (this.from === Number.POSITIVE_INFINITY) return;
    for (const e of entries) this.entries.set(e.seq, { seq: e.seq, sample: e.sample, size: e.size });
    for (const seq of this.entries.keys()) {
      if (this.entries.size <= this.max) break;
      this.entries.delete(seq);
      this.from = seq + 1;
    }
  }

  /** Entries first..last were deleted from the store. */
  removedRange(first: number, last: number): void {
    if (last - first + 1 <= this.entries.size) {
      for (let s = Math.max(first, this.from); s <= last; s++) this.entries.delete(s);
    } else {
      for (const seq of this.entries.keys()) if (seq >= first && seq <= last) this.entries.delete(seq);
    }
  }

  removed(seqs: readonly number[]): void {
    for (const s of seqs) this.entries.delete(s);
  }

  /** Up to `max` entries with seq > `after`, ascending, or undefined when memory cannot tell. */
  readAfter(after: number, max: number): StoredEntry[] | undefined {
    if (after + 1 < this.from) return undefined;
    const out: StoredEntry[] = [];
    for (const e of this.entries.values()) {
      if (e.seq <= after) continue;
      out.push(e);
      if (out.length >= max) break;
    }
    return out;
  }
}
