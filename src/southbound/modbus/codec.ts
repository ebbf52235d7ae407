/**
 * Modbus value codec: register words <-> typed values, for every type and byte order.
 *
 * Modbus itself only defines 16-bit big-endian registers (Modbus Application Protocol v1.1b3,
 * section 4.2); wider values are a device convention. We lay a value out as logical big-endian
 * bytes (A = most significant) and map them to the wire by the address's byte order:
 *   ABCD  words in order, bytes big-endian inside each word (ABCDEFGH for 64-bit)
 *   CDAB  words reversed, bytes big-endian inside each word (GHEFCDAB)
 *   BADC  words in order, bytes swapped inside each word   (BADCFEHG)
 *   DCBA  words reversed and bytes swapped: little-endian    (HGFEDCBA)
 * The same rule applies to one-register values (BADC/DCBA swap the two bytes of an int16).
 * Strings use `stringOrder` instead; a bool with `bit` reads that bit of the word as received.
 */
import { ERROR_CODES, GatewayError } from '../../errors.js';
import type { RawValue } from '../types.js';
import { isBitTable, registerWidth, type ByteOrder, type ModbusAddress, type ModbusType } from './address.js';

type NumericType = Exclude<ModbusType, 'bool' | 'string'>;
type IntegerType = Exclude<NumericType, 'float32' | 'float64'>;

