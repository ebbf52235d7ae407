/**
 * The storage half of a queue: ordered entries by sequence number, nothing else. The queue logic
 * (cursor, open batches, limits, counters) lives once in store-queue.ts, above either store, so the
 * memory and level queues cannot drift apart.
 */
import type { QueuedSample } from '../model/sample.js';

export interface StoredEntry {
  readonly seq: number;
  /** The sample with its seq: made once per sample and handed out as is (batches, reads). */
  readonly sample: QueuedSample;
  /** Encoded size (key + value bytes, see codec.ts). */
  readonly size: number;
}

/** What `open` finds in the store. */
export interface Recovered {
  readonly depth: number;
  readonly bytes: number;
  /** The entry with the smallest seq; null when empty. */
  readonly head: StoredEntry | null;
  /** The largest seq ever assigned (0 for a new store), whether or not it is still stored. */
  readonly lastSeq: number;
}

/** Failures are thrown as GatewayError (QUEUE_IO, QUEUE_CORRUPT, ...); a failed call changed nothing it reports. */
export interface QueueStore {
  open(): Promise<Recovered>;
  /**
   * Writes `entries` (consecutive seqs, ascending, sizes from runSize: see run-codec.ts) and records
   * `lastSeq` as the high-water mark, atomically.
   */
  append(entries: readonly StoredEntry[], lastSeq: number, sync: boolean): Promise<void>;
  /** Up to `max` entries with seq > `after`, ascending. */
  readAfter(after: number, max: number): Promise<StoredEntry[]>;
  /** Deletes every entry with first <= seq <= last (the caller means all of them). */
  removeRange(first: number, last: number): Promise<void>;
  /** Deletes exactly these entries. */
  removeSeqs(seqs: readonly number[]): Promise<void>;
  /**
   * Closes the store. `checkpoint` (given on a clean stop) holds the exact depth and bytes, so the
   * next open can skip scanning every entry; a store may ignore it.
   */
  close(checkpoint?: { readonly depth: number; readonly bytes: number }): Promise<void>;
}
