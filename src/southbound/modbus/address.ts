/**
 * Modbus point address as written in adapters/<vendor>/<model>.yaml (`points[].address`).
 * `register` is the 0-based protocol address (the number on the wire), never 4xxxx numbering.
 */
import { z } from 'zod';

export const MODBUS_TABLES = ['coil', 'discrete', 'input', 'holding'] as const;
export type ModbusTable = (typeof MODBUS_TABLES)[number];

export const MODBUS_TYPES = [
  'bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64', 'string',
] as const;
export type ModbusType = (typeof MODBUS_TYPES)[number];

/**
 * Byte orders, named by where bytes A (most significant) .. D land on the wire.
 * ABCD big-endian; CDAB word-swapped; BADC byte-swapped within words; DCBA little-endian.
 * 64-bit values follow the same rule over four words (ABCD = ABCDEFGH, CDAB = GHEFCDAB, ...).
 */
export const BYTE_ORDERS = ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

/** Bytes order of a string: AB = first character in the high byte of each register (the usual). */
export const STRING_ORDERS = ['AB', 'BA'] as const;
export type StringOrder = (typeof STRING_ORDERS)[number];

/** Protocol limits per request (Modbus Application Protocol v1.1b3, sections 6.1-6.4, 6.11-6.12). */
export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;
export const MAX_WRITE_REGISTERS = 123;
export const MAX_WRITE_BITS = 1968;

export const modbusAddressSchema = z
  .strictObject({
    table: z.enum(MODBUS_TABLES).describe('coil (FC1/5/15), discrete (FC2), input (FC4) or holding (FC3/6/16)'),
    register: z
      .int()
      .min(0)
      .max(65535)
      .describe('0-based protocol address as sent on the wire (not 1-based, not 4xxxx numbering)'),
    type: z.enum(MODBUS_TYPES).optional().describe('value type; bool for coil/discrete tables (the default there), uint16 otherwise'),
    byteOrder: z.enum(BYTE_ORDERS).optional().describe('byte/word order of multi-register values; defaults to the model defaults.byteOrder'),
    bit: z.int().min(0).max(15).optional().describe('for type bool in an input/holding register: bit number, 0 = least significant'),
    length: z.int().min(1).max(MAX_READ_REGISTERS).optional().describe('for type string: number of registers (2 characters each)'),
    stringOrder: z.enum(STRING_ORDERS).optional().describe('for type string: AB (first character in the high byte) or BA'),
  })
  .describe('Modbus address of a point');

export type ModbusAddressInput = z.infer<typeof modbusAddressSchema>;

/**
 * How `register` numbers are written in a model: `protocol` (default) is the 0-based address on the
 * wire; `one-based` is that plus one (as many manuals print it); `modicon` is the 5-digit
 * 0xxxx/1xxxx/3xxxx/4xxxx numbering (coil 00001 = 0, discrete 10001 = 0, input 30001 = 0, holding 40001 = 0).
 */
export const NUMBERINGS = ['protocol', 'one-based', 'modicon'] as const;
export type Numbering = (typeof NUMBERINGS)[number];

const MODICON_BASE: Record<ModbusTable, number> = { coil: 1, discrete: 10001, input: 30001, holding: 40001 };

/** The 0-based protocol address of `register` in the model's numbering, or a problem. */
export function protocolRegister(table: ModbusTable, register: number, numbering: Numbering): { register: number } | { problem: string } {
  switch (numbering) {
    case 'protocol':
      return { register };
    case 'one-based':
      return register >= 1 ? { register: register - 1 } : { problem: `register ${register}: one-based numbering starts at 1` };
    case 'modicon': {
      const base = MODICON_BASE[table];
      const last = base + 9998;
      if (register >= base && register <= last) return { register: register - base };
      return { problem: `register ${register} is not ${table} in Modicon numbering (expected ${String(base).padStart(5, '0')}..${String(last).padStart(5, '0')})` };
    }
  }
}

/** An address with every default resolved: what the planner, codec and simulator work with. */
export interface ModbusAddress {
  readonly table: ModbusTable;
  readonly register: number;
  readonly type: ModbusType;
  readonly byteOrder: ByteOrder;
  readonly bit?: number;
  /** Registers (or bits for coil/discrete) this point occupies. */
  readonly count: number;
  readonly stringOrder: StringOrder;
}