const INTEGER_RANGES: Record<IntegerType, readonly [bigint, bigint]> = {
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/**
 * Reorders bytes between logical big-endian order and the wire for a byte order.
 * Both steps (reverse words, swap bytes in a word) are their own inverse, so this one
 * function serves decoding and encoding.
 */
export function reorderBytes(bytes: Uint8Array, order: ByteOrder): Uint8Array {
  const words = bytes.length / 2;
  const reverseWords = order === 'CDAB' || order === 'DCBA';
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const out = new Uint8Array(bytes.length);
  for (let w = 0; w < words; w++) {
    const from = (reverseWords ? words - 1 - w : w) * 2;
    out[w * 2] = bytes[swapBytes ? from + 1 : from] ?? 0;
    out[w * 2 + 1] = bytes[swapBytes ? from : from + 1] ?? 0;
  }
  return out;
}

/** Registers a value of this address spans (strings: their length; coil/discrete: not registers). */
function wordCount(addr: ModbusAddress): number {
  return addr.type === 'string' ? addr.count : registerWidth(addr.type);
}

function describe(addr: ModbusAddress): string {
  return `${addr.table} ${addr.register} (${addr.type})`;
}

/** Copies `count` words from `regs[offset..]` as big-endian byte pairs; throws if any is missing. */
function wireBytes(addr: ModbusAddress, regs: ArrayLike<number>, offset: number, count: number): Uint8Array {
  if (!Number.isInteger(offset) || offset < 0 || offset + count > regs.length) {
    throw new GatewayError(
      ERROR_CODES.DECODE_FAILED,
      `${describe(addr)}: needs ${count} register(s) at offset ${offset}, response has ${regs.length}`,
    );
  }
  const bytes = new Uint8Array(count * 2);
  for (let i = 0; i < count; i++) {
    const word = regs[offset + i];
    if (word === undefined || !Number.isInteger(word) || word < 0 || word > 0xffff) {
      throw new GatewayError(ERROR_CODES.DECODE_FAILED, `${describe(addr)}: register word ${String(word)} is not 16-bit`);
    }
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  }
  return bytes;
}

function toWords(bytes: Uint8Array): number[] {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  return words;
}

function readNumber(view: DataView, type: NumericType): number | bigint {
  switch (type) {
    case 'int16': return view.getInt16(0);
    case 'uint16': return view.getUint16(0);
    case 'int32': return view.getInt32(0);
    case 'uint32': return view.getUint32(0);
    case 'float32': return view.getFloat32(0);
    case 'int64': return view.getBigInt64(0);
    case 'uint64': return view.getBigUint64(0);
    case 'float64': return view.getFloat64(0);
  }
}

function writeNumber(view: DataView, type: NumericType, value: number | bigint): void {
  switch (type) {
    case 'int16': view.setInt16(0, Number(value)); return;
    case 'uint16': view.setUint16(0, Number(value)); return;
    case 'int32': view.setInt32(0, Number(value)); return;
    case 'uint32': view.setUint32(0, Number(value)); return;
    case 'float32': view.setFloat32(0, Number(value)); return;
    case 'int64': view.setBigInt64(0, BigInt(value)); return;
    case 'uint64': view.setBigUint64(0, BigInt(value)); return;
    case 'float64': view.setFloat64(0, Number(value)); return;
  }
}

/** Latin-1 text; AB = first character in the high byte. Stops at the first NUL, trims trailing spaces. */
function decodeString(addr: ModbusAddress, bytes: Uint8Array): string {
  const ordered = addr.stringOrder === 'AB' ? bytes : reorderBytes(bytes, 'BADC');
  const nul = ordered.indexOf(0);
  const text = Buffer.from(nul === -1 ? ordered : ordered.subarray(0, nul)).toString('latin1');
  return text.replace(/ +$/, '');
}

/**
 * Decodes the value of `addr` from register words, `regs[offset]` being the word at `addr.register`.
 * Returns number (up to 32 bits and float64), bigint (int64/uint64), boolean (bool) or string.
 */
export function decodeRegisters(addr: ModbusAddress, regs: ArrayLike<number>, offset: number): RawValue {
  if (isBitTable(addr.table)) {
    throw new GatewayError(ERROR_CODES.INTERNAL, `${describe(addr)}: coil/discrete values are bits, use decodeBits`);
  }
  const bytes = wireBytes(addr, regs, offset, wordCount(addr));
  if (addr.type === 'bool') {
    const word = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
    return addr.bit === undefined ? word !== 0 : ((word >> addr.bit) & 1) === 1;
  }
  if (addr.type === 'string') return decodeString(addr, bytes);
  const logical = reorderBytes(bytes, addr.byteOrder);
  return readNumber(new DataView(logical.buffer), addr.type);
}

/** Scratch space of the allocation-free numeric path (the poll loop decodes every point of every cycle). */
const scratch = new DataView(new ArrayBuffer(8));

/**
 * Same result as `decodeRegisters` for numeric types, without allocating: the words are placed in
 * logical big-endian order straight into a scratch view. Falls back to the general path otherwise.
 */
export function decodeRegistersFast(addr: ModbusAddress, regs: ArrayLike<number>, offset: number): RawValue {
  const type = addr.type;
  if (type === 'bool' || type === 'string' || isBitTable(addr.table)) return decodeRegisters(addr, regs, offset);
  const words = registerWidth(type);
  if (!Number.isInteger(offset) || offset < 0 || offset + words > regs.length) return decodeRegisters(addr, regs, offset);
  const order = addr.byteOrder;
  const reverseWords = order === 'CDAB' || order === 'DCBA';
  const swapBytes = order === 'BADC' || order === 'DCBA';
  for (let w = 0; w < words; w++) {
    const word = regs[offset + (reverseWords ? words - 1 - w : w)];
    if (word === undefined || !Number.isInteger(word) || word < 0 || word > 0xffff) return decodeRegisters(addr, regs, offset);
    scratch.setUint16(w * 2, swapBytes ? ((word & 0xff) << 8) | (word >> 8) : word);
  }
  return readNumber(scratch, type);
}

/** Decodes one coil/discrete input from a bit array as returned by FC1/FC2. */
export function decodeBits(bits: ArrayLike<boolean>, offset: number): boolean {
  const bit = Number.isInteger(offset) && offset >= 0 ? bits[offset] : undefined;
  if (typeof bit !== 'boolean') {
    throw new GatewayError(ERROR_CODES.DECODE_FAILED, `bit at offset ${offset} missing (response has ${bits.length})`);
  }
  return bit;
}

function invalid(addr: ModbusAddress, message: string): GatewayError {
  return new GatewayError(ERROR_CODES.WRITE_INVALID_VALUE, `${describe(addr)}: ${message}`);
}

function show(value: RawValue): string {
  return typeof value === 'string' ? JSON.stringify(value) : `${String(value)} (${typeof value})`;
}

/** Integer as bigint within the type's range; numbers must be safe integers. */
function checkInteger(addr: ModbusAddress, type: IntegerType, value: RawValue): bigint {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
  else throw invalid(addr, `needs an integer, got ${show(value)}`);
  const [min, max] = INTEGER_RANGES[type];
  if (big < min || big > max) throw invalid(addr, `${big} is outside the ${type} range ${min}..${max}`);
  return big;
}

function checkFloat(addr: ModbusAddress, type: 'float32' | 'float64', value: RawValue): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(addr, `needs a finite number, got ${show(value)}`);
  }
  if (type === 'float32' && !Number.isFinite(Math.fround(value))) {
    throw invalid(addr, `${value} is outside the float32 range`);
  }
  return value;
}

