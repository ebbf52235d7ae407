/**
 * The periodic health message on `<prefix>/<gatewayId>/health` (QoS 1, not retained), every
 * `healthIntervalMs` while online:
 *
 *   { "gateway": "wh-07", "ts": 1764075630000,
 *     "queue": { "depth": 1200, "bytes": 98000, "oldestAgeMs": 86400000,
 *                "dropped": { "max-bytes": 0, "max-age": 0, "reject-new": 0 } },
 *     "link": { "deliveryLagMs": 180, "inFlight": 2, "messagesPublished": 310, "samplesDelivered": 150000,
 *               "reconnects": 1, "batchLimit": 500 } }
 *
 * `deliveryLagMs`: at the last PUBACK, now minus the read time of the newest sample it carried
 * (small for live samples; the backlog's age shows in `queue.oldestAgeMs`).
 */
import type { QueueStats } from '../queue/types.js';

export interface HealthLink {
  readonly deliveryLagMs: number | null;
  readonly inFlight: number;
  readonly messagesPublished: number;
  readonly samplesDelivered: number;
  readonly reconnects: number;
  readonly batchLimit: number;
}

export interface HealthMessage {
  readonly gateway: string;
  readonly ts: number;
  readonly queue: Pick<QueueStats, 'depth' | 'bytes' | 'oldestAgeMs' | 'dropped'> | null;
  readonly link: HealthLink;
}

export function healthMessage(gateway: string, now: number, queue: QueueStats | undefined, link: HealthLink): Buffer {
  const q = queue === undefined ? null : { depth: queue.depth, bytes: queue.bytes, oldestAgeMs: queue.oldestAgeMs, dropped: queue.dropped };
  const message: HealthMessage = { gateway, ts: now, queue: q, link };
  return Buffer.from(JSON.stringify(message), 'utf8');
}
