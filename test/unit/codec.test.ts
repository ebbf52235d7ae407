/**
 * Codec tests. Wire words are literals worked out from the IEEE 754 / two's complement layouts
 * (cross-checked with Python's struct module), never produced by the code under test.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, isGatewayError, type ErrorCode } from '../../src/errors.js';
import type { RawValue } from '../../src/southbound/types.js';
import {
  BYTE_ORDERS,
  resolveModbusAddress,
  type ByteOrder,
  type ModbusAddress,
  type ModbusAddressInput,
  type ModbusType,
} from '../../src/southbound/modbus/address.js';
import { applyBit, decodeBits, decodeRegisters, encodeBit, encodeValue } from '../../src/southbound/modbus/codec.js';

function addr(type: ModbusType, byteOrder: ByteOrder = 'ABCD', extra: Partial<ModbusAddressInput> = {}): ModbusAddress {
  return resolveModbusAddress({ table: 'holding', register: 10, type, byteOrder, ...extra }, 'ABCD');
}

/** Words surrounded by filler, so a wrong offset shows up as a wrong value. */
function framed(words: readonly number[]): { regs: number[]; offset: number } {
  return { regs: [0xaaaa, 0x5555, 0xaaaa, ...words, 0x5555, 0xaaaa], offset: 3 };
}

function hasCode(code: ErrorCode): (err: unknown) => boolean {
  return (err) => isGatewayError(err) && err.code === code && err.message.length > 0;
}

interface Vector {
  readonly type: ModbusType;
  readonly value: RawValue;
  readonly wire: Readonly<Record<ByteOrder, readonly number[]>>;
}

