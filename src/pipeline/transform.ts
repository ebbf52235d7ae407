/**
 * Raw device values to engineering values: value = raw * scale + offset (the framework applies it,
 * never the driver). Float noise from the arithmetic is rounded away to the precision the scale and
 * the type can carry.
 */
import type { ModelPoint } from '../catalog/types.js';
import type { Sample, Value } from '../model/sample.js';
import type { RawValue, ReadResult } from '../southbound/types.js';

export function toSample(device: string, point: ModelPoint, result: ReadResult, ts: number): Sample {
  if (!result.ok) return { device, point: point.name, ts, value: null, quality: 'bad', code: result.code };
  return { device, point: point.name, ts, value: engineering(point, result.value), quality: 'good' };
}

export function engineering(point: Pick<ModelPoint, 'scale' | 'offset' | 'address'>, raw: RawValue): Value {
  if (typeof raw === 'boolean' || typeof raw === 'string') return raw;
  const { scale, offset } = point;
  if (typeof raw === 'bigint') {
    if (scale === 1 && offset === 0) return Number.isSafeInteger(Number(raw)) ? Number(raw) : raw.toString();
    return roundTo(Number(raw) * scale + offset, decimalsOf(scale, offset));
  }
  const type = point.address.type;
  const base = type === 'float32' ? Number(Math.fround(raw).toPrecision(7)) : raw;
  if (scale === 1 && offset === 0) return base;
  const integral = type !== 'float32' && type !== 'float64';
  return integral ? roundTo(base * scale + offset, decimalsOf(scale, offset)) : Number((base * scale + offset).toPrecision(type === 'float32' ? 7 : 15));
}

/** Decimal places an integer raw value can have after scale and offset (0.1 -> 1, 0.25 -> 2). */
function decimalsOf(scale: number, offset: number): number {
  return Math.min(12, Math.max(places(scale), places(offset)));
}

function places(n: number): number {
  const text = String(Math.abs(n));
  const exp = /e-(\d+)$/.exec(text);
  if (exp) return Number(exp[1]);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

function roundTo(value: number, decimals: number): number {
  return Number(value.toFixed(decimals));
}
