/** The JSON behind the status page (GET /api/status): devices with latest values, cloud, queue. */
import type { OpsSource } from './ops-source.js';

export interface StatusPoint {
  readonly point: string;
  readonly value: unknown;
  readonly quality: string;
  readonly ts: number;
  readonly unit?: string;
  readonly code?: string;
}

export function statusDocument(source: OpsSource, now = Date.now()) {
  const s = source.status();
  const latest = source.latest();
  return {
    gateway: s.gateway,
    time: now,
    samplesPerSecond: s.samplesPerSecond,
    devices: s.devices.map((d) => ({
      id: d.id,
      state: d.state,
      samples: d.samples,
      ...(d.lastError === undefined ? {} : { lastError: d.lastError }),
      points: [...(latest.get(d.id)?.values() ?? [])].map((p): StatusPoint => {
        const unit = source.unitOf(d.id, p.point);
        return { point: p.point, value: p.value, quality: p.quality, ts: p.ts, ...(unit === undefined ? {} : { unit }), ...(p.code === undefined ? {} : { code: p.code }) };
      }),
    })),
    cloud: { state: s.cloud.state, reconnects: s.cloud.reconnects, messagesPublished: s.cloud.messagesPublished, deliveryLagMs: s.cloud.lastDeliveryLagMs ?? null },
    queue: { depth: s.queue.depth, bytes: s.queue.bytes, oldestAgeMs: s.queue.oldestAgeMs, delivered: s.queue.delivered, dropped: s.queue.dropped },
    ...(s.broker === undefined ? {} : { broker: s.broker }),
  };
}
