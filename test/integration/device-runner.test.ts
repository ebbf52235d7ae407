/**
 * The device runner over real TCP sockets: a point that fails is reported alone, a device that does
 * not answer times out without crashing anything, and a device that comes back is polled again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ServerTCP, type IServiceVector } from 'modbus-serial';
import { resolveModel } from '../../src/catalog/resolve.js';
import type { ModbusModel } from '../../src/catalog/types.js';
import { modbusModelSchema } from '../../src/config/model-schema.js';
import { asModbusDevice, type ModbusDevice } from '../../src/config/load-site.js';
import { deviceSchema } from '../../src/config/site-schema.js';
import { ERROR_CODES } from '../../src/errors.js';
import type { Sample } from '../../src/model/sample.js';
import { silentLogger } from '../../src/ops/logger.js';
import { ModbusAdapter } from '../../src/southbound/modbus/adapter.js';
import { DeviceRunner } from '../../src/southbound/runner.js';
import { until } from '../helpers/site.js';

function model(): ModbusModel {
  const def = modbusModelSchema.parse({
    id: 'testco/probe',
    protocol: 'modbus',
    groups: { g: { interval: 50 } },
    points: [
      { name: 'good_a', address: { table: 'holding', register: 0, type: 'uint16' } },
      { name: 'good_b', address: { table: 'holding', register: 1, type: 'int32' }, scale: 0.5 },
      { name: 'broken', address: { table: 'holding', register: 100, type: 'uint16' } },
      { name: 'flag', address: { table: 'coil', register: 0 } },
    ],
  });
  const { model: m, problems } = resolveModel(def, 'test');
  assert.ok(m, JSON.stringify(problems));
  return m;
}

function device(port: number, timeout = 300, degrade?: { after: number; interval: number }): ModbusDevice {
  const config = deviceSchema.parse({ id: 'dev-1', model: 'testco/probe', connection: { transport: 'tcp', host: '127.0.0.1', port, unitId: 1, timeout }, ...(degrade ? { degrade } : {}) });
  return asModbusDevice({ config, model: model(), intervals: { g: 50 } });
}

/** A device whose register 100 does not exist (exception 02); other registers hold fixed values. */
async function startDevice(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const words = [7, 0xffff, 0xfffe];
  const vector: IServiceVector = {
    getHoldingRegister: (addr: number) => {
      if (addr >= 100) throw Object.assign(new Error('no such register'), { modbusErrorCode: 2 });
      return words[addr] ?? 0;
    },
    getCoil: (addr: number) => addr === 0,
  };
  const server = new ServerTCP(vector, { host: '127.0.0.1', port: (port === 0 ? '0' : port) as number, unitID: 1 });
  await new Promise<void>((resolve, reject) => {
    server.on('initialized', () => resolve());
    server.on('serverError', reject);
  });
  const inner = (server as unknown as { _server: net.Server })._server;
  const bound = (inner.address() as net.AddressInfo).port;
  return { port: bound, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function collectSamples() {
  const samples: Sample[] = [];
  return { samples, onSamples: (s: Sample[]) => samples.push(...s) };
}

test('a failing point yields one bad sample with a code; the other points of the read still arrive', async (t) => {
  const dev = await startDevice();
  const sink = collectSamples();
  const runner = new DeviceRunner({ device: device(dev.port), adapter: new ModbusAdapter({ maxGap: 0 }), logger: silentLogger(), onSamples: sink.onSamples });
  t.after(async () => {
    await runner.stop();
    await dev.close();
  });
  runner.start();
  await until(() => sink.samples.filter((s) => s.point === 'good_a').length >= 3, 'three cycles');
  const byPoint = (name: string) => sink.samples.filter((s) => s.point === name);
  assert.ok(byPoint('good_a').every((s) => s.quality === 'good' && s.value === 7));
  assert.ok(byPoint('good_b').every((s) => s.quality === 'good' && s.value === -1), 'int32 0xFFFFFFFE * 0.5 = -1');
  assert.ok(byPoint('flag').every((s) => s.quality === 'good' && s.value === true));
  const broken = byPoint('broken');
  assert.ok(broken.length >= 1);
  assert.ok(broken.every((s) => s.quality === 'bad' && s.value === null && s.code === ERROR_CODES.DEVICE_EXCEPTION));
  assert.equal(runner.stats().state, 'up');
});

test('a device that accepts the connection but never answers times out; polling goes on without crashing', async (t) => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => sockets.add(s)); // reads requests, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  const sink = collectSamples();
  const runner = new DeviceRunner({ device: device(port, 150), adapter: new ModbusAdapter({ maxGap: 0 }), logger: silentLogger(), onSamples: sink.onSamples, backoff: { minMs: 50, maxMs: 100 } });
  t.after(async () => {
    await runner.stop();
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });
  runner.start();
  await until(() => sink.samples.length >= 4, 'bad samples for every point');
  const codes = new Set(sink.samples.map((s) => s.code));
  assert.ok(sink.samples.every((s) => s.quality === 'bad' && s.value === null));
  assert.ok(codes.has(ERROR_CODES.DEVICE_TIMEOUT), `codes seen: ${[...codes].join(', ')}`);
  await until(() => runner.stats().cycles >= 6, 'polling continues');
});

