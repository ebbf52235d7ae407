/**
 * The drain loop: moves samples from the durable queue to the cloud over one connection at a time.
 *
 * Delivery (DESIGN.md §1): a batch from `queue.begin` is published with QoS 1 and committed only
 * after its PUBACK. When the connection drops, every open batch goes back to the queue
 * (`rejectAll`) and is sent again after the reconnect with the same seqs: at-least-once, with
 * duplicates bounded by the in-flight window. Order: every begin/reject/rejectAll runs on one
 * serial chain, so batches are handed out and published in seq order on one connection, which
 * the broker acknowledges in order (MQTT 3.1.1 §4.6).
 *
 * Batching and live first are lanes.ts: a full batch goes at once, a partial one waits up to
 * batchMaxDelayMs; with liveFirst (the default) samples read since the connect go ahead of the
 * backlog, which is paced by backlogRate. Consequence: per device, samples no longer arrive in read
 * order after an outage; the cloud restores it by seq (or ts), which replays keep. With liveFirst
 * false, one lane in seq order. Memory is bounded by inflight × batchMaxSamples samples.
 */
import { ERROR_CODES, errorMessage, isGatewayError } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import type { Batch, DurableQueue } from '../queue/types.js';
import type { LinkChannel } from './connection.js';
import { BatchLedger } from './ledger.js';
import type { LinkError } from './link-errors.js';
import { Lanes } from './lanes.js';
import type { Compression } from './payload.js';
import { BatchPublisher } from './publisher.js';

export interface DrainOptions {
  readonly gatewayId: string;
  readonly dataTopic: string;
  readonly batchMaxSamples: number;
  readonly batchMaxDelayMs: number;
  readonly inflight: number;
  readonly compression: Compression;
  readonly liveFirst: boolean;
  readonly backlogRate: number;
}

/** What the drain loop tells the connection: refusals to report, proof that the link works. */
export interface DrainEvents {
  refused(e: LinkError): void;
  healthy(): void;
}


export interface DrainStats {
  readonly messagesPublished: number;
  readonly samplesDelivered: number;
  readonly inFlight: number;
  readonly inFlightSamples: number;
  readonly lastDeliveryLagMs: number | undefined;
  /** Most samples per message now (batchMaxSamples unless a refusal reduced it). */
  readonly batchLimit: number;
}

export class Drainer {
  private readonly ledger = new BatchLedger();
  private readonly committing = new Set<Promise<void>>();
  private channel: LinkChannel | undefined;
  private stopped = false;
  private chain: Promise<void> = Promise.resolve();
  private pumpQueued = false;
  private messagesPublished = 0;
  private samplesDelivered = 0;
  private lastDeliveryLagMs: number | undefined;
  private readonly lanes: Lanes;
  private readonly publisher: BatchPublisher;

  constructor(
    private readonly opts: DrainOptions,
    private readonly queue: DurableQueue,
    private readonly log: Logger,
    private readonly events: DrainEvents = { refused: () => undefined, healthy: () => undefined },
  ) {
    this.lanes = new Lanes(opts, queue, () => this.kick());
    this.publisher = new BatchPublisher(opts, (e) => events.refused(e));
  }

  stats(): DrainStats {
    return {
      messagesPublished: this.messagesPublished,
      samplesDelivered: this.samplesDelivered,
      inFlight: this.ledger.inFlight,
      inFlightSamples: this.ledger.sentSampleCount,
      lastDeliveryLagMs: this.lastDeliveryLagMs,
      batchLimit: this.publisher.limit,
    };
  }

  /** A connection came up: drain over it (live lane from the queue's next seq on). */
  attach(channel: LinkChannel): void {
    this.channel = channel;
    this.publisher.attached();
    void this.serial(async () => {
      if (this.opts.liveFirst && this.channel === channel) await this.lanes.open();
    });
    this.kick();
  }

  /** The connection is gone: forget what was in flight and hand every open batch back to the queue. */
  detach(): Promise<void> {
    if (this.channel !== undefined && !this.stopped) this.publisher.detached();
    this.channel = undefined;
    this.lanes.close();
    this.ledger.dropSent();
    return this.serial(() => this.rejectOpen());
  }

