import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ModbusPoint } from '../../src/catalog/types.js';
import { resolveModbusAddress, type ModbusAddressInput } from '../../src/southbound/modbus/address.js';
import { createBanks, OutOfBoundsError, TABLE_SIZE } from '../../src/sim/banks.js';
import { loadPoint, storePoint, toRaw } from '../../src/sim/point-io.js';

function point(name: string, address: ModbusAddressInput, extra: Partial<ModbusPoint> = {}): ModbusPoint {
  return { name, group: 'g', address: resolveModbusAddress(address, 'ABCD'), access: 'r', scale: 1, offset: 0, ...extra };
}

describe('sim point-io', () => {
  it('converts engineering to raw: (eng - offset) / scale, rounded and clamped for integers', () => {
    const temp = point('t', { table: 'input', register: 0, type: 'int16' }, { scale: 0.1 });
    assert.equal(toRaw(temp, 21.46), 215);
    assert.equal(toRaw(temp, -5000), -32768);
    assert.equal(toRaw(temp, 5000), 32767);
    const withOffset = point('o', { table: 'input', register: 0, type: 'uint16' }, { scale: 0.5, offset: -40 });
    assert.equal(toRaw(withOffset, 10), 100);
    assert.equal(toRaw(withOffset, -100), 0);
    const f = point('f', { table: 'input', register: 0, type: 'float32' }, { scale: 2 });
    assert.equal(toRaw(f, 3), 1.5);
    assert.equal(toRaw(point('b', { table: 'coil', register: 0 }), 1), true);
  });

  it('round-trips every register point through the banks with the gateway formula', () => {
    const banks = createBanks();
    const points = [
      point('a', { table: 'holding', register: 10, type: 'float32', byteOrder: 'CDAB' }),
      point('b', { table: 'holding', register: 12, type: 'int32', byteOrder: 'DCBA' }, { scale: 0.01 }),
      point('c', { table: 'input', register: 0, type: 'uint32', byteOrder: 'BADC' }, { scale: 0.1 }),
      point('d', { table: 'input', register: 2, type: 'int16' }, { scale: 0.1, offset: 5 }),
    ];
    const values = [12.5, -1234.56, 12873.4, -7.5];
    points.forEach((p, i) => storePoint(banks, p, values[i] ?? 0));
    assert.equal(loadPoint(banks, points[0]!), 12.5);
    assert.equal(loadPoint(banks, points[1]!), -123456 * 0.01);
    assert.equal(loadPoint(banks, points[2]!), 128734 * 0.1);
    assert.equal(loadPoint(banks, points[3]!), -125 * 0.1 + 5);
    assert.deepEqual(banks.holding.read(10, 2), [0x0000, 0x4148], 'CDAB float 12.5 is low word first');
  });

  it('sets and clears one bit of a register, keeping the others', () => {
    const banks = createBanks();
    const b0 = point('b0', { table: 'input', register: 130, type: 'bool', bit: 0 });
    const b2 = point('b2', { table: 'input', register: 130, type: 'bool', bit: 2 });
    storePoint(banks, b0, true);
    storePoint(banks, b2, true);
    assert.equal(banks.input.get(130), 0b101);
    storePoint(banks, b0, false);
    assert.equal(banks.input.get(130), 0b100);
    assert.equal(loadPoint(banks, b0), false);
    assert.equal(loadPoint(banks, b2), true);
  });

  it('banks read 0 where nothing is stored and refuse addresses past 65535', () => {
    const banks = createBanks();
    assert.deepEqual(banks.holding.read(500, 3), [0, 0, 0]);
    assert.equal(banks.coil.get(9), false);
    assert.throws(() => banks.holding.read(TABLE_SIZE - 1, 2), OutOfBoundsError);
    assert.throws(() => banks.coil.set(TABLE_SIZE, true), OutOfBoundsError);
    assert.throws(() => banks.holding.write(0, [0x10000]), RangeError);
    banks.holding.map(200, 3);
    assert.equal(banks.holding.isMapped(200, 3), true);
    assert.equal(banks.holding.isMapped(201, 3), false);
    assert.equal(banks.holding.isMapped(TABLE_SIZE - 1, 2), false);
  });
});
