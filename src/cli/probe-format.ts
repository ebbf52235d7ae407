/**
 * Every interpretation of a block of raw registers, side by side: the engineer reads off which
 * type and byte order gives the value the device's display shows, and writes it into the model.
 */
import { BYTE_ORDERS, registerWidth, type ModbusAddress, type ModbusType } from '../southbound/modbus/address.js';
import { decodeRegisters } from '../southbound/modbus/codec.js';

const WIDE_TYPES: Record<number, ModbusType[]> = { 2: ['int32', 'uint32', 'float32'], 4: ['int64', 'uint64', 'float64'] };

function address(register: number, type: ModbusType, byteOrder: (typeof BYTE_ORDERS)[number], length = 1): ModbusAddress {
  return { table: 'holding', register, type, byteOrder, count: registerWidth(type, length), stringOrder: 'AB' };
}

function show(v: unknown): string {
  if (typeof v === 'number' && (!Number.isInteger(v) || Math.abs(v) >= 1e15)) return Number(v.toPrecision(9)).toString();
  return String(v);
}

function hex(word: number): string {
  return `0x${word.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function describeRegisters(start: number, words: readonly number[]): string[] {
  const lines = [`raw: ${words.map(hex).join(' ')}`, ''];
  words.forEach((word, i) => {
    const reg = start + i;
    const bits = word.toString(2).padStart(16, '0');
    lines.push(`register ${reg}: ${hex(word)}  int16 ${show(decodeRegisters(address(reg, 'int16', 'ABCD'), words, i))}  uint16 ${word}  bits ${bits}`);
    for (const width of [2, 4]) {
      if (i + width > words.length) continue;
      for (const order of BYTE_ORDERS) {
        const values = (WIDE_TYPES[width] ?? []).map((type) => `${type} ${show(decodeRegisters(address(reg, type, order), words, i))}`);
        lines.push(`  ${reg}..${reg + width - 1} ${order}: ${values.join('  ')}`);
      }
    }
  });
  if (words.length > 0) {
    for (const order of ['AB', 'BA'] as const) {
      const a = { ...address(start, 'string', 'ABCD', words.length), stringOrder: order };
      lines.push(`string ${order} (${words.length} registers): ${JSON.stringify(decodeRegisters(a, words, 0))}`);
    }
  }
  return lines;
}

export function describeBits(start: number, bits: readonly boolean[]): string[] {
  return bits.map((b, i) => `bit ${start + i}: ${b ? 1 : 0}`);
}
