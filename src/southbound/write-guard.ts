/**
 * The write safety rules, in one place for every caller (local or cloud commands): the model marks
 * the point writable (access: rw), the site config lists it in the device's `writable`, and the value
 * passes type and range checks. Anything else is refused before a byte goes to the device.
 */
import type { ModbusPoint } from '../catalog/types.js';
import type { ResolvedDevice } from '../config/load-site.js';
import { ERROR_CODES, GatewayError } from '../errors.js';
import { rawForWrite } from '../pipeline/write-value.js';
import type { RawValue } from './types.js';

export interface CheckedWrite {
  readonly point: ModbusPoint;
  readonly raw: RawValue;
}

export function checkWrite(device: ResolvedDevice | undefined, deviceId: string, pointName: string, value: unknown): CheckedWrite {
  if (!device) throw new GatewayError(ERROR_CODES.WRITE_DENIED, `unknown or disabled device "${deviceId}"`);
  const point = device.model.points.find((p) => p.name === pointName);
  if (!point) throw new GatewayError(ERROR_CODES.WRITE_DENIED, `device ${deviceId} (${device.model.id}) has no point "${pointName}"`);
  if (point.access !== 'rw') throw new GatewayError(ERROR_CODES.WRITE_DENIED, `${deviceId}.${pointName} is read-only in model ${device.model.id}`);
  if (!device.config.writable.includes(pointName)) {
    throw new GatewayError(ERROR_CODES.WRITE_DENIED, `${deviceId}.${pointName} is not in this site's writable list for ${deviceId}`);
  }
  if (!('address' in point)) throw new GatewayError(ERROR_CODES.WRITE_DENIED, `${deviceId}.${pointName} is pushed by an MQTT device and cannot be written`);
  return { point, raw: rawForWrite(point, value) };
}
