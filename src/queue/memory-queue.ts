/**
 * The in-memory queue: the same logic as the level queue (store-queue.ts) over a sorted array.
 * Contents live as long as the object (they survive stop/start, not the process). Used by tests and
 * as the reference; sizes use the level encoding, so byte budgets behave identically.
 */
import type { QueueStore, Recovered, StoredEntry } from './store.js';
import { StoreQueue, type StoreQueueOptions } from './store-queue.js';

export class MemoryStore implements QueueStore {
  /** Ascending by seq. */
  private entries: StoredEntry[] = [];
  private lastSeq = 0;

  async open(): Promise<Recovered> {
    let bytes = 0;
    for (const e of this.entries) bytes += e.size;
    return { depth: this.entries.length, bytes, head: this.entries[0] ?? null, lastSeq: this.lastSeq };
  }

  async append(entries: readonly StoredEntry[], lastSeq: number): Promise<void> {
    this.entries.push(...entries);
    this.lastSeq = lastSeq;
  }

  async readAfter(after: number, max: number): Promise<StoredEntry[]> {
    const from = this.indexAfter(after);
    return this.entries.slice(from, from + max);
  }

  async removeRange(first: number, last: number): Promise<void> {
    const from = this.indexAfter(first - 1);
    this.entries.splice(from, this.indexAfter(last) - from);
  }

  async removeSeqs(seqs: readonly number[]): Promise<void> {
    const doomed = new Set(seqs);
    this.entries = this.entries.filter((e) => !doomed.has(e.seq));
  }

  async close(): Promise<void> {}

  /** Index of the first entry with seq > `seq` (binary search). */
  private indexAfter(seq: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid]?.seq ?? Infinity) <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export class MemoryQueue extends StoreQueue {
  constructor(opts: StoreQueueOptions) {
    super(new MemoryStore(), opts);
  }
}
