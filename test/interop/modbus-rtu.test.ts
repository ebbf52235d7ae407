/**
 * Modbus RTU for real over a serial line: a socat pty pair, the simulator serving RTU on one end
 * (modbus-serial ServerSerial answering unit ids 1, 2 and 3), the gateway's runners polling the
 * other end through one shared bus. Needs socat (test/interop; installed by .ci/run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../src/errors.js';
import { BusSimulator } from '../../src/sim/index.js';
import { busDevice, mismatches, runOnBus, shippedModel } from '../helpers/bus.js';
import { startPtyPair } from '../helpers/pty-pair.js';
import { until } from '../helpers/site.js';

const LINE = { baudRate: 38400, parity: 'even', dataBits: 8, stopBits: 1 } as const;

async function rtuBus(t: { after(fn: () => Promise<void>): void }) {
  const pty = await startPtyPair();
  const agv = await shippedModel('acme-robotics/agv-300');
  const ahu = await shippedModel('northwind-hvac/ahu-200');
  const bus = new BusSimulator([{ model: agv, unitId: 1 }, { model: ahu, unitId: 2 }, { model: agv, unitId: 3, seed: 5 }]);
  for (const s of bus.simulators) s.pause();
  await bus.start();
  await bus.serveRtu(pty.b, LINE);
  const conn = (unitId: number, timeout = 300) => ({ transport: 'rtu', path: pty.a, ...LINE, unitId, timeout });
  t.after(async () => {
    await bus.stop();
    await pty.stop();
  });
  return { bus, conn, agv };
}

test('rtu over a pty: three unit ids on one port decode equal to the simulators; a missing unit costs one timeout per cycle; the port is opened once', { timeout: 60_000 }, async (t) => {
  const { bus, conn, agv } = await rtuBus(t);
  const ghost = busDevice('ghost', agv, conn(9, 150), 100, { degrade: { after: 1000, interval: 1000 } });
  const live = bus.simulators.map((sim) => busDevice(`dev-${sim.unitId}`, sim.model, conn(sim.unitId), 100));
  const run = runOnBus([ghost, ...live]);
  t.after(() => run.stop());
  await until(() => bus.simulators.every((sim) => mismatches(run.of(`dev-${sim.unitId}`), sim.snapshot()).length === 0), 'every point of every unit read good', 30_000);
  await until(() => (run.runners[0]?.stats().cycles ?? 0) >= 6, 'six cycles of the missing unit', 30_000);
  await run.stop();
  for (const sim of bus.simulators) assert.deepEqual(mismatches(run.of(`dev-${sim.unitId}`), sim.snapshot()), [], `unit ${sim.unitId}`);
  const liveBad = run.samples.filter((s) => s.device !== 'ghost' && s.quality === 'bad');
  assert.deepEqual(liveBad.map((s) => `${s.device}/${s.point}: ${s.code ?? ''}`), [], 'the missing unit never made the others fail');
  const ghostSamples = run.of('ghost');
  assert.ok(ghostSamples.length > 0 && ghostSamples.every((s) => s.quality === 'bad' && s.code === ERROR_CODES.DEVICE_TIMEOUT));
  assert.equal(bus.requests.get(9), run.runners[0]?.stats().cycles, 'one request (one timeout) per cycle of the missing unit');
  assert.deepEqual(run.registry.stats().map((s) => ({ key: s.key, opens: s.opens })), [{ key: `rtu:${conn(1).path}`, opens: 1 }], 'the serial port was opened once for four devices');
});

test('rtu over a pty: writes and polls of three unit ids interleave on one line without collisions', { timeout: 60_000 }, async (t) => {
  const { bus, conn } = await rtuBus(t);
  const run = runOnBus(bus.simulators.map((sim) => busDevice(`dev-${sim.unitId}`, sim.model, conn(sim.unitId), 20)));
  t.after(() => run.stop());
  await until(() => run.runners.every((r) => r.stats().cycles >= 3), 'polling', 30_000);
  const targets = bus.simulators.map((sim, i) => ({ sim, runner: run.runners[i], point: sim.model.points.find((p) => p.access === 'rw' && p.address.table === 'holding' && p.address.type === 'uint16' && p.scale === 1 && p.offset === 0) }));
  for (let round = 0; round < 10; round++) {
    await Promise.all(targets.map(async ({ sim, runner, point }) => {
      assert.ok(runner && point, `${sim.model.id} has a plain uint16 rw point`);
      const value = (round + sim.unitId) % 3;
      const expected = point.enum ? point.enum[String(value)] : value; // a state code reads back as its label
      const sample = await runner.write(point, value);
      assert.equal(sample.quality, 'good');
      assert.equal(sample.value, expected);
      assert.equal(sim.snapshot()[point.name], expected);
    }));
  }
  await run.stop();
  const bad = run.samples.filter((s) => s.quality === 'bad');
  assert.deepEqual(bad.map((s) => `${s.device}/${s.point}: ${s.code ?? ''}`), [], 'no collision on the line (a collision garbles frames: CRC errors or timeouts)');
  assert.equal(run.registry.stats()[0]?.opens, 1);
});
