/** Raw-read requests are checked before anything is sent; results carry words or bits and every interpretation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRawRead, rawReadResult, type RawRegisterResult, type RawBitResult } from '../../src/southbound/modbus/raw-read.js';
import { interpretRegisters } from '../../src/southbound/modbus/interpret.js';
import { describeRegisters } from '../../src/cli/probe-format.js';
import { isGatewayError } from '../../src/errors.js';

test('accepts the full Modbus ranges of each table', () => {
  assert.deepEqual(checkRawRead({ table: 'holding', address: 0, count: 125 }), { table: 'holding', address: 0, count: 125 });
  assert.deepEqual(checkRawRead({ table: 'input', address: 65535, count: 1 }), { table: 'input', address: 65535, count: 1 });
  assert.deepEqual(checkRawRead({ table: 'coil', address: 63536, count: 2000, extra: 1 }), { table: 'coil', address: 63536, count: 2000 });
  assert.deepEqual(checkRawRead({ table: 'discrete', address: 10, count: 1 }), { table: 'discrete', address: 10, count: 1 });
});

test('refuses bad requests with EW_COMMAND_INVALID naming the field and the range', () => {
  const cases: [unknown, RegExp][] = [
    [null, /expected \{ table, address, count \}/],
    [{ table: 'holdings', address: 0, count: 1 }, /table must be one of coil, discrete, input, holding/],
    [{ table: 'holding', address: -1, count: 1 }, /address must be a whole number 0\.\.65535/],
    [{ table: 'holding', address: 65536, count: 1 }, /address/],
    [{ table: 'holding', address: 1.5, count: 1 }, /address/],
    [{ table: 'holding', address: '7', count: 1 }, /address/],
    [{ table: 'holding', address: 0, count: 0 }, /count must be a whole number 1\.\.125 for the holding table/],
    [{ table: 'input', address: 0, count: 126 }, /1\.\.125/],
    [{ table: 'coil', address: 0, count: 2001 }, /1\.\.2000 for the coil table/],
    [{ table: 'holding', address: 65535, count: 2 }, /must not pass 65536/],
    [{ table: 'discrete', address: 65000, count: 537 }, /must not pass 65536/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => checkRawRead(input), (err) => isGatewayError(err) && err.code === 'EW_COMMAND_INVALID' && message.test(err.message), JSON.stringify(input));
  }
});

test('register results: words, hex, every type and byte order, JSON-safe', () => {
  // 1.5 as float32 ABCD = 0x3FC0 0x0000; -1 as int32 at 202; "AB" in the last register.
  const words = [0x3fc0, 0x0000, 0xffff, 0xffff, 0x4142];
  const r = rawReadResult('agv-01', 3, { table: 'holding', address: 200, count: 5 }, [...words, 0, 0]) as RawRegisterResult;
  assert.deepEqual(r.words, words);
  assert.equal(r.unitId, 3);
  const v = r.interpretations;
  assert.equal(v.registers[0]?.hex, '0x3FC0');
  assert.equal(v.registers[2]?.int16, -1);
  assert.equal(v.registers[2]?.uint16, 65535);
  assert.equal(v.wide.find((w) => w.address === 200 && w.width === 2)?.orders.ABCD.float32, 1.5);
  assert.equal(v.wide.find((w) => w.address === 202 && w.width === 2)?.orders.ABCD.int32, -1);
  const u64 = String(0x0000ffffffff4142n);
  assert.equal(v.wide.find((w) => w.address === 201 && w.width === 4)?.orders.ABCD.uint64, u64, '64-bit as a decimal string');
  assert.equal(v.wide.find((w) => w.address === 201 && w.width === 4)?.orders.ABCD.int64, u64);
  assert.equal(v.wide.some((w) => w.address === 204), false, 'no wide view past the block');
  assert.deepEqual(v.strings, { AB: '?\u00c0', BA: '\u00c0?' }, 'text up to the first NUL');
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  const nan = interpretRegisters(0, [0x7fc0, 0x0000]);
  assert.equal(nan.wide[0]?.orders.ABCD.float32, 'NaN');
});

test('bit results are cut to the count asked (a device pads to whole bytes)', () => {
  const r = rawReadResult('agv-01', 1, { table: 'coil', address: 0, count: 3 }, [true, false, true, false, false, false, false, false]) as RawBitResult;
  assert.deepEqual(r.bits, [true, false, true]);
  assert.equal('words' in r, false);
});

test('probe prints from the same interpretation', () => {
  const lines = describeRegisters(100, [0x3fc0, 0x0000]);
  assert.equal(lines[0], 'raw: 0x3FC0 0x0000');
  assert.ok(lines.includes('  100..101 ABCD: int32 1069547520  uint32 1069547520  float32 1.5'), lines.join('\n'));
});
