/**
 * Bookkeeping of the batches the cloud link has taken from the queue and not yet settled:
 * - sent: published with QoS 1, waiting for PUBACK (these fill the in-flight window);
 * - committing: PUBACK received, `queue.commit` not finished yet.
 * Both still count in the queue's depth, so "samples waiting to be sent" = depth - open samples.
 */
import type { Batch } from '../queue/types.js';

export class BatchLedger {
  private readonly sent = new Map<number, Batch>();
  private readonly committing = new Map<number, Batch>();
  private sentSamples = 0;
  private committingSamples = 0;

  /** Messages waiting for PUBACK. */
  get inFlight(): number {
    return this.sent.size;
  }

  /** Samples of sent or committing batches. */
  get openSamples(): number {
    return this.sentSamples + this.committingSamples;
  }

  get sentSampleCount(): number {
    return this.sentSamples;
  }

  markSent(batch: Batch): void {
    this.sent.set(batch.id, batch);
    this.sentSamples += batch.items.length;
  }

  /** Moves a batch from sent to committing; false if it was not in flight (dropped by a disconnect). */
  markAcked(batch: Batch): boolean {
    if (!this.sent.delete(batch.id)) return false;
    this.sentSamples -= batch.items.length;
    this.committing.set(batch.id, batch);
    this.committingSamples += batch.items.length;
    return true;
  }

  /** The commit finished (or failed and the batch was handed back to the queue). */
  markSettled(batch: Batch): void {
    if (!this.committing.delete(batch.id)) return;
    this.committingSamples -= batch.items.length;
  }

  /** On disconnect: PUBACKs of these will never come; the queue gets them back via rejectAll. */
  dropSent(): void {
    this.sent.clear();
    this.sentSamples = 0;
  }
}
