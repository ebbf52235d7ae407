/**
 * Moving one point's value between engineering units and the simulator's banks, with the
 * gateway's codec (src/southbound/modbus/codec.ts) so the simulator serves exactly the words the
 * gateway decodes.
 *
 *   to the bank:   raw = (eng - offset) / scale, rounded and clamped to the type's range for
 *                  integer types; bools set a coil/discrete bit, a whole register (0/1), or one
 *                  bit of a register (other bits of that register are kept).
 *   from the bank: eng = raw * scale + offset (the gateway's transform); bools and strings as is.
 */
import type { ModbusPoint } from '../catalog/types.js';
import { applyBit, decodeRegisters, encodeValue } from '../southbound/modbus/codec.js';
import type { ModbusType } from '../southbound/modbus/address.js';
import type { RawValue } from '../southbound/types.js';
import type { Banks } from './banks.js';
import type { SimValue } from './motion.js';

/** A point's engineering value as served (64-bit integers with scale 1 and offset 0 stay bigint). */
export type EngValue = number | bigint | boolean | string;

const INT_LIMITS: Partial<Record<ModbusType, readonly [number, number]>> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

const BIG_LIMITS: Partial<Record<ModbusType, readonly [bigint, bigint]>> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

function asNumber(v: SimValue): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

function asBool(v: SimValue): boolean {
  return typeof v === 'boolean' ? v : typeof v === 'number' ? v !== 0 : v !== '' && v !== 'false' && v !== '0';
}

/** The raw (pre-scale) value a point must hold to read back as `eng`, fitted to its type. */
export function toRaw(point: ModbusPoint, eng: SimValue): RawValue {
  const type = point.address.type;
  if (point.enum && typeof eng === 'string') {
    const code = Object.entries(point.enum).find(([, label]) => label === eng)?.[0];
    return code === undefined ? 0 : Number(code);
  }
  if (type === 'bool') return asBool(eng);
  if (type === 'string') return String(eng);
  const raw = (asNumber(eng) - point.offset) / point.scale;
  const ints = INT_LIMITS[type];
  if (ints) return Math.min(ints[1], Math.max(ints[0], Math.round(raw)));
  const bigs = BIG_LIMITS[type];
  if (bigs) {
    const big = BigInt(Math.round(raw));
    return big < bigs[0] ? bigs[0] : big > bigs[1] ? bigs[1] : big;
  }
  if (type === 'float32') return Math.min(3.4e38, Math.max(-3.4e38, raw));
  return raw;
}

/** Engineering value from a raw value: raw * scale + offset (bool/string unchanged). */
export function toEng(point: ModbusPoint, raw: RawValue): EngValue {
  if (typeof raw === 'boolean' || typeof raw === 'string') return raw;
  if (point.enum) return point.enum[String(raw)] ?? String(raw);
  if (typeof raw === 'bigint') return point.scale === 1 && point.offset === 0 ? raw : Number(raw) * point.scale + point.offset;
  return raw * point.scale + point.offset;
}

/** Strings longer than the point's registers are cut, characters outside Latin-1 replaced. */
function fitString(point: ModbusPoint, raw: RawValue): RawValue {
  if (typeof raw !== 'string') return raw;
  return Array.from(raw.slice(0, point.address.count * 2), (c) => ((c.codePointAt(0) ?? 0) > 0xff || c === '\0' ? '?' : c)).join('');
}

/** Stores the engineering value `eng` of `point` in the banks. */
export function storePoint(banks: Banks, point: ModbusPoint, eng: SimValue): void {
  const a = point.address;
  const raw = fitString(point, toRaw(point, eng));
  if (a.table === 'coil' || a.table === 'discrete') {
    banks[a.table].set(a.register, raw === true);
    return;
  }
  const table = banks[a.table];
  if (a.type === 'bool' && a.bit !== undefined) {
    table.set(a.register, applyBit(a, table.get(a.register), raw));
    return;
  }
  table.write(a.register, encodeValue(a, raw));
}

/** Raw value of `point` as the banks hold it now, decoded with the gateway's codec. */
export function loadRaw(banks: Banks, point: ModbusPoint): RawValue {
  const a = point.address;
  if (a.table === 'coil' || a.table === 'discrete') return banks[a.table].get(a.register);
  return decodeRegisters(a, banks[a.table].read(a.register, a.count), 0);
}

/** Engineering value of `point` as served now. */
export function loadPoint(banks: Banks, point: ModbusPoint): EngValue {
  return toEng(point, loadRaw(banks, point));
}