const VECTORS: readonly Vector[] = [
  { type: 'int16', value: 4660, wire: { ABCD: [0x1234], BADC: [0x3412], CDAB: [0x1234], DCBA: [0x3412] } },
  { type: 'int16', value: -2, wire: { ABCD: [0xfffe], BADC: [0xfeff], CDAB: [0xfffe], DCBA: [0xfeff] } },
  { type: 'int16', value: -32768, wire: { ABCD: [0x8000], BADC: [0x0080], CDAB: [0x8000], DCBA: [0x0080] } },
  { type: 'int16', value: 32767, wire: { ABCD: [0x7fff], BADC: [0xff7f], CDAB: [0x7fff], DCBA: [0xff7f] } },
  { type: 'uint16', value: 43981, wire: { ABCD: [0xabcd], BADC: [0xcdab], CDAB: [0xabcd], DCBA: [0xcdab] } },
  { type: 'uint16', value: 65535, wire: { ABCD: [0xffff], BADC: [0xffff], CDAB: [0xffff], DCBA: [0xffff] } },
  { type: 'uint16', value: 0, wire: { ABCD: [0x0000], BADC: [0x0000], CDAB: [0x0000], DCBA: [0x0000] } },
  {
    type: 'int32', value: 305419896,
    wire: { ABCD: [0x1234, 0x5678], BADC: [0x3412, 0x7856], CDAB: [0x5678, 0x1234], DCBA: [0x7856, 0x3412] },
  },
  {
    type: 'int32', value: -2,
    wire: { ABCD: [0xffff, 0xfffe], BADC: [0xffff, 0xfeff], CDAB: [0xfffe, 0xffff], DCBA: [0xfeff, 0xffff] },
  },
  {
    type: 'int32', value: -2147483648,
    wire: { ABCD: [0x8000, 0x0000], BADC: [0x0080, 0x0000], CDAB: [0x0000, 0x8000], DCBA: [0x0000, 0x0080] },
  },
  {
    type: 'int32', value: 2147483647,
    wire: { ABCD: [0x7fff, 0xffff], BADC: [0xff7f, 0xffff], CDAB: [0xffff, 0x7fff], DCBA: [0xffff, 0xff7f] },
  },
  {
    type: 'uint32', value: 4294967295,
    wire: { ABCD: [0xffff, 0xffff], BADC: [0xffff, 0xffff], CDAB: [0xffff, 0xffff], DCBA: [0xffff, 0xffff] },
  },
  {
    type: 'uint32', value: 3735928559,
    wire: { ABCD: [0xdead, 0xbeef], BADC: [0xadde, 0xefbe], CDAB: [0xbeef, 0xdead], DCBA: [0xefbe, 0xadde] },
  },
  {
    type: 'float32', value: Math.fround(123.456),
    wire: { ABCD: [0x42f6, 0xe979], BADC: [0xf642, 0x79e9], CDAB: [0xe979, 0x42f6], DCBA: [0x79e9, 0xf642] },
  },
  {
    type: 'float32', value: -1.5,
    wire: { ABCD: [0xbfc0, 0x0000], BADC: [0xc0bf, 0x0000], CDAB: [0x0000, 0xbfc0], DCBA: [0x0000, 0xc0bf] },
  },
  {
    type: 'int64', value: 0x0102030405060708n,
    wire: {
      ABCD: [0x0102, 0x0304, 0x0506, 0x0708], BADC: [0x0201, 0x0403, 0x0605, 0x0807],
      CDAB: [0x0708, 0x0506, 0x0304, 0x0102], DCBA: [0x0807, 0x0605, 0x0403, 0x0201],
    },
  },
  {
    type: 'int64', value: -9223372036854775808n,
    wire: {
      ABCD: [0x8000, 0x0000, 0x0000, 0x0000], BADC: [0x0080, 0x0000, 0x0000, 0x0000],
      CDAB: [0x0000, 0x0000, 0x0000, 0x8000], DCBA: [0x0000, 0x0000, 0x0000, 0x0080],
    },
  },
  {
    type: 'int64', value: -2n,
    wire: {
      ABCD: [0xffff, 0xffff, 0xffff, 0xfffe], BADC: [0xffff, 0xffff, 0xffff, 0xfeff],
      CDAB: [0xfffe, 0xffff, 0xffff, 0xffff], DCBA: [0xfeff, 0xffff, 0xffff, 0xffff],
    },
  },
  {
    type: 'int64', value: 9223372036854775807n,
    wire: {
      ABCD: [0x7fff, 0xffff, 0xffff, 0xffff], BADC: [0xff7f, 0xffff, 0xffff, 0xffff],
      CDAB: [0xffff, 0xffff, 0xffff, 0x7fff], DCBA: [0xffff, 0xffff, 0xffff, 0xff7f],
    },
  },
  {
    type: 'uint64', value: 18446744073709551615n,
    wire: {
      ABCD: [0xffff, 0xffff, 0xffff, 0xffff], BADC: [0xffff, 0xffff, 0xffff, 0xffff],
      CDAB: [0xffff, 0xffff, 0xffff, 0xffff], DCBA: [0xffff, 0xffff, 0xffff, 0xffff],
    },
  },
  {
    type: 'uint64', value: 9223372036854775809n,
    wire: {
      ABCD: [0x8000, 0x0000, 0x0000, 0x0001], BADC: [0x0080, 0x0000, 0x0000, 0x0100],
      CDAB: [0x0001, 0x0000, 0x0000, 0x8000], DCBA: [0x0100, 0x0000, 0x0000, 0x0080],
    },
  },
  {
    type: 'float64', value: 1,
    wire: {
      ABCD: [0x3ff0, 0x0000, 0x0000, 0x0000], BADC: [0xf03f, 0x0000, 0x0000, 0x0000],
      CDAB: [0x0000, 0x0000, 0x0000, 0x3ff0], DCBA: [0x0000, 0x0000, 0x0000, 0xf03f],
    },
  },
  {
    type: 'float64', value: 3.141592653589793,
    wire: {
      ABCD: [0x4009, 0x21fb, 0x5444, 0x2d18], BADC: [0x0940, 0xfb21, 0x4454, 0x182d],
      CDAB: [0x2d18, 0x5444, 0x21fb, 0x4009], DCBA: [0x182d, 0x4454, 0xfb21, 0x0940],
    },
  },
  {
    type: 'float64', value: -2.5,
    wire: {
      ABCD: [0xc004, 0x0000, 0x0000, 0x0000], BADC: [0x04c0, 0x0000, 0x0000, 0x0000],
      CDAB: [0x0000, 0x0000, 0x0000, 0xc004], DCBA: [0x0000, 0x0000, 0x0000, 0x04c0],
    },
  },
];

