/** Maps modbus-serial failures to the gateway's stable error codes. */
import { ERROR_CODES, errorMessage, type ErrorCode } from '../../errors.js';

export interface MappedError {
  readonly code: ErrorCode;
  readonly message: string;
  /** The connection can no longer be trusted (closed, or a late answer could pair with the next request). */
  readonly fatal: boolean;
}

/** Modbus exception names, Modbus Application Protocol v1.1b3 section 7. */
const EXCEPTIONS: Record<number, string> = {
  1: 'illegal function', 2: 'illegal data address', 3: 'illegal data value', 4: 'server device failure',
  5: 'acknowledge', 6: 'server device busy', 8: 'memory parity error', 10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export function mapModbusError(err: unknown): MappedError {
  const e = err as { modbusCode?: unknown; name?: unknown; errno?: unknown; code?: unknown };
  if (typeof e.modbusCode === 'number') {
    const name = EXCEPTIONS[e.modbusCode] ?? 'unknown exception';
    return { code: ERROR_CODES.DEVICE_EXCEPTION, message: `Modbus exception ${e.modbusCode} (${name})`, fatal: false };
  }
  const text = errorMessage(err);
  if (e.name === 'TransactionTimedOutError' || e.errno === 'ETIMEDOUT' || /timed out/i.test(text)) {
    return { code: ERROR_CODES.DEVICE_TIMEOUT, message: 'no answer within the request timeout', fatal: true };
  }
  if (/CRC|length|unexpected|invalid|bad/i.test(text) && !/port not open/i.test(text)) {
    return { code: ERROR_CODES.DEVICE_BAD_RESPONSE, message: `malformed response: ${text}`, fatal: true };
  }
  return { code: ERROR_CODES.DEVICE_DISCONNECTED, message: `connection lost: ${text}`, fatal: true };
}
