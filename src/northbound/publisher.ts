/**
 * Publishes one batch of samples as data message(s) on one connection, and keeps the per-connection
 * counts the refusal diagnosis needs (see refusals.ts).
 *
 * A batch is one message, or, over MQTT 5 when the broker's Maximum Packet Size (CONNACK) is too
 * small for it, halves of it, recursively: all sent in seq order before the first await, and the
 * batch counts as acknowledged once every part is. MQTT 5 messages carry the content type of their
 * encoding (payload.ts).
 */
import type { QueuedSample } from '../model/sample.js';
import type { LinkChannel, PublishProperties } from './connection.js';
import type { LinkError } from './link-errors.js';
import { CONTENT_TYPES, encodeQueuedBatch, type Compression } from './payload.js';
import { RefusalTracker } from './refusals.js';

export interface PublisherOptions {
  readonly gatewayId: string;
  readonly dataTopic: string;
  readonly compression: Compression;
  readonly batchMaxSamples: number;
}

/** MQTT fixed header (<= 5) + topic length (2) + packet id (2) + MQTT 5 properties (content type etc.). */
const PUBLISH_OVERHEAD = 64;

export class BatchPublisher {
  private readonly refusals: RefusalTracker;
  private readonly properties: PublishProperties;
  /** Data messages sent and acknowledged on the current connection, and the largest sent. */
  private onChannel = { sent: 0, acked: 0, largest: 0 };

  constructor(
    private readonly opts: PublisherOptions,
    report: (e: LinkError) => void,
  ) {
    this.refusals = new RefusalTracker(opts.batchMaxSamples, opts.dataTopic, report);
    this.properties = { contentType: CONTENT_TYPES[opts.compression], payloadFormatIndicator: opts.compression === 'none' };
  }

  /** Most samples per message now (batchMaxSamples unless a refusal reduced it). */
  get limit(): number {
    return this.refusals.limit;
  }

  /** A new connection: its counts start at zero. */
  attached(): void {
    this.onChannel = { sent: 0, acked: 0, largest: 0 };
  }

  /** The connection ended (not by our own stop): was it a silent refusal? */
  detached(): void {
    this.refusals.connectionClosed(this.onChannel.sent, this.onChannel.acked, this.onChannel.largest);
  }

  /** A batch's PUBACK(s) arrived. */
  acked(): void {
    this.onChannel.acked += 1;
    this.refusals.acked();
  }

  /** Resolves when every message of the batch is acknowledged; rejects as `channel.publish` does. */
  publish(channel: LinkChannel, items: readonly QueuedSample[]): Promise<unknown> {
    const payload = encodeQueuedBatch(this.opts.gatewayId, items, this.opts.compression);
    const limit = channel.maxPacketSize;
    if (limit !== undefined && items.length > 1 && payload.length + this.opts.dataTopic.length + PUBLISH_OVERHEAD > limit) {
      const half = Math.ceil(items.length / 2);
      this.refusals.shrinkTo(half, payload.length, limit);
      return Promise.all([this.publish(channel, items.slice(0, half)), this.publish(channel, items.slice(half))]);
    }
    this.onChannel.sent += 1;
    this.onChannel.largest = Math.max(this.onChannel.largest, payload.length);
    return channel.publish(this.opts.dataTopic, payload, false, this.properties).catch((err: unknown) => {
      if (this.refusals.pubackRefused(reasonCodeOf(err), payload.length)) this.onChannel.sent -= 1; // said no: not a silent refusal
      throw err;
    });
  }
}

/** MQTT 5 PUBACK reason code of a failed publish (mqtt.js ErrorWithReasonCode). */
function reasonCodeOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number' ? err.code : undefined;
}
