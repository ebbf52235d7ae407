/**
 * The inverse of transform.ts for writes: an engineering value from a command to the raw value the
 * device stores, checked against the point's type and range before anything is sent.
 * raw = (value - offset) / scale; integer types must land on an integer.
 */
import type { ModbusPoint } from '../catalog/types.js';
import { ERROR_CODES, GatewayError } from '../errors.js';
import type { RawValue } from '../southbound/types.js';

const INTEGER_TYPES = new Set(['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

function invalid(point: ModbusPoint, message: string): GatewayError {
  return new GatewayError(ERROR_CODES.WRITE_INVALID_VALUE, `${point.name}: ${message}`);
}

export function rawForWrite(point: ModbusPoint, value: unknown): RawValue {
  const type = point.address.type;
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw invalid(point, `needs true or false, got ${JSON.stringify(value)}`);
    return value;
  }
  if (type === 'string') {
    if (typeof value !== 'string') throw invalid(point, `needs a string, got ${JSON.stringify(value)}`);
    return value;
  }
  if (point.enum) return enumCode(point, point.enum, value);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(point, `needs a finite number, got ${JSON.stringify(value)}`);
  const { min, max } = point.range ?? {};
  if (min !== undefined && value < min) throw invalid(point, `${value} is below the allowed minimum ${min}${point.unit ? ` ${point.unit}` : ''}`);
  if (max !== undefined && value > max) throw invalid(point, `${value} is above the allowed maximum ${max}${point.unit ? ` ${point.unit}` : ''}`);
  const raw = (value - point.offset) / point.scale;
  if (!INTEGER_TYPES.has(type)) return raw;
  const rounded = Math.round(raw);
  if (Math.abs(raw - rounded) > 1e-6 * Math.max(1, Math.abs(raw))) {
    throw invalid(point, `${value} is not a multiple of the scale ${point.scale} (the device stores whole steps)`);
  }
  return type === 'int64' || type === 'uint64' ? BigInt(rounded) : rounded;
}

/** A label of the point's enum (or one of its codes) to the raw code. */
function enumCode(point: ModbusPoint, labels: Readonly<Record<string, string>>, value: unknown): number {
  const entries = Object.entries(labels);
  const byLabel = entries.find(([, label]) => label === value);
  if (byLabel) return Number(byLabel[0]);
  if (typeof value === 'number' && labels[String(value)] !== undefined) return value;
  throw invalid(point, `needs one of ${entries.map(([, l]) => JSON.stringify(l)).join(', ')}, got ${JSON.stringify(value)}`);
}
