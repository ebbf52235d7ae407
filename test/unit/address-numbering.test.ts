import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveModel } from '../../src/catalog/resolve.js';
import { modbusModelSchema } from '../../src/config/model-schema.js';
import { protocolRegister } from '../../src/southbound/modbus/address.js';

function model(numbering: string, points: { name: string; address: Record<string, unknown> }[]) {
  return resolveModel(modbusModelSchema.parse({ id: 'testco/m', protocol: 'modbus', addressing: { numbering }, groups: { g: { interval: 1000 } }, points }), 'm.yaml');
}

test('modicon numbering: 40001 is holding 0, 30010 input 9, 10001 discrete 0, 00001 coil 0', () => {
  const { model: m, problems } = model('modicon', [
    { name: 'h', address: { table: 'holding', register: 40001 } },
    { name: 'i', address: { table: 'input', register: 30010, type: 'float32' } },
    { name: 'd', address: { table: 'discrete', register: 10001 } },
    { name: 'c', address: { table: 'coil', register: 1 } },
  ]);
  assert.deepEqual(problems, []);
  assert.deepEqual(m?.points.map((p) => [p.name, p.address.register]), [['h', 0], ['i', 9], ['d', 0], ['c', 0]]);
});

test('one-based numbering: register 1 is protocol address 0', () => {
  const { model: m } = model('one-based', [{ name: 'a', address: { table: 'holding', register: 1 } }, { name: 'b', address: { table: 'holding', register: 101, type: 'int32' } }]);
  assert.deepEqual(m?.points.map((p) => p.address.register), [0, 100]);
});

test('numbers that do not fit the declared numbering are refused with the reason', () => {
  assert.deepEqual(protocolRegister('holding', 30001, 'modicon'), { problem: 'register 30001 is not holding in Modicon numbering (expected 40001..49999)' });
  assert.deepEqual(protocolRegister('holding', 0, 'one-based'), { problem: 'register 0: one-based numbering starts at 1' });
  const { problems } = model('modicon', [{ name: 'x', address: { table: 'input', register: 40005 } }]);
  assert.equal(problems.length, 1);
  assert.match(problems[0]?.message ?? '', /not input in Modicon numbering \(expected 30001\.\.39999\)/);
  assert.deepEqual(problems[0]?.path, ['points', 0, 'address', 'register']);
});

test('protocol numbering (the default) keeps rejecting numbers that look like 4xxxx, with a hint naming the fixes', () => {
  const { problems } = model('protocol', [{ name: 'x', address: { table: 'holding', register: 40101 } }]);
  assert.match(problems[0]?.message ?? '', /looks like Modicon 4xxxx numbering/);
  assert.match(problems[0]?.hint ?? '', /protocol address 100: write that, or set addressing\.numbering: modicon/);
});
