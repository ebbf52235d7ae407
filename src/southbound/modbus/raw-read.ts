/**
 * A one-off raw read for diagnosis (the cloud's raw-read command): any table, any address range a
 * Modbus request can carry, answered with the raw words or bits and, for registers, every
 * interpretation (see interpret.ts). Requests are untrusted: checked here before anything is sent.
 */
import { ERROR_CODES, GatewayError } from '../../errors.js';
import { isBitTable, MAX_READ_BITS, MAX_READ_REGISTERS, MODBUS_TABLES, type ModbusTable } from './address.js';
import { interpretRegisters, type RegisterInterpretation } from './interpret.js';

export interface RawReadRequest {
  readonly table: ModbusTable;
  /** 0-based protocol address of the first register or bit. */
  readonly address: number;
  /** Registers (1..125) or bits (1..2000). */
  readonly count: number;
}

export interface RawRegisterResult extends RawReadRequest {
  readonly device: string;
  readonly unitId: number;
  readonly words: readonly number[];
  readonly interpretations: RegisterInterpretation;
}

export interface RawBitResult extends RawReadRequest {
  readonly device: string;
  readonly unitId: number;
  readonly bits: readonly boolean[];
}

export type RawReadResult = RawRegisterResult | RawBitResult;

/** What a session offers for raw reads (the Modbus session does). */
export interface RawReader {
  readonly unitId: number;
  readRaw(request: RawReadRequest, signal: AbortSignal): Promise<number[] | boolean[]>;
}

export function isRawReader(session: object): session is RawReader {
  return typeof (session as Partial<RawReader>).readRaw === 'function';
}

/** The request, checked; EW_COMMAND_INVALID naming the field and the allowed range otherwise. */
export function checkRawRead(input: unknown): RawReadRequest {
  const bad = (message: string) => new GatewayError(ERROR_CODES.COMMAND_INVALID, `raw read: ${message}`, { detail: { request: input } });
  if (input === null || typeof input !== 'object') throw bad('expected { table, address, count }');
  const { table, address, count } = input as Record<string, unknown>;
  const t = MODBUS_TABLES.find((x) => x === table);
  if (t === undefined) throw bad(`table must be one of ${MODBUS_TABLES.join(', ')}, got ${JSON.stringify(table) ?? 'nothing'}`);
  if (typeof address !== 'number' || !Number.isInteger(address) || address < 0 || address > 65535) {
    throw bad(`address must be a whole number 0..65535 (0-based protocol address), got ${JSON.stringify(address) ?? 'nothing'}`);
  }
  const max = isBitTable(t) ? MAX_READ_BITS : MAX_READ_REGISTERS;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > max) {
    throw bad(`count must be a whole number 1..${max} for the ${t} table, got ${JSON.stringify(count) ?? 'nothing'}`);
  }
  if (address + count > 65536) throw bad(`address + count must not pass 65536 (last address 65535), got ${address} + ${count}`);
  return { table: t, address, count };
}

export function rawReadResult(device: string, unitId: number, request: RawReadRequest, data: readonly number[] | readonly boolean[]): RawReadResult {
  const base = { device, unitId, table: request.table, address: request.address, count: request.count };
  if (isBitTable(request.table)) return { ...base, bits: (data as readonly boolean[]).slice(0, request.count) };
  const words = (data as readonly number[]).slice(0, request.count);
  return { ...base, words, interpretations: interpretRegisters(request.address, words) };
}