test('a device that is down at start is connected once it comes up, and then polled normally', async (t) => {
  const probe = await startDevice();
  const port = probe.port;
  await probe.close(); // the port is now free: connections are refused
  const sink = collectSamples();
  const runner = new DeviceRunner({ device: device(port), adapter: new ModbusAdapter({ maxGap: 0 }), logger: silentLogger(), onSamples: sink.onSamples, backoff: { minMs: 50, maxMs: 200 } });
  const later: { dev?: { close(): Promise<void> } } = {};
  t.after(async () => {
    await runner.stop();
    await later.dev?.close();
  });
  runner.start();
  await until(() => sink.samples.some((s) => s.code === ERROR_CODES.DEVICE_DISCONNECTED), 'disconnected samples');
  assert.notEqual(runner.stats().state, 'up');
  later.dev = await startDevice(port);
  await until(() => sink.samples.some((s) => s.point === 'good_a' && s.quality === 'good'), 'good samples after the device came up');
  assert.equal(runner.stats().state, 'up');
});

test('a coalesced read refused with exception 02 is split: only the bad point is marked, and the split is remembered', async (t) => {
  // Registers 0-1 and 5-6 exist; 2-4 do not. maxGap 4 merges everything into one request 0..6.
  const requests: string[] = [];
  const read = (addr: number, length: number): number[] => {
    requests.push(`${addr}+${length}`);
    const missing = Array.from({ length }, (_, i) => addr + i).some((r) => r >= 2 && r <= 4);
    if (missing) throw Object.assign(new Error('illegal address'), { modbusErrorCode: 2 });
    return Array.from({ length }, (_, i) => addr + i + 100);
  };
  const vector: IServiceVector = {
    getMultipleHoldingRegisters: (addr: number, length: number) => read(addr, length),
    getHoldingRegister: (addr: number) => read(addr, 1)[0] ?? 0,
  };
  const server = new ServerTCP(vector, { host: '127.0.0.1', port: '0' as unknown as number, unitID: 1 });
  await new Promise<void>((resolve) => server.on('initialized', () => resolve()));
  const port = ((server as unknown as { _server: net.Server })._server.address() as net.AddressInfo).port;
  const def = modbusModelSchema.parse({
    id: 'testco/gappy', protocol: 'modbus', maxGap: 4, groups: { g: { interval: 50 } },
    points: [
      { name: 'a', address: { table: 'holding', register: 0 } },
      { name: 'b', address: { table: 'holding', register: 1 } },
      { name: 'wrong', address: { table: 'holding', register: 3 } },
      { name: 'c', address: { table: 'holding', register: 5, type: 'uint32' } },
    ],
  });
  const resolved = resolveModel(def, 'test').model;
  assert.ok(resolved);
  const config = deviceSchema.parse({ id: 'gappy-1', model: 'testco/gappy', connection: { transport: 'tcp', host: '127.0.0.1', port, timeout: 300 } });
  const sink = collectSamples();
  const runner = new DeviceRunner({ device: asModbusDevice({ config, model: resolved, intervals: { g: 50 } }), adapter: new ModbusAdapter({ maxGap: 4 }), logger: silentLogger(), onSamples: sink.onSamples });
  t.after(async () => {
    await runner.stop();
    await new Promise((resolve) => server.close(resolve));
  });
  runner.start();
  await until(() => sink.samples.filter((s) => s.point === 'a').length >= 4, 'four cycles');
  await runner.stop();

  const last = new Map(sink.samples.map((s) => [s.point, s]));
  assert.equal(last.get('a')?.value, 100);
  assert.equal(last.get('b')?.value, 101);
  assert.equal(last.get('c')?.value, 105 * 65536 + 106);
  assert.equal(last.get('wrong')?.quality, 'bad');
  assert.equal(last.get('wrong')?.code, ERROR_CODES.DEVICE_EXCEPTION);
  assert.equal(requests[0], '0+7', 'the first cycle tries the coalesced request');
  assert.equal(requests.filter((r) => r === '0+7').length, 1, 'the failing coalesced request is never sent again');
  const perCycle = requests.slice(-3).sort();
  assert.deepEqual(perCycle, ['0+2', '3+1', '5+2'], 'later cycles send the remembered pieces');
});