function encodeNumber(addr: ModbusAddress, type: NumericType, value: RawValue): number[] {
  const checked = type === 'float32' || type === 'float64'
    ? checkFloat(addr, type, value)
    : checkInteger(addr, type, value);
  const logical = new Uint8Array(registerWidth(type) * 2);
  writeNumber(new DataView(logical.buffer), type, checked);
  return toWords(reorderBytes(logical, addr.byteOrder));
}

function encodeString(addr: ModbusAddress, value: RawValue): number[] {
  if (typeof value !== 'string') throw invalid(addr, `needs a string, got ${show(value)}`);
  const capacity = addr.count * 2;
  if (value.length > capacity) {
    throw invalid(addr, `string of ${value.length} characters exceeds ${capacity} (${addr.count} registers)`);
  }
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 1 || code > 0xff) {
      throw invalid(addr, `character ${JSON.stringify(ch)} is not Latin-1 U+0001..U+00FF (NUL is the padding)`);
    }
  }
  const bytes = new Uint8Array(capacity);
  bytes.set(Buffer.from(value, 'latin1'));
  return toWords(addr.stringOrder === 'AB' ? bytes : reorderBytes(bytes, 'BADC'));
}

/**
 * Encodes `value` as the register words of `addr` (length `addr.count`), for FC6/FC16.
 * Throws WRITE_INVALID_VALUE for a wrong type, an out-of-range value, or a bool with `bit`
 * (one bit cannot be written as a whole register: the caller does read-modify-write with `applyBit`).
 */
export function encodeValue(addr: ModbusAddress, value: RawValue): number[] {
  if (isBitTable(addr.table)) {
    throw new GatewayError(ERROR_CODES.INTERNAL, `${describe(addr)}: coil values are bits, use encodeBit`);
  }
  if (addr.type === 'bool') {
    if (addr.bit !== undefined) throw invalid(addr, `bit ${addr.bit} cannot be written as a whole register`);
    return [encodeBit(value, addr) ? 1 : 0];
  }
  if (addr.type === 'string') return encodeString(addr, value);
  return encodeNumber(addr, addr.type, value);
}

/** Validates a value for a coil (FC5) or a register bit: booleans only. */
export function encodeBit(value: RawValue, addr?: ModbusAddress): boolean {
  if (typeof value !== 'boolean') {
    const where = addr === undefined ? 'bit' : describe(addr);
    throw new GatewayError(ERROR_CODES.WRITE_INVALID_VALUE, `${where}: needs a boolean, got ${show(value)}`);
  }
  return value;
}

/** Read-modify-write helper: `word` with bit `addr.bit` set to `value`. */
export function applyBit(addr: ModbusAddress, word: number, value: RawValue): number {
  if (addr.bit === undefined) throw invalid(addr, 'applyBit needs an address with bit');
  const mask = 1 << addr.bit;
  return encodeBit(value, addr) ? (word | mask) & 0xffff : word & ~mask & 0xffff;
}
