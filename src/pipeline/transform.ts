/**
 * Raw device values to engineering values: value = raw * scale + offset (the framework applies it,
 * never the driver). Float noise from the arithmetic is rounded away to the precision the scale and
 * the type can carry. The conversion of each point is prepared once and cached: this runs for every
 * point of every poll cycle, so it uses arithmetic, not string formatting.
 */
import type { ModbusPoint } from '../catalog/types.js';
import type { Sample, Value } from '../model/sample.js';
import type { RawValue, ReadResult } from '../southbound/types.js';

type PointShape = Pick<ModbusPoint, 'scale' | 'offset' | 'address' | 'enum'>;
export type Converter = (raw: RawValue) => Value;

const converters = new WeakMap<PointShape, Converter>();

export function toSample(device: string, point: ModbusPoint, result: ReadResult, ts: number): Sample {
  return toSampleWith(device, point.name, converterOf(point), result, ts);
}

/** `toSample` with the point's converter at hand (a poll cycle looks them up once, not per sample). */
export function toSampleWith(device: string, point: string, convert: Converter, result: ReadResult, ts: number): Sample {
  if (!result.ok) return { device, point, ts, value: null, quality: 'bad', code: result.code };
  return { device, point, ts, value: convert(result.value), quality: 'good' };
}

export function engineering(point: PointShape, raw: RawValue): Value {
  return converterOf(point)(raw);
}

/** The point's raw-to-engineering conversion, made once per point. */
export function converterOf(point: PointShape): Converter {
  let convert = converters.get(point);
  if (!convert) {
    convert = makeConverter(point);
    converters.set(point, convert);
  }
  return convert;
}

function makeConverter({ scale, offset, address, enum: labels }: PointShape): Converter {
  if (labels) return (raw) => (typeof raw === 'number' || typeof raw === 'bigint' ? (labels[String(raw)] ?? String(raw)) : raw);
  const identity = scale === 1 && offset === 0;
  const decimals = decimalsOf(scale, offset);
  const factor = 10 ** decimals;
  const float32 = address.type === 'float32';
  const float = float32 || address.type === 'float64';
  return (raw) => {
    if (typeof raw === 'boolean' || typeof raw === 'string') return raw;
    if (typeof raw === 'bigint') {
      if (identity) return Number.isSafeInteger(Number(raw)) ? Number(raw) : raw.toString();
      return Math.round((Number(raw) * scale + offset) * factor) / factor;
    }
    const base = float32 ? significant(raw, 7) : raw;
    if (identity) return base;
    if (!float) return Math.round((base * scale + offset) * factor) / factor;
    return float32 ? significant(base * scale + offset, 7) : Number((base * scale + offset).toPrecision(15));
  };
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

/** 10^0 .. 10^22: the powers of ten a double holds exactly (looked up, not computed, per sample). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** `value` rounded to `digits` significant digits (float32 carries about 7). */
function significant(value: number, digits: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const p = digits - 1 - Math.floor(Math.log10(Math.abs(value)));
  if (p > 300 || p < -300) return Number(value.toPrecision(digits));
  const f = POW10[p >= 0 ? p : -p] ?? 10 ** (p >= 0 ? p : -p);
  return p >= 0 ? Math.round(value * f) / f : Math.round(value / f) * f;
}
