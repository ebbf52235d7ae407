/**
 * Contract of the Modbus TCP simulator against every shipped model in adapters/: a bare
 * modbus-serial client reads what `snapshot()` says is served, writes to rw points stick,
 * unmapped writes get exception 02, other unit ids are ignored. Also guards the shipped models'
 * coverage (tables, types, byte orders, scale, units, rw, groups, simulate specs).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import Modbus from 'modbus-serial';
import { parse } from 'yaml';
import { loadModelFile } from '../../src/catalog/load.js';
import type { ModbusModel, ModbusPoint } from '../../src/catalog/types.js';
import type { ModbusAddress } from '../../src/southbound/modbus/address.js';
import { applyBit, decodeBits, decodeRegisters, encodeValue } from '../../src/southbound/modbus/codec.js';
import type { RawValue } from '../../src/southbound/types.js';
import { DeviceSimulator, pointSeed, startSimulators, valueAt, type EngValue } from '../../src/sim/index.js';

type Client = InstanceType<typeof Modbus.default>;

const ADAPTERS = path.resolve(import.meta.dirname, '../../adapters');
const UNIT_ID = 17;

async function modelFiles(): Promise<string[]> {
  const entries = await readdir(ADAPTERS, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && /\.ya?ml$/.test(e.name)).map((e) => path.join(e.parentPath, e.name)).sort();
}

async function loadShipped(): Promise<{ file: string; model: ModbusModel }[]> {
  const out: { file: string; model: ModbusModel }[] = [];
  for (const file of await modelFiles()) {
    const id = path.relative(ADAPTERS, file).replace(/\\/g, '/').replace(/\.ya?ml$/, '');
    const { model, problems } = await loadModelFile(file, id);
    // The contract covers the simulators of Modbus models; MQTT-native models are pushed, not polled.
    if (model?.protocol === 'mqtt') continue;
    assert.deepEqual(problems, [], `${file} loads without problems`);
    assert.ok(model?.protocol === 'modbus');
    out.push({ file, model });
  }
  return out;
}

async function connect(port: number, unitId = UNIT_ID): Promise<Client> {
  const client = new Modbus.default();
  await client.connectTCP('127.0.0.1', { port });
  client.setID(unitId);
  client.setTimeout(2000);
  return client;
}

function closeClient(client: Client): Promise<void> {
  return new Promise((resolve) => {
    if (!client.isOpen) return resolve();
    client.close(() => resolve());
  });
}

async function readWords(client: Client, a: ModbusAddress): Promise<number[]> {
  const res = a.table === 'input'
    ? await client.readInputRegisters(a.register, a.count)
    : await client.readHoldingRegisters(a.register, a.count);
  return res.data;
}

async function readRaw(client: Client, a: ModbusAddress): Promise<RawValue> {
  switch (a.table) {
    case 'coil': return decodeBits((await client.readCoils(a.register, 1)).data, 0);
    case 'discrete': return decodeBits((await client.readDiscreteInputs(a.register, 1)).data, 0);
    case 'input':
    case 'holding': return decodeRegisters(a, await readWords(client, a), 0);
  }
}

/** The gateway's transform: eng = raw * scale + offset; enum codes become their labels. */
function eng(p: ModbusPoint, raw: RawValue): EngValue {
  if (p.enum && typeof raw === 'number') return p.enum[String(raw)] ?? String(raw);
  return typeof raw === 'number' ? raw * p.scale + p.offset : raw;
}

async function readEng(client: Client, p: ModbusPoint): Promise<EngValue> {
  return eng(p, await readRaw(client, p.address));
}