export function isBitTable(table: ModbusTable): boolean {
  return table === 'coil' || table === 'discrete';
}

/** Registers occupied by a value of this type (strings use `length`). */
export function registerWidth(type: ModbusType, length = 1): number {
  switch (type) {
    case 'bool':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
    case 'string':
      return length;
  }
}

/** Resolve defaults; call only on an address that passed `modbusAddressSchema` and `checkModbusAddress`. */
export function resolveModbusAddress(input: ModbusAddressInput, defaultByteOrder: ByteOrder, numbering: Numbering = 'protocol'): ModbusAddress {
  const bitTable = isBitTable(input.table);
  const converted = protocolRegister(input.table, input.register, numbering);
  const register = 'register' in converted ? converted.register : input.register;
  const type: ModbusType = input.type ?? (bitTable ? 'bool' : 'uint16');
  const count = bitTable ? 1 : registerWidth(type, input.length ?? 1);
  return {
    table: input.table,
    register,
    type,
    byteOrder: input.byteOrder ?? defaultByteOrder,
    ...(input.bit === undefined ? {} : { bit: input.bit }),
    count,
    stringOrder: input.stringOrder ?? 'AB',
  };
}

export interface AddressProblem {
  /** Path below `address`, e.g. ['type']. */
  readonly path: (string | number)[];
  readonly message: string;
  readonly hint?: string;
}

/**
 * Cross-field checks zod's shape cannot express. Returns every problem (empty when fine).
 * `allowHighAddresses` is the model's explicit opt-in for registers that look like 3xxxx/4xxxx numbering.
 */
export function checkModbusAddress(a: ModbusAddressInput, allowHighAddresses: boolean, numbering: Numbering = 'protocol'): AddressProblem[] {
  const problems: AddressProblem[] = [];
  const converted = protocolRegister(a.table, a.register, numbering);
  if ('problem' in converted) return [{ path: ['register'], message: converted.problem, hint: `addressing.numbering of this model is ${numbering}` }];
  const register = converted.register;
  const bitTable = isBitTable(a.table);
  const type = a.type ?? (bitTable ? 'bool' : 'uint16');
  if (bitTable && type !== 'bool') {
    problems.push({ path: ['type'], message: `table ${a.table} holds single bits: type must be bool (got ${type})` });
  }
  if (a.bit !== undefined && (bitTable || type !== 'bool')) {
    problems.push({ path: ['bit'], message: 'bit applies only to type bool in an input or holding register' });
  }
  if (type === 'string' && a.length === undefined) {
    problems.push({ path: ['length'], message: 'type string needs length (number of registers, 2 characters each)' });
  }
  if (type !== 'string' && (a.length !== undefined || a.stringOrder !== undefined)) {
    problems.push({ path: ['length'], message: 'length and stringOrder apply only to type string' });
  }
  const count = bitTable ? 1 : registerWidth(type, a.length ?? 1);
  if (register + count - 1 > 65535) {
    problems.push({ path: ['register'], message: `register ${a.register} + ${count} registers runs past 65535` });
  }
  if (!allowHighAddresses && numbering === 'protocol') {
    const looksModicon =
      (a.table === 'holding' && a.register >= 40001 && a.register <= 49999) ||
      (a.table === 'input' && a.register >= 30001 && a.register <= 39999) ||
      (a.table === 'discrete' && a.register >= 10001 && a.register <= 19999);
    if (looksModicon) {
      const leading = a.table === 'holding' ? 40001 : a.table === 'input' ? 30001 : 10001;
      problems.push({
        path: ['register'],
        message: `register ${a.register} looks like Modicon ${String(leading)[0]}xxxx numbering, not a 0-based protocol address`,
        hint:
          `${a.register} in ${String(leading)[0]}xxxx numbering is protocol address ${a.register - leading}: write that, ` +
          'or set addressing.numbering: modicon for the whole model; if the device really uses this address, set addressing.allowHighAddresses: true',
      });
    }
  }
  return problems;
}