void describe('codec: known wire words for every numeric type x byte order', () => {
  for (const v of VECTORS) {
    for (const order of BYTE_ORDERS) {
      const words = v.wire[order];
      void test(`${v.type} ${String(v.value)} ${order} <-> ${words.map((w) => w.toString(16)).join(' ')}`, () => {
        const a = addr(v.type, order);
        const { regs, offset } = framed(words);
        assert.equal(decodeRegisters(a, regs, offset), v.value);
        assert.deepEqual(encodeValue(a, v.value), words);
      });
    }
  }

  void test('every numeric type has vectors', () => {
    const covered = new Set(VECTORS.map((v) => v.type));
    for (const t of ['int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64'] as const) {
      assert.ok(covered.has(t), t);
    }
  });

  void test('decoded 64-bit integers are bigint, narrower ones number', () => {
    assert.equal(typeof decodeRegisters(addr('int64'), [0, 0, 0, 5], 0), 'bigint');
    assert.equal(typeof decodeRegisters(addr('uint64'), [0, 0, 0, 5], 0), 'bigint');
    assert.equal(typeof decodeRegisters(addr('uint32'), [0, 5], 0), 'number');
    assert.equal(typeof decodeRegisters(addr('float64'), [0x3ff0, 0, 0, 0], 0), 'number');
  });
});

void describe('codec: bits of a register', () => {
  const cases: readonly { word: number; bit: number; expected: boolean }[] = [
    { word: 0x8001, bit: 0, expected: true },
    { word: 0x8001, bit: 15, expected: true },
    { word: 0x8001, bit: 1, expected: false },
    { word: 0x7ffe, bit: 0, expected: false },
    { word: 0x7ffe, bit: 15, expected: false },
    { word: 0x7ffe, bit: 14, expected: true },
    { word: 0x0100, bit: 8, expected: true },
    { word: 0x0100, bit: 7, expected: false },
  ];
  for (const c of cases) {
    for (const order of BYTE_ORDERS) {
      void test(`bit ${c.bit} of 0x${c.word.toString(16)} (${order}) is ${c.expected}`, () => {
        const { regs, offset } = framed([c.word]);
        assert.equal(decodeRegisters(addr('bool', order, { bit: c.bit }), regs, offset), c.expected);
      });
    }
  }

  void test('bool without bit is the whole register != 0, and encodes as 0/1', () => {
    assert.equal(decodeRegisters(addr('bool'), [0], 0), false);
    assert.equal(decodeRegisters(addr('bool'), [2], 0), true);
    assert.deepEqual(encodeValue(addr('bool'), true), [1]);
    assert.deepEqual(encodeValue(addr('bool'), false), [0]);
  });

  void test('a bool with bit is not encodable as a whole register; applyBit does the modify step', () => {
    assert.throws(() => encodeValue(addr('bool', 'ABCD', { bit: 3 }), true), hasCode(ERROR_CODES.WRITE_INVALID_VALUE));
    assert.equal(applyBit(addr('bool', 'ABCD', { bit: 15 }), 0x0001, true), 0x8001);
    assert.equal(applyBit(addr('bool', 'ABCD', { bit: 0 }), 0xffff, false), 0xfffe);
    assert.equal(applyBit(addr('bool', 'ABCD', { bit: 4 }), 0x0010, true), 0x0010);
    assert.throws(() => applyBit(addr('bool', 'ABCD', { bit: 4 }), 0, 1), hasCode(ERROR_CODES.WRITE_INVALID_VALUE));
  });

  void test('coils and discrete inputs decode from bit arrays', () => {
    const bits = [false, true, false, true];
    assert.equal(decodeBits(bits, 0), false);
    assert.equal(decodeBits(bits, 1), true);
    assert.equal(decodeBits(bits, 3), true);
    assert.equal(encodeBit(true), true);
    assert.throws(() => encodeBit(1), hasCode(ERROR_CODES.WRITE_INVALID_VALUE));
  });
});

