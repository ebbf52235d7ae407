/**
 * Which batch the drain loop sends next (drain.ts), and when it waits.
 *
 * One lane (liveFirst false, or before `open`): `queue.begin` in seq order once a full batch is
 * waiting or a partial one has waited batchMaxDelayMs (like Kafka's linger.ms).
 *
 * Live first: `open(liveFrom)` at each connect makes the samples appended from then on the live
 * lane (`queue.beginLive`); whatever was queued before is backlog (`queue.begin`). Each step serves
 * the live lane first (with the same linger rule); backlog batches go at most `backlogRate`
 * samples/s and use at most inflight - 1 of the window, so a live sample never waits behind a
 * full window of backlog.
 */
import type { Batch, DurableQueue } from '../queue/types.js';
import { TokenBucket } from './pacing.js';

export interface LaneOptions {
  readonly batchMaxSamples: number;
  readonly batchMaxDelayMs: number;
  readonly inflight: number;
  readonly backlogRate: number;
}

export class Lanes {
  private readonly bucket: TokenBucket;
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingerSince: number | undefined;
  private rateTimer: NodeJS.Timeout | undefined;
  /** Live lane of the current connection: its first seq, and the highest seq it handed out. */
  private liveFrom: number | undefined;
  private liveHigh = 0;

  constructor(
    private readonly opts: LaneOptions,
    private readonly queue: DurableQueue,
    /** Wakes the drain loop when a wait is over. */
    private readonly wake: () => void,
  ) {
    this.bucket = new TokenBucket(opts.backlogRate, opts.batchMaxSamples);
  }

  /** Starts the live lane at the queue's next seq (call on the drain loop's serial chain). */
  async open(): Promise<void> {
    const liveFrom = this.queue.stats().nextSeq;
    await this.queue.beginLive(0, liveFrom); // from now on begin() is the backlog only
    this.liveFrom = liveFrom;
    this.liveHigh = liveFrom - 1;
  }

  /** The connection is gone: no lane until the next `open`, no timers. */
  close(): void {
    this.liveFrom = undefined;
    this.clearTimers();
  }

  clearTimers(): void {
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    if (this.rateTimer !== undefined) clearTimeout(this.rateTimer);
    this.lingerTimer = undefined;
    this.rateTimer = undefined;
    this.lingerSince = undefined;
  }

  /**
   * The next batch of at most `max` samples, or null when nothing may go now (a timer wakes the
   * loop when that changes). `inFlight`: messages awaiting PUBACK; `openSamples`: samples of open batches.
   */
  async next(max: number, inFlight: number, openSamples: number): Promise<Batch | null> {
    const liveFrom = this.liveFrom;
    if (liveFrom === undefined) return this.ready(this.queue.stats().depth - openSamples, max) ? this.queue.begin(max) : null;
    if (this.ready(this.queue.stats().nextSeq - 1 - this.liveHigh, max)) {
      const live = await this.queue.beginLive(max, liveFrom);
      if (live !== null) {
        this.liveHigh = Math.max(this.liveHigh, live.items.at(-1)?.seq ?? 0);
        return live;
      }
    }
    return this.nextBacklog(max, inFlight);
  }

  /** A batch went out: a partial one ends the current linger wait. */
  sent(batch: Batch, max: number): void {
    if (batch.items.length < max) this.lingerSince = undefined;
  }

  /** A batch is handed back outside a disconnect (commit failed): its live samples are due again. */
  handedBack(batch: Batch): void {
    this.liveHigh = Math.min(this.liveHigh, (batch.items[0]?.seq ?? 1) - 1);
  }

  private async nextBacklog(max: number, inFlight: number): Promise<Batch | null> {
    if (this.opts.inflight > 1 && inFlight >= this.opts.inflight - 1) return null; // a slot stays free for live
    if (!this.bucket.take(max)) {
      this.rateTimer ??= setTimeout(() => {
        this.rateTimer = undefined;
        this.wake();
      }, this.bucket.waitMs(max));
      return null;
    }
    const batch = await this.queue.begin(max);
    this.bucket.refund(max - (batch?.items.length ?? 0));
    return batch;
  }

  /** `waiting` samples: a full batch, or a partial one that has waited batchMaxDelayMs. */
  private ready(waiting: number, max: number): boolean {
    if (waiting <= 0) {
      this.lingerSince = undefined;
      return false;
    }
    if (waiting >= max) return true;
    const now = Date.now();
    this.lingerSince ??= now;
    const remaining = this.lingerSince + this.opts.batchMaxDelayMs - now;
    if (remaining <= 0) return true;
    this.lingerTimer ??= setTimeout(() => {
      this.lingerTimer = undefined;
      this.wake();
    }, remaining);
    return false;
  }
}
