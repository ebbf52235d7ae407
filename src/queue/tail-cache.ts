/**
 * The newest entries a store wrote, kept in memory so the cloud link's live lane reads them without
 * a LevelDB iterator and a decode: in steady state every sample is read back once,
 * shortly after it was appended. The disk stays the truth; the cache only answers reads it can
 * answer completely.
 *
 * A ring of `max` slots indexed by seq: an append, a removal and the start of a read are O(1). A
 * slot keeps the entry as appended (seq, sample, size; nothing encoded), and a read hands out those
 * very objects: a new entry per sample and read was a tenth of the gateway's allocation at 10,000
 * samples/s. (A Map here grew and shrank its table all the time; that garbage lived long enough to
 * cost a full collection every second.)
 *
 * Invariant: every stored entry with seq >= `from` is known: those in the window of the newest
 * `max` seqs ([end - max, end)) sit in their slot (seq mod max), removed ones leave it empty, and no
 * stored entry has seq >= `end`. Appends go at `end` (ascending seq). An append that overwrites a
 * slot still holding an entry evicts it and moves `from` up past it; overwriting an empty slot keeps
 * `from` (nothing stored there), so while the cloud keeps up every read is answered here. Anything
 * that makes the invariant doubtful (open, close, a failed write) resets the cache to "nothing
 * known below `from`".
 */
import type { StoredEntry } from './store.js';

export class TailCache {
  private readonly slots: (StoredEntry | undefined)[];
  private from = Number.POSITIVE_INFINITY;
  private end = Number.POSITIVE_INFINITY;

  constructor(private readonly max: number) {
    this.slots = new Array<StoredEntry | undefined>(max).fill(undefined);
  }

  /** Forgets everything; entries with seq > `lastSeq` (not written yet) will be cached. */
  reset(lastSeq: number): void {
    this.slots.fill(undefined);
    this.from = lastSeq + 1;
    this.end = lastSeq + 1;
  }

  /** Nothing can be answered from memory until the next reset. */
  disable(): void {
    this.slots.fill(undefined);
    this.from = Number.POSITIVE_INFINITY;
    this.end = Number.POSITIVE_INFINITY;
  }

  /** Entries just written (ascending seq, after every cached one). */
  added(entries: readonly StoredEntry[]): void {
    if (this.from === Number.POSITIVE_INFINITY) return;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as StoredEntry;
      // A seq gap (never made by the queue) or a step back: what lies before is not known here.
      if (e.seq !== this.end) this.reset(e.seq - 1);
      const slot = e.seq % this.max;
      if (this.slots[slot] !== undefined) this.from = Math.max(this.from, e.seq - this.max + 1); // evicted
      this.slots[slot] = e;
      this.end = e.seq + 1;
    }
  }

  /** Entries first..last were deleted from the store. */
  removedRange(first: number, last: number): void {
    const to = Math.min(last, this.end - 1);
    for (let s = Math.max(first, this.end - this.max, 0); s <= to; s++) this.slots[s % this.max] = undefined;
  }

  removed(seqs: readonly number[]): void {
    for (const s of seqs) if (s >= this.end - this.max && s >= 0 && s < this.end) this.slots[s % this.max] = undefined;
  }

  /** Up to `max` entries with seq > `after`, ascending, or undefined when memory cannot tell. */
  readAfter(after: number, max: number): StoredEntry[] | undefined {
    if (after + 1 < this.from) return undefined;
    const out: StoredEntry[] = [];
    // Below the window every seq is known to hold nothing (see the invariant).
    for (let s = Math.max(after + 1, this.end - this.max, 0); s < this.end && out.length < max; s++) {
      const entry = this.slots[s % this.max];
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }
}