void describe('codec: strings', () => {
  const cases: readonly { words: number[]; length: number; order: 'AB' | 'BA'; expected: string }[] = [
    { words: [0x4142, 0x4300], length: 2, order: 'AB', expected: 'ABC' },
    { words: [0x4241, 0x0043], length: 2, order: 'BA', expected: 'ABC' },
    { words: [0x4869, 0x2020, 0x2020], length: 3, order: 'AB', expected: 'Hi' },
    { words: [0x6948, 0x2020, 0x2020], length: 3, order: 'BA', expected: 'Hi' },
    { words: [0x4869, 0x2000, 0x0000], length: 3, order: 'AB', expected: 'Hi' },
    { words: [0x4100, 0x4243], length: 2, order: 'AB', expected: 'A' },
    { words: [0x0041, 0x4342], length: 2, order: 'BA', expected: 'A' },
    { words: [0x6361, 0x66e9], length: 2, order: 'AB', expected: 'café' },
    { words: [0x6163, 0xe966], length: 2, order: 'BA', expected: 'café' },
    { words: [0x2041, 0x2042], length: 2, order: 'AB', expected: ' A B' },
    { words: [0x0000, 0x4142], length: 2, order: 'AB', expected: '' },
  ];
  for (const c of cases) {
    for (const byteOrder of BYTE_ORDERS) {
      void test(`${c.order} ${c.words.map((w) => w.toString(16)).join(' ')} -> ${JSON.stringify(c.expected)} (byteOrder ${byteOrder} ignored)`, () => {
        const a = addr('string', byteOrder, { length: c.length, stringOrder: c.order });
        const { regs, offset } = framed(c.words);
        assert.equal(decodeRegisters(a, regs, offset), c.expected);
      });
    }
  }

  void test('encoding pads with NUL in the string order', () => {
    assert.deepEqual(encodeValue(addr('string', 'ABCD', { length: 3, stringOrder: 'AB' }), 'ABC'), [0x4142, 0x4300, 0x0000]);
    assert.deepEqual(encodeValue(addr('string', 'DCBA', { length: 3, stringOrder: 'BA' }), 'ABC'), [0x4241, 0x0043, 0x0000]);
    assert.deepEqual(encodeValue(addr('string', 'ABCD', { length: 2 }), 'café'), [0x6361, 0x66e9]);
  });
});

const ROUND_TRIP: Readonly<Record<Exclude<ModbusType, 'bool' | 'string'>, readonly RawValue[]>> = {
  int16: [-32768, -1, 0, 1, 12345, 32767],
  uint16: [0, 1, 0x8000, 65535],
  int32: [-2147483648, -123456, 0, 1, 2147483647],
  uint32: [0, 1, 0x80000000, 4294967295],
  float32: [0, -0, 1.5, -123.456, 3.4e38, -3.4e38, 1e-40, Math.PI],
  int64: [-(2n ** 63n), -1n, 0n, 2n ** 53n + 1n, 2n ** 63n - 1n],
  uint64: [0n, 1n, 2n ** 53n + 1n, 2n ** 64n - 1n],
  float64: [0, -2.5, Math.PI, Number.MAX_VALUE, Number.MIN_VALUE, -1e-300],
};

void describe('codec: decode(encode(v)) === v for every type x byte order', () => {
  for (const order of BYTE_ORDERS) {
    for (const [type, values] of Object.entries(ROUND_TRIP) as [ModbusType, readonly RawValue[]][]) {
      void test(`${type} ${order}`, () => {
        const a = addr(type, order);
        for (const value of values) {
          const words = encodeValue(a, value);
          assert.equal(words.length, a.count);
          assert.ok(words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff), `words of ${String(value)}`);
          const expected = type === 'float32' ? Math.fround(value as number) : value;
          assert.equal(decodeRegisters(a, words, 0), expected, `${type} ${String(value)} ${order}`);
        }
      });
    }

    void test(`bool and string ${order}`, () => {
      for (const value of [true, false]) assert.equal(decodeRegisters(addr('bool', order), encodeValue(addr('bool', order), value), 0), value);
      for (const stringOrder of ['AB', 'BA'] as const) {
        const a = addr('string', order, { length: 4, stringOrder });
        for (const value of ['', 'A', 'AB', 'Edgeway!', 'café ÿ', ' lead']) {
          assert.equal(decodeRegisters(a, encodeValue(a, value), 0), value);
        }
      }
    });
  }

  void test('int64/uint64 accept safe-integer numbers and decode them as bigint', () => {
    assert.equal(decodeRegisters(addr('int64'), encodeValue(addr('int64'), -42), 0), -42n);
    assert.equal(decodeRegisters(addr('uint64'), encodeValue(addr('uint64'), 2 ** 53 - 1), 0), 2n ** 53n - 1n);
    assert.equal(decodeRegisters(addr('int16'), encodeValue(addr('int16'), -5n), 0), -5);
  });
});

