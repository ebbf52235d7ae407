/**
 * Every interpretation of a block of raw registers, side by side: the engineer reads off which type
 * and byte order gives the value the device's display shows, and writes it into the model. Used by
 * `edgeway probe` (printed) and the cloud's raw-read command (as JSON).
 *
 * Values are JSON-safe: 64-bit integers come as decimal strings, NaN and infinities as strings.
 */
import { BYTE_ORDERS, registerWidth, type ByteOrder, type ModbusAddress, type ModbusType } from './address.js';
import { decodeRegisters } from './codec.js';

export type JsonNumber = number | string;

export interface RegisterView {
  readonly address: number;
  /** 0x1234 */
  readonly hex: string;
  readonly int16: JsonNumber;
  readonly uint16: number;
  /** 16 characters, most significant bit first. */
  readonly bits: string;
}

/** Registers address..address+width-1 read as the wide types of that width, per byte order. */
export interface WideView {
  readonly address: number;
  readonly width: 2 | 4;
  readonly orders: Readonly<Record<ByteOrder, Readonly<Record<string, JsonNumber>>>>;
}

export interface RegisterInterpretation {
  readonly registers: readonly RegisterView[];
  /** For each start register: width 2 (int32, uint32, float32), then width 4 (int64, uint64, float64). */
  readonly wide: readonly WideView[];
  /** The whole block as text, high byte first (AB) and low byte first (BA). */
  readonly strings: { readonly AB: string; readonly BA: string } | undefined;
}

export const WIDE_TYPES: Readonly<Record<2 | 4, readonly ModbusType[]>> = { 2: ['int32', 'uint32', 'float32'], 4: ['int64', 'uint64', 'float64'] };

function address(register: number, type: ModbusType, byteOrder: ByteOrder, length = 1): ModbusAddress {
  return { table: 'holding', register, type, byteOrder, count: registerWidth(type, length), stringOrder: 'AB' };
}

export function hexWord(word: number): string {
  return `0x${word.toString(16).toUpperCase().padStart(4, '0')}`;
}

function jsonNumber(v: unknown): JsonNumber {
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  return String(v);
}

export function interpretRegisters(start: number, words: readonly number[]): RegisterInterpretation {
  const registers: RegisterView[] = [];
  const wide: WideView[] = [];
  words.forEach((word, i) => {
    const reg = start + i;
    registers.push({ address: reg, hex: hexWord(word), int16: jsonNumber(decodeRegisters(address(reg, 'int16', 'ABCD'), words, i)), uint16: word, bits: word.toString(2).padStart(16, '0') });
    for (const width of [2, 4] as const) {
      if (i + width > words.length) continue;
      const orders = Object.fromEntries(
        BYTE_ORDERS.map((order) => [order, Object.fromEntries(WIDE_TYPES[width].map((type) => [type, jsonNumber(decodeRegisters(address(reg, type, order), words, i))]))]),
      ) as Record<ByteOrder, Record<string, JsonNumber>>;
      wide.push({ address: reg, width, orders });
    }
  });
  const text = (order: 'AB' | 'BA') => String(decodeRegisters({ ...address(start, 'string', 'ABCD', words.length), stringOrder: order }, words, 0));
  return { registers, wide, strings: words.length > 0 ? { AB: text('AB'), BA: text('BA') } : undefined };
}
