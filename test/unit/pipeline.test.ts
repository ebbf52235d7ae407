import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModbusPoint } from '../../src/catalog/types.js';
import { QualityFilter } from '../../src/pipeline/quality-filter.js';
import { engineering, toSample } from '../../src/pipeline/transform.js';
import type { ModbusType } from '../../src/southbound/modbus/address.js';

function point(type: ModbusType, scale = 1, offset = 0): ModbusPoint {
  return { name: 'p', group: 'g', access: 'r', scale, offset, address: { table: 'holding', register: 0, type, byteOrder: 'ABCD', count: 2, stringOrder: 'AB' } };
}

test('engineering value = raw * scale + offset, without float noise', () => {
  assert.equal(engineering(point('uint16', 0.1), 123), 12.3);
  assert.equal(engineering(point('int16', 0.01), -5), -0.05);
  assert.equal(engineering(point('uint16', 0.1, -40), 653), 25.3);
  assert.equal(engineering(point('uint16', 2, 1), 10), 21);
  assert.equal(engineering(point('int32'), -123456), -123456);
});

test('float32 values are reported with the precision float32 carries', () => {
  const raw = Math.fround(123.456); // 123.45600128173828 as decoded from the wire
  assert.equal(engineering(point('float32'), raw), 123.456);
  assert.equal(engineering(point('float32', 10), raw), 1234.56);
  assert.equal(engineering(point('float64'), 0.1 + 0.2), 0.1 + 0.2);
});

test('64-bit integers: exact numbers when safe, decimal strings beyond 2^53', () => {
  assert.equal(engineering(point('uint64'), 42n), 42);
  assert.equal(engineering(point('uint64'), 18446744073709551615n), '18446744073709551615');
  assert.equal(engineering(point('int64', 0.001), 1234567n), 1234.567);
});

test('booleans and strings pass through unscaled', () => {
  assert.equal(engineering(point('bool', 10), true), true);
  assert.equal(engineering(point('string', 10), 'AGV-300'), 'AGV-300');
});

test('a failed read becomes a bad sample with null value and the stable code', () => {
  const s = toSample('dev', point('uint16'), { point: 'p', ok: false, code: 'EW_DEVICE_TIMEOUT', message: 'x' }, 5);
  assert.deepEqual(s, { device: 'dev', point: 'p', ts: 5, value: null, quality: 'bad', code: 'EW_DEVICE_TIMEOUT' });
});

test('quality filter: bad samples pass when a point starts failing or its code changes, good ones always', () => {
  const f = new QualityFilter();
  const bad = (code: string) => ({ device: 'd', point: 'p', ts: 0, value: null, quality: 'bad' as const, code });
  const good = { device: 'd', point: 'p', ts: 0, value: 1, quality: 'good' as const };
  assert.deepEqual(
    [f.accept(bad('A')), f.accept(bad('A')), f.accept(bad('B')), f.accept(good), f.accept(good), f.accept(bad('B'))],
    [true, false, true, true, true, true],
  );
  assert.equal(f.accept({ ...bad('A'), point: 'other' }), true, 'points are tracked separately');
});

test('quality filter: one point recovering does not forget another that still fails', () => {
  const f = new QualityFilter();
  const sample = (device: string, point: string, code?: string) =>
    code === undefined ? { device, point, ts: 0, value: 1, quality: 'good' as const } : { device, point, ts: 0, value: null, quality: 'bad' as const, code };
  assert.equal(f.accept(sample('d1', 'p', 'T')), true);
  assert.equal(f.accept(sample('d2', 'p', 'T')), true, 'same point name on another device');
  assert.equal(f.accept(sample('d1', 'p')), true, 'd1 recovers');
  assert.equal(f.accept(sample('d2', 'p', 'T')), false, 'd2 still failing with the same code: suppressed');
  assert.equal(f.accept(sample('d2', 'p')), true);
  assert.equal(f.accept(sample('d2', 'p', 'T')), true, 'failing again after recovering is reported');
  assert.equal(f.accept(sample('d1', 'p', 'T')), true);
});

test('deadband: absolute and percent thresholds, quality changes and the heartbeat', async () => {
  const { DeadbandFilter } = await import('../../src/pipeline/deadband.js');
  const specs: Record<string, { absolute?: number; percent?: number; heartbeatMs?: number }> = {
    abs: { absolute: 0.5, heartbeatMs: 10_000 },
    pct: { percent: 10 },
    any: {},
  };
  const f = new DeadbandFilter((_d, p) => specs[p]);
  const s = (point: string, value: number | boolean | null, ts: number, quality: 'good' | 'bad' = 'good') => ({ device: 'd', point, value, ts, quality });
  assert.deepEqual(
    [s('abs', 20, 0), s('abs', 20.4, 1000), s('abs', 20.6, 2000), s('abs', 20.9, 3000), s('abs', 20.9, 12_000), s('abs', null, 13_000, 'bad'), s('abs', 20.9, 14_000)].map((x) => f.accept(x)),
    [true, false, true, false, true, true, true],
    'first value; 0.4 < 0.5 dropped; 0.6 moved; 0.3 from 20.6 dropped; heartbeat after 10 s; bad; good again',
  );
  assert.deepEqual([s('pct', 100, 0), s('pct', 109, 1), s('pct', 111, 2), s('pct', 0, 3)].map((x) => f.accept(x)), [true, false, true, true]);
  assert.deepEqual([s('any', true, 0), s('any', true, 1), s('any', false, 2)].map((x) => f.accept(x)), [true, false, true]);
  assert.deepEqual([s('none', 1, 0), s('none', 1, 1)].map((x) => f.accept(x)), [true, true], 'no deadband: every poll');
});

test('enum: raw codes are reported as labels, unlisted codes as their number; writes take labels', async () => {
  const { rawForWrite } = await import('../../src/pipeline/write-value.js');
  const states = { ...point('uint16'), enum: { '0': 'idle', '1': 'navigating', '9': 'fault' }, access: 'rw' as const };
  assert.equal(engineering(states, 1), 'navigating');
  assert.equal(engineering(states, 9), 'fault');
  assert.equal(engineering(states, 7), '7');
  assert.equal(rawForWrite(states, 'fault'), 9);
  assert.equal(rawForWrite(states, 0), 0);
  assert.throws(() => rawForWrite(states, 'flying'), /needs one of "idle", "navigating", "fault", got "flying"/);
  assert.throws(() => rawForWrite(states, 3), /needs one of/);
});