  /** No more publishing (acks still commit); `detach` afterwards hands the rest back. */
  halt(): void {
    this.stopped = true;
    this.lanes.clearTimers();
  }

  /** Publishing allowed again (after a halt, for a restarted link). */
  resume(): void {
    this.stopped = false;
  }

  /** Wakes the loop (after an append, an ack, or when the linger time is up). */
  kick(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    void this.serial(async () => {
      this.pumpQueued = false;
      await this.pump();
    });
  }

  private async pump(): Promise<void> {
    for (;;) {
      const channel = this.sendableChannel();
      if (channel === undefined) return;
      const batch = await this.lanes.next(this.publisher.limit, this.ledger.inFlight, this.ledger.openSamples);
      if (batch === null) return;
      if (this.sendableChannel() !== channel) {
        await this.queue.reject(batch); // the link dropped (or stopped) while we waited
        return;
      }
      this.send(channel, batch);
    }
  }

  /** The current channel if it may take one more message now. */
  private sendableChannel(): LinkChannel | undefined {
    const channel = this.channel;
    if (this.stopped || channel === undefined || !channel.open) return undefined;
    return this.ledger.inFlight < this.opts.inflight ? channel : undefined;
  }

  private send(channel: LinkChannel, batch: Batch): void {
    this.ledger.markSent(batch);
    this.lanes.sent(batch, this.publisher.limit);
    void this.publisher.publish(channel, batch.items).then(
      () => this.onAck(batch),
      (err: unknown) => this.onPublishError(channel, err),
    );
  }

  /** PUBACK: the broker owns the batch; remove it from the queue for good. */
  private onAck(batch: Batch): void {
    if (!this.ledger.markAcked(batch)) return; // a disconnect already handed it back: it is resent
    this.publisher.acked();
    this.events.healthy();
    this.messagesPublished += 1;
    this.samplesDelivered += batch.items.length;
    this.lastDeliveryLagMs = Date.now() - newestTs(batch);
    const done = this.queue.commit(batch).then(
      () => this.ledger.markSettled(batch),
      (err: unknown) => this.onCommitError(batch, err),
    );
    this.committing.add(done);
    void done.finally(() => this.committing.delete(done));
    this.kick();
  }

  /** A publish failed on a live connection: treat the connection as broken (reconnect, resend). */
  private onPublishError(channel: LinkChannel, err: unknown): void {
    if (channel !== this.channel || !channel.open) return; // the disconnect handles it
    this.log.warn({ err: errorMessage(err) }, 'cloud publish failed; reconnecting');
    channel.abort();
  }

  /** The cloud has the batch but the queue kept it: hand it back (sent again: a duplicate, same seq). */
  private onCommitError(batch: Batch, err: unknown): void {
    this.ledger.markSettled(batch);
    this.lanes.handedBack(batch);
    if (isQueueClosed(err)) return;
    this.log.error({ err: errorMessage(err), code: codeOf(err) }, 'queue commit failed; the batch will be sent again');
    void this.serial(() => this.queue.reject(batch));
  }

  /** Lets acknowledged batches commit, then returns every other open batch to the queue. */
  private async rejectOpen(): Promise<void> {
    await Promise.allSettled([...this.committing]);
    await this.queue.rejectAll();
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task).catch((err: unknown) => this.onQueueError(err));
    this.chain = run;
    return run;
  }

  private onQueueError(err: unknown): void {
    if (isQueueClosed(err)) return;
    this.log.error({ err: errorMessage(err), code: codeOf(err) }, 'cloud link: queue operation failed');
  }
}

function newestTs(batch: Batch): number {
  return batch.items.reduce((max, s) => Math.max(max, s.ts), Number.NEGATIVE_INFINITY);
}

function codeOf(err: unknown): string | undefined {
  return isGatewayError(err) ? err.code : undefined;
}

/** During shutdown the gateway may stop the queue first; that is not worth an error log. */
function isQueueClosed(err: unknown): boolean {
  return isGatewayError(err) && err.code === ERROR_CODES.QUEUE_CLOSED;
}
