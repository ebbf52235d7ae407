/**
 * Publishes each device's latest values on the embedded broker, retained, so an on-site consumer
 * that subscribes later gets the current value at once.
 * Topic: <prefix>/<gateway>/devices/<device>/<point>; payload: {"ts","value","quality","code"?,"unit"?}.
 */
import type { Sample } from '../model/sample.js';

export function latestValueTopic(prefix: string, gatewayId: string, device: string, point: string): string {
  return `${prefix}/${gatewayId}/devices/${device}/${point}`;
}

export function latestValuePayload(sample: Sample, unit: string | undefined): string {
  return JSON.stringify({
    ts: sample.ts,
    value: sample.value,
    quality: sample.quality,
    ...(sample.code === undefined ? {} : { code: sample.code }),
    ...(unit === undefined ? {} : { unit }),
  });
}
