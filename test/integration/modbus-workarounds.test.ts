/**
 * Device workarounds against an independent Modbus server (test/helpers/raw-modbus.ts, written from
 * the spec, not modbus-serial): FC15/FC16 for single writes, and retries of a lost RTU answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveModel } from '../../src/catalog/resolve.js';
import { modbusModelSchema } from '../../src/config/model-schema.js';
import { deviceSchema } from '../../src/config/site-schema.js';
import { silentLogger } from '../../src/ops/logger.js';
import { ModbusAdapter } from '../../src/southbound/modbus/adapter.js';
import type { ModbusSession } from '../../src/southbound/modbus/session.js';
import { RawModbusServer } from '../helpers/raw-modbus.js';

function pointsOf(writeMultiple: boolean) {
  const def = modbusModelSchema.parse({
    id: 'testco/valve', protocol: 'modbus', writeMultiple, groups: { g: { interval: 1000 } },
    points: [
      { name: 'open', access: 'rw', address: { table: 'coil', register: 4 } },
      { name: 'setpoint', access: 'rw', address: { table: 'holding', register: 10 } },
      { name: 'flow', access: 'rw', address: { table: 'holding', register: 20, type: 'uint32' } },
    ],
  });
  const m = resolveModel(def, 'valve.yaml').model;
  assert.ok(m);
  return m;
}

async function session(port: number, transport: 'tcp' | 'rtu-over-tcp', maxGap: number, writeMultiple: boolean, retries = 0): Promise<ModbusSession> {
  const config = deviceSchema.parse({ id: 'v', model: 'testco/valve', connection: { transport, host: '127.0.0.1', port, timeout: 150, retries } });
  if (config.connection.transport === 'mqtt') throw new Error('a Modbus connection is needed');
  return new ModbusAdapter({ maxGap, writeMultiple }).connect(config.connection, { logger: silentLogger(), device: 'v' });
}

test('writes use FC5/FC6 for one coil or register, FC16 for two; writeMultiple forces FC15/FC16', async (t) => {
  const server = new RawModbusServer({ framing: 'tcp' });
  await server.start();
  t.after(() => server.stop());
  const signal = new AbortController().signal;
  for (const multiple of [false, true]) {
    const model = pointsOf(multiple);
    const s = await session(server.port, 'tcp', 0, multiple);
    server.requests.length = 0;
    for (const [name, value] of [['open', true], ['setpoint', 321], ['flow', 70000]] as const) {
      const p = model.points.find((q) => q.name === name);
      assert.ok(p);
      await s.write({ name, address: p.address }, value, signal);
    }
    await s.close();
    assert.deepEqual(server.requests.map((r) => r.fc), multiple ? [15, 16, 16] : [5, 6, 16]);
    assert.equal(server.coils.get(4), true);
    assert.equal(server.holding.get(10), 321);
    assert.deepEqual([server.holding.get(20), server.holding.get(21)], [1, 70000 - 65536]);
  }
});

test('retries: on an RTU line a lost answer is asked for again in the same cycle; without retries the point is bad', async (t) => {
  const signal = new AbortController().signal;
  const model = pointsOf(false);
  const bound = model.points.filter((p) => p.name === 'setpoint').map((p) => ({ name: p.name, address: p.address }));
  for (const retries of [0, 1]) {
    const server = new RawModbusServer({ framing: 'rtu', silentOn: new Set([0]) }); // the first request gets no answer
    await server.start();
    server.holding.set(10, 42);
    const s = await session(server.port, 'rtu-over-tcp', 0, false, retries);
    const [result] = await s.read(bound, signal);
    await s.close();
    await server.stop();
    if (retries === 0) {
      assert.equal(result?.ok, false);
      assert.equal(server.requests.length, 1);
    } else {
      assert.deepEqual(result, { point: 'setpoint', ok: true, value: 42 });
      assert.equal(server.requests.length, 2, 'one retry');
    }
  }
  t.diagnostic('retries are not used on Modbus TCP: a timeout there reconnects (a late answer could pair with the next request)');
});