test('a device that keeps timing out is degraded (polled less often) and comes back by itself when it answers', async (t) => {
  let hang = true;
  let requests = 0;
  const vector: IServiceVector = {
    getHoldingRegister: (addr: number, _unit: number, cb: (err: Error | null, value: number) => void) => {
      requests++;
      if (!hang) cb(addr >= 100 ? Object.assign(new Error('x'), { modbusErrorCode: 2 }) : null, 1);
    },
    getMultipleHoldingRegisters: (addr: number, length: number, _unit: number, cb: (err: Error | null, values: number[]) => void) => {
      requests++;
      if (!hang) cb(null, Array.from({ length }, () => 1));
    },
    getCoil: (_addr: number, _unit: number, cb: (err: Error | null, value: boolean) => void) => {
      requests++;
      if (!hang) cb(null, true);
    },
  };
  const server = new ServerTCP(vector, { host: '127.0.0.1', port: '0' as unknown as number, unitID: 1 });
  await new Promise<void>((resolve) => server.on('initialized', () => resolve()));
  const port = ((server as unknown as { _server: net.Server })._server.address() as net.AddressInfo).port;
  const sink = collectSamples();
  const runner = new DeviceRunner({
    device: device(port, 100, { after: 2, interval: 600 }), adapter: new ModbusAdapter({ maxGap: 0 }), logger: silentLogger(),
    onSamples: sink.onSamples, backoff: { minMs: 20, maxMs: 40 },
  });
  t.after(async () => {
    await runner.stop();
    await new Promise((resolve) => server.close(resolve));
  });
  runner.start();
  await until(() => runner.stats().degraded, 'degraded after two failed cycles');
  const before = runner.stats();
  await until(() => runner.stats().skippedCycles >= before.skippedCycles + 15, 'fifteen skipped cycles');
  const after = runner.stats();
  assert.ok(after.cycles - before.cycles <= 3, `while degraded, at most one cycle per 600 ms runs (ran ${after.cycles - before.cycles} in ~750 ms)`);
  assert.ok(requests < 20, `the hanging device got ${requests} requests`);
  hang = false;
  await until(() => !runner.stats().degraded && sink.samples.some((s) => s.point === 'good_a' && s.quality === 'good'), 'back to normal polling', 5000);
  const resumed = runner.stats().cycles;
  await until(() => runner.stats().cycles >= resumed + 5, 'normal pace again (50 ms)', 2000);
});

test('backpressure: while the sample sink makes it wait, the group does not poll again (overruns counted), then resumes', async (t) => {
  const dev = await startDevice();
  let release = (): void => undefined;
  let hold: Promise<void> | undefined = new Promise<void>((r) => (release = r));
  let handed = 0;
  const runner = new DeviceRunner({
    device: device(dev.port), adapter: new ModbusAdapter({ maxGap: 0 }), logger: silentLogger(),
    onSamples: () => {
      handed++;
      return hold;
    },
  });
  t.after(async () => {
    release();
    await runner.stop();
    await dev.close();
  });
  runner.start();
  await until(() => handed === 1, 'the first cycle handed its samples on');
  await until(() => runner.stats().overruns >= 3, 'ticks fall due while the cycle waits', 5_000);
  assert.equal(handed, 1, 'no new cycle while the sink is full');
  hold = undefined;
  release();
  await until(() => handed >= 4, 'polling resumes once the sink took the samples');
});
