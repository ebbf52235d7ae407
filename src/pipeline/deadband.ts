/**
 * Report by exception: a point with a deadband is forwarded only when its value moved by more than
 * the deadband since the last value forwarded (absolute, or percent of that value), when its
 * quality changes, or when the heartbeat period passed, so an unchanged value is still confirmed.
 * Booleans and strings are forwarded on any change. Points without a deadband pass every poll.
 */
import type { Sample } from '../model/sample.js';
import { PointMap } from './point-map.js';

export interface DeadbandSpec {
  readonly absolute?: number;
  readonly percent?: number;
  readonly heartbeatMs?: number;
}

interface Last {
  value: Sample['value'];
  ts: number;
  good: boolean;
}

export class DeadbandFilter {
  private readonly last = new PointMap<Last>();

  constructor(private readonly specOf: (device: string, point: string) => DeadbandSpec | undefined) {}

  accept(sample: Sample): boolean {
    const spec = this.specOf(sample.device, sample.point);
    if (!spec) return true;
    const prev = this.last.get(sample.device, sample.point);
    const good = sample.quality === 'good';
    if (prev && prev.good === good && (!good || !this.due(spec, prev, sample))) return false;
    this.last.set(sample.device, sample.point, { value: sample.value, ts: sample.ts, good });
    return true;
  }

  private due(spec: DeadbandSpec, prev: Last, sample: Sample): boolean {
    if (spec.heartbeatMs !== undefined && sample.ts - prev.ts >= spec.heartbeatMs) return true;
    return moved(spec, prev.value, sample.value);
  }
}

function moved(spec: DeadbandSpec, before: Sample['value'], now: Sample['value']): boolean {
  if (typeof before !== 'number' || typeof now !== 'number') return before !== now;
  const delta = Math.abs(now - before);
  if (spec.absolute === undefined && spec.percent === undefined) return delta > 0;
  if (spec.absolute !== undefined && delta > spec.absolute) return true;
  return spec.percent !== undefined && delta > (Math.abs(before) * spec.percent) / 100;
}
