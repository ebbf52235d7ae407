/**
 * Shared buses over real sockets: several unit ids behind one RTU-over-TCP serial device server or
 * one Modbus TCP gateway share one connection and one scheduler; a missing unit costs one timeout
 * per cycle; writes and polls on one bus never collide.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import type { Sample } from '../../src/model/sample.js';
import { ServerTCP, type IServiceVector } from 'modbus-serial';
import { resolveModel } from '../../src/catalog/resolve.js';
import type { ModbusModel } from '../../src/catalog/types.js';
import { modbusModelSchema } from '../../src/config/model-schema.js';
import { ERROR_CODES } from '../../src/errors.js';
import { BusSimulator } from '../../src/sim/index.js';
import { busDevice, mismatches, runOnBus, shippedModel } from '../helpers/bus.js';
import { until } from '../helpers/site.js';

async function threeUnitBus(): Promise<BusSimulator> {
  const agv = await shippedModel('acme-robotics/agv-300');
  const ahu = await shippedModel('northwind-hvac/ahu-200');
  const bus = new BusSimulator([{ model: agv, unitId: 1 }, { model: ahu, unitId: 2 }, { model: agv, unitId: 3, seed: 7 }]);
  for (const s of bus.simulators) s.pause();
  await bus.start();
  return bus;
}

for (const transport of ['rtu-over-tcp', 'tcp'] as const) {
  test(`${transport}: three unit ids on one bus share one connection; every point decodes equal to its simulator`, async (t) => {
    const bus = await threeUnitBus();
    const port = transport === 'tcp' ? await bus.serveTcp() : await bus.serveRtuOverTcp();
    const devices = bus.simulators.map((sim) => busDevice(`dev-${sim.unitId}`, sim.model, { transport, host: '127.0.0.1', port, unitId: sim.unitId, timeout: 500 }, 50));
    const run = runOnBus(devices);
    t.after(async () => {
      await run.stop();
      await bus.stop();
    });
    await until(() => bus.simulators.every((sim) => mismatches(run.of(`dev-${sim.unitId}`), sim.snapshot()).length === 0), 'every point of every unit read good', 15_000);
    for (const sim of bus.simulators) assert.deepEqual(mismatches(run.of(`dev-${sim.unitId}`), sim.snapshot()), []);
    assert.ok(run.samples.every((s) => s.quality === 'good'), 'no bad sample on a healthy shared bus');
    const [stats] = run.registry.stats();
    assert.equal(run.registry.stats().length, 1, 'one bus');
    assert.equal(stats?.opens, 1, 'the bus was opened once');
    assert.equal(stats?.users, 3, 'three devices share it');
    assert.equal(bus.tcpConnections, 1, 'the server saw one connection');
  });
}

test('rtu-over-tcp: a missing unit id times out with one request per cycle while the others keep being polled', async (t) => {
  const bus = await threeUnitBus();
  const port = await bus.serveRtuOverTcp();
  const conn = (unitId: number) => ({ transport: 'rtu-over-tcp', host: '127.0.0.1', port, unitId, timeout: 150 });
  const agv = bus.simulator(1).model;
  // Unit 9 is not on the bus. Degradation is pushed out of the way so every cycle is attempted.
  const ghost = busDevice('ghost', agv, conn(9), 50, { degrade: { after: 1000, interval: 1000 } });
  const devices = [ghost, ...bus.simulators.map((sim) => busDevice(`dev-${sim.unitId}`, sim.model, conn(sim.unitId), 50))];
  const run = runOnBus(devices);
  t.after(async () => {
    await run.stop();
    await bus.stop();
  });
  const ghostCycles = () => run.runners[0]?.stats().cycles ?? 0;
  await until(() => ghostCycles() >= 6, 'six cycles of the missing unit', 15_000);
  await until(() => bus.simulators.every((sim) => mismatches(run.of(`dev-${sim.unitId}`), sim.snapshot()).length === 0), 'the others read good');
  const ghostSamples = run.of('ghost');
  assert.ok(ghostSamples.length > 0 && ghostSamples.every((s) => s.quality === 'bad' && s.code === ERROR_CODES.DEVICE_TIMEOUT), 'the missing unit reports timeouts');
  assert.ok(bus.simulators.every((sim) => run.of(`dev-${sim.unitId}`).every((s) => s.quality === 'good')), 'the others never failed');
  await run.stop();
  // Every cycle of every poll group of the missing unit sent exactly one request, not one per planned request.
  const sent = bus.requests.get(9) ?? 0;
  assert.equal(sent, run.runners[0]?.stats().cycles, `requests to unit 9 (${sent}) = its cycles`);
  assert.equal(run.registry.stats()[0]?.opens, 1, 'the bus was never reopened');
});

test('rtu-over-tcp: writes and polls on one bus interleave without collisions; writes are read back', async (t) => {
  const bus = await threeUnitBus();
  const port = await bus.serveRtuOverTcp();
  const devices = bus.simulators.map((sim) => busDevice(`dev-${sim.unitId}`, sim.model, { transport: 'rtu-over-tcp', host: '127.0.0.1', port, unitId: sim.unitId, timeout: 500 }, 20));
  const run = runOnBus(devices);
  t.after(async () => {
    await run.stop();
    await bus.stop();
  });
  await until(() => run.runners.every((r) => r.stats().state === 'up'), 'all up');
  const runnerOf = (unitId: number) => run.runners[bus.simulators.findIndex((s) => s.unitId === unitId)];
  const targets = bus.simulators.map((sim) => ({ sim, point: sim.model.points.find((p) => p.access === 'rw' && p.address.table === 'holding' && p.address.type === 'uint16' && p.scale === 1 && p.offset === 0) }));
  for (const { sim, point } of targets) assert.ok(point, `${sim.model.id} has a plain uint16 rw holding point`);
  for (let i = 0; i < 10; i++) {
    const writes = targets.map(async ({ sim, point }) => {
      if (!point) return;
      const raw = (i + sim.unitId) % 3;
      const expected = point.enum ? point.enum[String(raw)] : raw; // a state code reads back as its label
      const sample = await runnerOf(sim.unitId)?.write(point, raw);
      assert.equal(sample?.quality, 'good');
      assert.equal(sample.value, expected);
      assert.equal(sim.snapshot()[point.name], expected);
    });
    await Promise.all(writes);
  }
  const bad = run.samples.filter((s) => s.quality === 'bad');
  assert.deepEqual(bad.map((s) => `${s.device}/${s.point}: ${s.code ?? ''}`), [], 'no request collided with another');
});

test('tcp: two unit ids behind one host:port share one connection and never interleave transactions (polls and writes)', async (t) => {
  // A gateway in front of a serial line: answers after a short delay, counts requests in flight.
  let inFlight = 0;
  let mostInFlight = 0;
  const holding = new Map<number, number[]>([[1, [101, 102, 103, 104]], [2, [201, 202, 203, 204]]]);
  const later = <T>(value: () => T, cb: (err: unknown, v?: T) => void) => {
    inFlight++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    setTimeout(() => {
      inFlight--;
      try {
        cb(null, value());
      } catch (err) {
        cb(err);
      }
    }, 2);
  };
  const regs = (unit: number) => holding.get(unit) ?? [];
  const vector = {
    getHoldingRegister: (addr: number, unit: number, cb: (err: unknown, v?: number) => void) => later(() => regs(unit)[addr] ?? 0, cb),
    getMultipleHoldingRegisters: (addr: number, length: number, unit: number, cb: (err: unknown, v?: number[]) => void) => later(() => regs(unit).slice(addr, addr + length), cb),
    setRegister: (addr: number, value: number, unit: number, cb: (err: unknown) => void) => later(() => {
      regs(unit)[addr] = value;
    }, cb),
  };
  const server = new ServerTCP(vector as IServiceVector, { host: '127.0.0.1', port: '0' as unknown as number, unitID: 255 });
  await new Promise<void>((resolve) => server.on('initialized', () => resolve()));
  const inner = (server as unknown as { _server: net.Server })._server;
  let connections = 0;
  inner.on('connection', () => connections++);
  const port = (inner.address() as net.AddressInfo).port;
  const model = modelWith4Registers();
  const devices = [1, 2].map((unitId) => busDevice(`unit-${unitId}`, model, { transport: 'tcp', host: 'localhost', port, unitId, timeout: 1000 }, 5));
  const run = runOnBus(devices);
  t.after(async () => {
    await run.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  await until(() => run.runners.every((r) => r.stats().cycles >= 10), 'ten cycles each', 15_000);
  const point = model.points.find((p) => p.name === 'r2');
  assert.ok(point);
  for (let i = 0; i < 5; i++) {
    const [one, two] = run.runners;
    assert.ok(one && two);
    const [a, b]: Sample[] = await Promise.all([one.write(point, 500 + i), two.write(point, 600 + i)]);
    assert.equal(a?.value, 500 + i);
    assert.equal(b?.value, 600 + i);
  }
  await run.stop();
  assert.equal(connections, 1, 'one TCP connection for both unit ids');
  assert.equal(mostInFlight, 1, 'never two transactions on the bus at once');
  const bad = run.samples.filter((s) => s.quality === 'bad');
  assert.deepEqual(bad, []);
  const firstOf = (device: string) => run.of(device).find((s) => s.point === 'r0')?.value;
  assert.equal(firstOf('unit-1'), 101, 'unit 1 answers its own registers');
  assert.equal(firstOf('unit-2'), 201, 'unit 2 answers its own registers');
});

function modelWith4Registers(): ModbusModel {
  const def = modbusModelSchema.parse({
    id: 'testco/four',
    protocol: 'modbus',
    groups: { g: { interval: 50 } },
    points: [0, 1, 2, 3].map((r) => ({ name: `r${r}`, address: { table: 'holding', register: r, type: 'uint16' }, ...(r === 2 ? { access: 'rw' } : {}) })),
  });
  const { model } = resolveModel(def, 'test');
  assert.ok(model);
  return model;
}
