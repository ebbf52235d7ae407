/**
 * The durable queue between the pipeline and the cloud link. Knows nothing of MQTT.
 * Every implementation (memory, level) passes the same contract suite (test/contract/queue.test.ts).
 */
import type { QueuedSample, Sample } from '../model/sample.js';

export type OverflowPolicy = 'drop-oldest' | 'reject-new';
export type DropReason = 'max-bytes' | 'max-age' | 'reject-new';

export interface QueueOptions {
  /** Byte budget of stored samples (encoded size). The queue never exceeds it by more than one append batch. */
  readonly maxBytes: number;
  /** Samples older than this (by their `ts`) are dropped, in milliseconds; 0 = no age limit. */
  readonly maxAgeMs: number;
  readonly overflow: OverflowPolicy;
  /** level only: fsync each append (survives power loss, not only a process crash). */
  readonly sync: boolean;
}

/** Samples handed out by `begin`; they stay in the queue until `commit`. */
export interface Batch {
  readonly id: number;
  readonly items: readonly QueuedSample[];
}

export interface QueueStats {
  /** Samples currently stored (begun but uncommitted ones included). */
  readonly depth: number;
  readonly bytes: number;
  /** Age of the oldest stored sample by its `ts`, ms; 0 when empty. */
  readonly oldestAgeMs: number;
  /** Since open: samples accepted by append. */
  readonly added: number;
  /** Since open: samples removed by commit. */
  readonly delivered: number;
  /** Since open: samples dropped, by reason. */
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** The sequence number the next appended sample will get. */
  readonly nextSeq: number;
}

export interface DurableQueue {
  /** Opens storage and recovers depth, bytes and the sequence counter. */
  start(): Promise<void>;
  /**
   * Accepts samples durably (per `sync`) and assigns consecutive sequence numbers, monotonic for the
   * life of the data directory (across restarts, even after the queue was fully drained).
   * Returns the queued samples in order. Under `reject-new` when full, returns only those accepted.
   */
  append(samples: readonly Sample[]): Promise<QueuedSample[]>;
  /**
   * Hands out up to `max` samples in sequence order, starting after the hand-out position (the last
   * sample handed out, moved back by `reject`); null when there is nothing to hand out. Several
   * batches may be open; after a reject, samples of still-open batches may go out twice (same seq).
   */
  begin(max: number): Promise<Batch | null>;
  /**
   * The live lane (cloud link "live first"): hands out up to `max` samples with seq >= `fromSeq`,
   * in sequence order, from its own hand-out position; null when there is nothing new. From the
   * first call on, `begin` (the backlog lane) stops before `fromSeq`, so the two lanes never hand
   * out the same sample. A call with another `fromSeq` starts a new live lane there (samples of the
   * old one not handed out yet, or handed back, then belong to the backlog). `reject` of a batch
   * moves back the position of the lane its first sample now belongs to. `start` ends the lane.
   * `max` 0 only opens (or moves) the lane and returns null.
   */
  beginLive(max: number, fromSeq: number): Promise<Batch | null>;
  /** Removes a batch's samples for good (after the cloud acknowledged them). Idempotent. */
  commit(batch: Batch): Promise<void>;
  /** Returns a batch's samples: the next `begin` hands them out again (same seq, same ts). */
  reject(batch: Batch): Promise<void>;
  /** Rejects every open batch (on disconnect). */
  rejectAll(): Promise<void>;
  stats(): QueueStats;
  stop(): Promise<void>;
}