void describe('codec: errors', () => {
  const invalid: readonly { type: ModbusType; value: RawValue; length?: number }[] = [
    { type: 'int16', value: 32768 },
    { type: 'int16', value: -32769 },
    { type: 'int16', value: 1.5 },
    { type: 'uint16', value: -1 },
    { type: 'uint16', value: 65536 },
    { type: 'uint16', value: '12' },
    { type: 'uint16', value: true },
    { type: 'int32', value: 2147483648 },
    { type: 'int32', value: -2147483649 },
    { type: 'int32', value: Number.NaN },
    { type: 'uint32', value: 4294967296 },
    { type: 'uint32', value: -1 },
    { type: 'int64', value: 2n ** 63n },
    { type: 'int64', value: -(2n ** 63n) - 1n },
    { type: 'int64', value: 2 ** 53 },
    { type: 'int64', value: 0.5 },
    { type: 'uint64', value: -1n },
    { type: 'uint64', value: 2n ** 64n },
    { type: 'float32', value: Number.POSITIVE_INFINITY },
    { type: 'float32', value: Number.NaN },
    { type: 'float32', value: 1e39 },
    { type: 'float32', value: 1n },
    { type: 'float64', value: Number.NEGATIVE_INFINITY },
    { type: 'float64', value: '1.5' },
    { type: 'bool', value: 1 },
    { type: 'string', value: 'ABCDE', length: 2 },
    { type: 'string', value: 'price €', length: 4 },
    { type: 'string', value: 'a\u0000b', length: 4 },
    { type: 'string', value: 5, length: 4 },
  ];
  for (const c of invalid) {
    void test(`encode ${c.type} rejects ${typeof c.value === 'string' ? JSON.stringify(c.value) : String(c.value)}`, () => {
      const a = addr(c.type, 'ABCD', c.length === undefined ? {} : { length: c.length });
      assert.throws(() => encodeValue(a, c.value), hasCode(ERROR_CODES.WRITE_INVALID_VALUE));
    });
  }

  const short: readonly { type: ModbusType; regs: number[]; offset: number; length?: number }[] = [
    { type: 'uint16', regs: [], offset: 0 },
    { type: 'uint16', regs: [1, 2], offset: 2 },
    { type: 'int16', regs: [1, 2], offset: -1 },
    { type: 'float32', regs: [0x42f6], offset: 0 },
    { type: 'uint32', regs: [1, 2, 3], offset: 2 },
    { type: 'int64', regs: [1, 2, 3], offset: 0 },
    { type: 'float64', regs: [1, 2, 3, 4], offset: 1 },
    { type: 'string', regs: [0x4142, 0x4344], offset: 0, length: 3 },
    { type: 'bool', regs: [1], offset: 1 },
    { type: 'uint16', regs: [70000], offset: 0 },
  ];
  for (const c of short) {
    void test(`decode ${c.type} from ${c.regs.length} word(s) at offset ${c.offset} fails`, () => {
      const a = addr(c.type, 'ABCD', c.length === undefined ? {} : { length: c.length });
      assert.throws(() => decodeRegisters(a, c.regs, c.offset), hasCode(ERROR_CODES.DECODE_FAILED));
    });
  }

  void test('decodeBits outside the response fails', () => {
    assert.throws(() => decodeBits([true], 1), hasCode(ERROR_CODES.DECODE_FAILED));
    assert.throws(() => decodeBits([true], -1), hasCode(ERROR_CODES.DECODE_FAILED));
  });

  void test('coil addresses are not register values', () => {
    const coil = resolveModbusAddress({ table: 'coil', register: 0 }, 'ABCD');
    assert.throws(() => decodeRegisters(coil, [1], 0), hasCode(ERROR_CODES.INTERNAL));
    assert.throws(() => encodeValue(coil, true), hasCode(ERROR_CODES.INTERNAL));
  });
});

test('codec: the allocation-free path decodes exactly like the general one, every numeric type x order', async () => {
  const { decodeRegistersFast } = await import('../../src/southbound/modbus/codec.js');
  const types = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64'] as const;
  let x = 7;
  const word = () => (x = (x * 1103515245 + 12345) % 2 ** 31) & 0xffff;
  for (const type of types) {
    for (const byteOrder of ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const) {
      const count = type.endsWith('16') ? 1 : type.endsWith('32') ? 2 : 4;
      const addr = { table: 'holding' as const, register: 10, type, byteOrder, count, stringOrder: 'AB' as const };
      for (let i = 0; i < 50; i++) {
        const regs = [word(), word(), word(), word(), word()];
        const general = decodeRegisters(addr, regs, 1);
        const fast = decodeRegistersFast(addr, regs, 1);
        if (typeof general === 'number' && Number.isNaN(general)) assert.ok(Number.isNaN(fast));
        else assert.equal(fast, general, `${type} ${byteOrder} ${regs.join(',')}`);
      }
    }
  }
  assert.throws(() => decodeRegistersFast({ table: 'holding', register: 0, type: 'int32', byteOrder: 'ABCD', count: 2, stringOrder: 'AB' }, [1], 0), /needs 2 register/);
});
