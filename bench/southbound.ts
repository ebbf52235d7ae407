/**
 * Southbound throughput and isolation (issue 3).
 * - Throughput: 50 simulated devices x 200 points polled as fast as possible through DeviceRunner
 *   (adapter, planner, codec, transform) vs a bare modbus-serial client loop doing the same reads
 *   against the same simulators, in this process.
 * - Isolation: one healthy device alone, then beside ten dead ones (accept, never answer, 1 s
 *   timeout): p99 of the healthy device's poll interval in both runs.
 */
import net from 'node:net';
import Modbus from 'modbus-serial';
import type { Sample } from '../src/model/sample.js';
import { silentLogger } from '../src/ops/logger.js';
import { ModbusAdapter } from '../src/southbound/modbus/adapter.js';
import { planReads } from '../src/southbound/modbus/plan.js';
import { DeviceRunner } from '../src/southbound/runner.js';
import { benchDevice, percentile, simulators, syntheticModel } from './fixtures.js';
import type { BenchResult } from './types.js';

const DEVICES = 50;
const POINTS = 200;
const SECONDS = 3;
const ROUNDS = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bareLoop(ports: number[], requests: { start: number; count: number }[]): Promise<number> {
  const clients = await Promise.all(ports.map(async (port) => {
    const c = new Modbus.default();
    await c.connectTCP('127.0.0.1', { port });
    c.setID(1);
    c.setTimeout(1000);
    return c;
  }));
  let points = 0;
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(clients.map(async (c) => {
    while (Date.now() < deadline) {
      for (const r of requests) await c.readHoldingRegisters(r.start, r.count);
      points += POINTS;
    }
  }));
  await Promise.all(clients.map((c) => new Promise((r) => c.close(r))));
  return points / SECONDS;
}

async function runnerLoop(ports: number[], model: ReturnType<typeof syntheticModel>): Promise<number> {
  let points = 0;
  const runners = ports.map((port, i) => new DeviceRunner({
    device: benchDevice(`dev-${i}`, model, port, 1), adapter: new ModbusAdapter({ maxGap: 0 }), logger: silentLogger(),
    onSamples: (s: Sample[]) => { points += s.length; },
  }));
  for (const r of runners) r.start();
  await sleep(1000); // connect and settle
  const start = points;
  await sleep(SECONDS * 1000);
  const rate = (points - start) / SECONDS;
  await Promise.all(runners.map((r) => r.stop()));
  return rate;
}

export async function throughput(): Promise<BenchResult[]> {
  const model = syntheticModel(POINTS, 10);
  const sims = await simulators(model, DEVICES);
  try {
    const ports = sims.simulators.map((s) => s.port);
    const requests = planReads(model.points.map((p) => ({ name: p.name, unitId: 1, address: p.address })));
    // Interleaved rounds, so drift in machine load hits both sides alike.
    let [bare, ours] = [0, 0];
    for (let round = 0; round < ROUNDS; round++) {
      bare += await bareLoop(ports, requests.map((r) => ({ start: r.start, count: r.count })));
      ours += await runnerLoop(ports, model);
    }
    [bare, ours] = [bare / ROUNDS, ours / ROUNDS];
    return [{ name: `throughput ${DEVICES} devices x ${POINTS} points, ${ROUNDS} interleaved rounds of ${SECONDS} s`, figures: { 'gateway points/s': Math.round(ours), 'bare client points/s': Math.round(bare), 'gateway/bare': ours / bare } }];
  } finally {
    await sims.stopAll();
  }
}

async function healthyIntervals(port: number, deadPorts: number[], model: ReturnType<typeof syntheticModel>): Promise<number[]> {
  const stamps: number[] = [];
  const healthy = new DeviceRunner({
    device: benchDevice('healthy', model, port, 100), adapter: new ModbusAdapter({ maxGap: 0 }), logger: silentLogger(),
    onSamples: () => stamps.push(performance.now()),
  });
  const dead = deadPorts.map((p, i) => new DeviceRunner({
    device: benchDevice(`dead-${i}`, model, p, 100, 1000), adapter: new ModbusAdapter({ maxGap: 0 }), logger: silentLogger(), onSamples: () => undefined,
  }));
  for (const r of [healthy, ...dead]) r.start();
  await sleep(10_000);
  await Promise.all([healthy, ...dead].map((r) => r.stop()));
  return stamps.slice(1).map((t, i) => t - (stamps[i] ?? t)).slice(5);
}

export async function isolation(): Promise<BenchResult[]> {
  const model = syntheticModel(50, 100);
  const sims = await simulators(model, 1);
  const sockets = new Set<net.Socket>();
  const blackHoles = await Promise.all(Array.from({ length: 10 }, async () => {
    const server = net.createServer((s) => sockets.add(s)); // accepts, reads, never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  }));
  try {
    const port = sims.simulators[0]?.port ?? 0;
    const alone = await healthyIntervals(port, [], model);
    const beside = await healthyIntervals(port, blackHoles.map((s) => (s.address() as net.AddressInfo).port), model);
    const [p99Alone, p99Beside] = [percentile(alone, 99), percentile(beside, 99)];
    return [{ name: 'isolation: healthy device (100 ms) alone vs beside 10 dead devices (1 s timeout)', figures: { 'p99 alone ms': p99Alone.toFixed(1), 'p99 beside dead ms': p99Beside.toFixed(1), 'beside/alone': p99Beside / p99Alone } }];
  } finally {
    for (const s of sockets) s.destroy();
    await Promise.all(blackHoles.map((s) => new Promise((r) => s.close(r))));
    await sims.stopAll();
  }
}