/** Independent of the codec: 32-bit words as served, reordered to big-endian by byte order. */
function independent32(a: ModbusAddress, words: number[]): number {
  const wire = Buffer.alloc(4);
  words.forEach((w, i) => wire.writeUInt16BE(w, i * 2));
  const order = { ABCD: [0, 1, 2, 3], CDAB: [2, 3, 0, 1], BADC: [1, 0, 3, 2], DCBA: [3, 2, 1, 0] }[a.byteOrder];
  const be = Buffer.from(order.map((i) => wire[i] ?? 0));
  return a.type === 'float32' ? be.readFloatBE(0) : a.type === 'int32' ? be.readInt32BE(0) : be.readUInt32BE(0);
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A value for an rw point that differs from `current` and lies in its range, on the scale grid. */
function newRaw(p: ModbusPoint, current: EngValue): RawValue {
  if (p.address.type === 'bool') return current !== true;
  const lo = p.range?.min ?? 0;
  const hi = p.range?.max ?? lo + 100;
  let target = lo + (hi - lo) * 0.37;
  if (Math.abs(target - Number(current)) < p.scale) target = lo + (hi - lo) * 0.71;
  const raw = (target - p.offset) / p.scale;
  return p.address.type === 'float32' ? raw : Math.round(raw);
}

async function writeRaw(client: Client, p: ModbusPoint, raw: RawValue, i: number): Promise<void> {
  const a = p.address;
  if (a.table === 'coil') {
    await (i % 2 === 0 ? client.writeCoil(a.register, raw === true) : client.writeCoils(a.register, [raw === true]));
  } else if (a.bit !== undefined) {
    const [word] = (await client.readHoldingRegisters(a.register, 1)).data;
    await client.writeRegister(a.register, applyBit(a, word ?? 0, raw));
  } else {
    const words = encodeValue(a, raw);
    await (words.length === 1 && i % 2 === 0 ? client.writeRegister(a.register, words[0] ?? 0) : client.writeRegisters(a.register, words));
  }
}

/** First address of a table that no point of the model covers. */
function unmapped(model: ModbusModel, table: 'coil' | 'holding'): number {
  const used = new Set<number>();
  for (const p of model.points) {
    if (p.address.table !== table) continue;
    for (let r = p.address.register; r < p.address.register + p.address.count; r++) used.add(r);
  }
  let a = 0;
  while (used.has(a)) a++;
  return a;
}

async function modbusCode(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return (err as { modbusCode?: unknown }).modbusCode;
  }
  return 'no exception';
}

const shipped = await loadShipped();

describe('shipped models', () => {
  it('include the AGV-300 and the AHU-200', () => {
    const ids = shipped.map((s) => s.model.id);
    assert.ok(ids.includes('acme-robotics/agv-300'));
    assert.ok(ids.includes('northwind-hvac/ahu-200'));
  });

  for (const { file, model } of shipped) {
    it(`${model.id} covers tables, types, byte orders, scale, units, rw, groups and motion`, async () => {
      const pts = model.points;
      assert.ok(pts.length >= 15, `${pts.length} points`);
      const has = <T>(values: T[], wanted: readonly T[], what: string) =>
        wanted.forEach((w) => assert.ok(values.includes(w), `${model.id}: no ${what} ${String(w)}`));
      has(pts.map((p) => p.address.table), ['coil', 'discrete', 'input', 'holding'], 'table');
      has(pts.map((p) => p.address.type), ['int16', 'uint16', 'int32', 'uint32', 'float32'], 'type');
      const orders = new Set(pts.filter((p) => p.address.count > 1).map((p) => p.address.byteOrder));
      assert.ok(orders.size >= 2, `byte orders ${[...orders].join(',')}`);
      assert.ok(pts.some((p) => p.scale !== 1) && pts.some((p) => p.unit !== undefined), 'scale and units');
      assert.ok(pts.some((p) => p.access === 'rw' && p.range !== undefined), 'a writable point with a range');
      assert.ok(pts.some((p) => p.address.type === 'bool' && p.address.bit !== undefined), 'a status bit in a register');
      const intervals = Object.values(model.groups).map((g) => g.intervalMs);
      assert.ok(intervals.length >= 2 && intervals.length <= 3 && new Set(intervals).size === intervals.length);
      has(pts.map((p) => p.group), Object.keys(model.groups), 'point in group');
      for (const p of pts) {
        assert.match(p.name, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, `${p.name} is snake_case`);
        assert.ok(p.address.register + p.address.count <= 10000, `${p.name} below 10000`);
        assert.ok(p.simulate, `${p.name} has a simulate spec`);
        if (p.access === 'rw') assert.equal(p.simulate.pattern, 'constant', `${p.name}: rw points hold still`);
      }
      const raw = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      assert.equal(Object.keys(raw)[0], '$schema');
      assert.equal(raw.$schema, '../../config/schema/model.schema.json');
    });
  }
});

