/**
 * Publishes each device's latest values on the embedded broker, retained, so an on-site consumer
 * that subscribes later gets the current value at once.
 * Topic: <prefix>/<gateway>/devices/<device>/<point>; payload: {"ts","value","quality","code"?,"unit"?}.
 */
import type { Sample } from '../model/sample.js';

/**
 * Built with join, not a template: a template makes a tree of concatenated strings (five heap
 * objects), and the gateway keeps one topic per point for as long as it runs (at 100,000 points
 * about 16 MB of string trees); join makes one flat string.
 */
export function latestValueTopic(prefix: string, gatewayId: string, device: string, point: string): string {
  return [prefix, gatewayId, 'devices', device, point].join('/');
}

/** Runs for every accepted sample: one object, no spreads. */
export function latestValuePayload(sample: Sample, unit: string | undefined): string {
  const out: { ts: number; value: Sample['value']; quality: Sample['quality']; code?: string; unit?: string } = { ts: sample.ts, value: sample.value, quality: sample.quality };
  if (sample.code !== undefined) out.code = sample.code;
  if (unit !== undefined) out.unit = unit;
  return JSON.stringify(out);
}