for (const { model } of shipped) {
  describe(`simulator serving ${model.id}`, () => {
    const sim = new DeviceSimulator({ model, host: '127.0.0.1', port: 0, unitId: UNIT_ID, seed: 5, tickMs: 20 });
    let client: Client;

    before(async () => {
      await sim.start();
      client = await connect(sim.port);
    });

    after(async () => {
      await closeClient(client);
      await sim.stop();
    });

    it('serves every point as its snapshot says (paused)', async () => {
      sim.pause();
      const snap = sim.snapshot();
      for (const p of model.points) {
        assert.deepEqual(await readEng(client, p), snap[p.name], p.name);
        if (p.address.count === 2 && p.address.type !== 'bool') {
          const words = await readWords(client, p.address);
          assert.equal(independent32(p.address, words), await readRaw(client, p.address), `${p.name} wire order`);
        }
      }
      assert.deepEqual(sim.snapshot(), snap, 'paused values do not move');
    });

    it('serves the motion of its seed: paused before start, the values at t = 0', async () => {
      const frozen = new DeviceSimulator({ model, port: 0, unitId: UNIT_ID, seed: 99 });
      frozen.pause();
      await frozen.start();
      const c = await connect(frozen.port);
      try {
        for (const p of model.points) {
          const value = valueAt(p.simulate, 0, pointSeed(99, p.name));
          const motion = p.enum && typeof value === 'number' ? (p.enum[String(value)] ?? String(value)) : value;
          const served = await readEng(c, p);
          if (typeof served !== 'number') {
            assert.equal(served, motion, p.name);
            continue;
          }
          const tolerance = p.address.type === 'float32' ? Math.abs(Number(motion)) * 1e-6 : Math.abs(p.scale) / 2 + 1e-9;
          assert.ok(Math.abs(served - Number(motion)) <= tolerance, `${p.name}: served ${served}, motion ${String(motion)}`);
        }
      } finally {
        await closeClient(c);
        await frozen.stop();
      }
    });

    it('keeps client writes to rw points across ticks while the rest moves', async () => {
      sim.pause();
      const before = sim.snapshot();
      const expected = new Map<string, EngValue>();
      const rw = model.points.filter((p) => p.access === 'rw');
      for (const [i, p] of rw.entries()) {
        const raw = newRaw(p, before[p.name] ?? 0);
        await writeRaw(client, p, raw, i);
        expected.set(p.name, eng(p, raw));
        assert.notDeepEqual(expected.get(p.name), before[p.name], `${p.name} write changes the value`);
        assert.deepEqual(sim.snapshot()[p.name], expected.get(p.name), `${p.name} written`);
      }
      sim.resume();
      const moved = () => model.points.some((p) => p.access === 'r' && sim.snapshot()[p.name] !== before[p.name]);
      await waitFor('motion after resume', moved);
      const t0 = sim.elapsedS();
      await waitFor('more ticks', () => sim.elapsedS() > t0 + 0.2);
      sim.pause();
      for (const p of rw) {
        assert.deepEqual(sim.snapshot()[p.name], expected.get(p.name), `${p.name} sticks`);
        assert.deepEqual(await readEng(client, p), expected.get(p.name), `${p.name} reads back`);
      }
    });

    it('answers exception 02 to writes of unmapped addresses, reads them as 0', async () => {
      const freeReg = unmapped(model, 'holding');
      const freeCoil = unmapped(model, 'coil');
      assert.equal(await modbusCode(client.writeRegister(freeReg, 1)), 2);
      assert.equal(await modbusCode(client.writeRegisters(freeReg, [1, 2])), 2);
      assert.equal(await modbusCode(client.writeCoil(freeCoil, true)), 2);
      assert.deepEqual((await client.readHoldingRegisters(freeReg, 1)).data, [0]);
      assert.equal((await client.readCoils(freeCoil, 1)).data[0], false);
      // FC16 that runs from the last mapped holding register into unmapped ones is refused whole
      const last = model.points.filter((p) => p.address.table === 'holding').sort((a, b) => b.address.register - a.address.register)[0];
      assert.ok(last);
      const end = last.address.register + last.address.count - 1;
      const beforeWord = (await client.readHoldingRegisters(end, 1)).data[0];
      assert.equal(await modbusCode(client.writeRegisters(end, [0x1234, 0x5678])), 2);
      assert.equal((await client.readHoldingRegisters(end, 1)).data[0], beforeWord);
    });

    it('answers exception 02 past address 65535 and 03 for more than 125 registers', async () => {
      assert.equal(await modbusCode(client.readHoldingRegisters(65530, 10)), 2);
      assert.equal(await modbusCode(client.readInputRegisters(0, 126)), 3);
    });

    it('ignores requests for another unit id', async () => {
      client.setID(UNIT_ID + 1);
      client.setTimeout(250);
      try {
        await assert.rejects(client.readCoils(0, 1), { name: 'TransactionTimedOutError' });
      } finally {
        client.setID(UNIT_ID);
        client.setTimeout(2000);
      }
      assert.equal(typeof (await client.readCoils(0, 1)).data[0], 'boolean');
    });

    it('setPoint serves an engineering value and pins it', async () => {
      const p = model.points.find((q) => q.access === 'r' && q.address.type === 'int16' && q.scale !== 1);
      assert.ok(p);
      sim.resume();
      sim.setPoint(p.name, -3.2);
      const t0 = sim.elapsedS();
      await waitFor('ticks', () => sim.elapsedS() > t0 + 0.1);
      sim.pause();
      const expected = Math.round((-3.2 - p.offset) / p.scale) * p.scale + p.offset;
      assert.equal(sim.snapshot()[p.name], expected);
      assert.equal(await readEng(client, p), expected);
      assert.throws(() => sim.setPoint('no_such_point', 1), /no point "no_such_point"/);
    });
  });
}

describe('startSimulators', () => {
  it('starts one simulator per entry on its own port and stops them all', async () => {
    const running = await startSimulators(shipped.map((s, i) => ({ model: s.model, port: 0, unitId: i + 1 })), { tickMs: 50 });
    const clients: Client[] = [];
    try {
      const ports = running.simulators.map((s) => s.port);
      assert.equal(new Set(ports).size, shipped.length);
      for (const [i, sim] of running.simulators.entries()) {
        const c = await connect(sim.port, i + 1);
        clients.push(c);
        const p = sim.model.points[0];
        assert.ok(p);
        sim.pause();
        assert.deepEqual(await readEng(c, p), sim.snapshot()[p.name]);
      }
    } finally {
      await running.stopAll();
    }
    for (const c of clients) await waitFor('server closed the client socket', () => !c.isOpen);
    const port = running.simulators[0]?.port ?? 0;
    await assert.rejects(connect(port), /ECONNREFUSED|connect/);
  });

  it('stops the ones it started when one cannot listen', async () => {
    const first = shipped[0];
    assert.ok(first);
    const holder = new DeviceSimulator({ model: first.model, port: 0, unitId: 1 });
    await holder.start();
    try {
      await assert.rejects(
        startSimulators([{ model: first.model, port: 0, unitId: 2 }, { model: first.model, port: holder.port, unitId: 3 }]),
        { code: 'EW_INTERNAL', message: /cannot listen/ },
      );
    } finally {
      await holder.stop();
    }
  });
});
