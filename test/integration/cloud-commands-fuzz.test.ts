/**
 * Fuzz of the cloud command topic: 10,000 random and malformed payloads (seeded, so a failure
 * reproduces: set FUZZ_SEED) published by the cloud broker itself onto the request topic of a
 * running gateway. Writes are enabled at the site and one point (target_station) is writable, so
 * mutated write requests go all the way to the write safety rules and some valid ones succeed.
 * Afterwards the gateway still polls (the sample count grows), still answers a valid request, never
 * crashed, and the simulated AGV received exactly one write per write answered ok: nothing reached
 * the device without being allowed, checked and answered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Aedes } from 'aedes';
import { agvRig } from '../helpers/agv-rig.js';
import { commander } from '../helpers/cloud-commander.js';
import { until } from '../helpers/site.js';
import { prng } from '../helpers/prng.js';

const COUNT = 10_000;
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);

function payloads(seed: number, root: string): Buffer[] {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const str = (n: number) => Array.from({ length: int(n) }, () => String.fromCharCode(int(0x2fff))).join('');
  const scalar = (): unknown => pick([() => null, () => rnd() < 0.5, () => int(2 ** 31) - 2 ** 30, () => rnd() * 1e308, () => -0, () => str(12), () => 'agv-01', () => 'target_station', () => '__proto__', () => Date.now() + int(120_000) - 60_000])();
  const value = (depth: number): unknown => {
    if (depth > 3 || rnd() < 0.5) return scalar();
    if (rnd() < 0.5) return Array.from({ length: int(5) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: int(5) }, () => [pick(['id', 'command', 'device', 'points', 'value', 'expiresAt', str(6)]), value(depth + 1)]));
  };
  const expiresAt = () => Date.now() + 60_000;
  const templates = (): Record<string, unknown>[] => [
    { id: `f-${int(1e6)}`, command: 'write', device: 'agv-01', point: pick(['target_station', 'max_speed', 'horn_on', 'pause_requested', 'battery_soc']), value: rnd() < 0.3 ? int(50) : scalar(), expiresAt: expiresAt() },
    { id: `f-${int(1e6)}`, command: 'read', device: 'agv-01', points: ['speed'] },
    { id: `f-${int(1e6)}`, command: 'status' },
    { id: `f-${int(1e6)}`, command: 'logs', limit: int(1000) },
    { id: `f-${int(1e6)}`, command: 'config' },
    { id: `f-${int(1e6)}`, command: 'restart-device', device: 'agv-01', expiresAt: expiresAt() },
    { id: `f-${int(1e6)}`, command: 'modbus-read', device: 'agv-01', table: pick(['holding', 'coil', 'x']), address: int(70_000), count: int(3000) },
  ];
  const mutate = (req: Record<string, unknown>): Record<string, unknown> => {
    const keys = Object.keys(req);
    for (let i = 1 + int(3); i > 0; i--) {
      const r = rnd();
      if (r < 0.25) delete req[pick(keys)];
      else if (r < 0.6) req[pick(keys)] = value(0);
      else if (r < 0.75) req[str(8)] = value(0);
      else if (r < 0.85) req.responseTopic = pick([`${root}/data`, `${root}/commands/response/x`, '#', 'a/+/b', str(30), `${root}/commands/response/${str(5)}`]);
      else req.id = pick([str(10), '', 'a/b', 'x'.repeat(200), int(100), `dup-${int(20)}`]);
    }
    return req;
  };
  return Array.from({ length: COUNT }, () => {
    const r = rnd();
    if (r < 0.15) return Buffer.from(Array.from({ length: int(96) }, () => int(256)));
    if (r < 0.3) return Buffer.from(JSON.stringify(value(0)) ?? 'undefined');
    if (r < 0.35) return Buffer.from(JSON.stringify(pick(templates())).slice(0, 5 + int(40)));
    if (r < 0.37) return Buffer.alloc(16 * 1024 + 1 + int(4096), '{');
    if (r < 0.4) return Buffer.from(`{"id":"f-${int(1e6)}","command":"status","nested":${'['.repeat(2000)}`);
    return Buffer.from(JSON.stringify(mutate(pick(templates()))));
  });
}

function publish(broker: Aedes, topic: string, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    broker.publish({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, (err) => (err ? reject(err) : resolve()));
  });
}

test(`cloud command fuzz: ${COUNT} random and malformed payloads (seed ${SEED}); the gateway keeps polling and answering, never writes`, async (t) => {
  const { gateway, sim, cloud } = await agvRig(t, { gatewayId: 'gw-fz', intervalMs: 200, writable: ['target_station'], cloud: { commands: { writes: true, allow: ['read', 'status', 'logs', 'config', 'modbus-read'] } } });
  const cc = await commander(t, cloud.url, 'gw-fz');
  await cc.ready();
  const broker = cloud.broker;
  assert.ok(broker);
  const received = gateway.cloudCommandStats()?.received ?? 0;
  const answers = cloud.tap(`${cc.root}/commands/response/#`);
  t.after(() => answers.stop());
  const list = payloads(SEED, cc.root);
  for (let i = 0; i < list.length; i += 500) await Promise.all(list.slice(i, i + 500).map((p) => publish(broker, cc.requestTopic, p)));
  await until(() => (gateway.cloudCommandStats()?.received ?? 0) >= received + COUNT, 'every fuzz payload received', 60_000);
  await until(() => gateway.cloudCommandStats()?.inFlight === 0, 'every command answered', 30_000);

  const samples = gateway.status().devices[0]?.samples ?? 0;
  await until(() => (gateway.status().devices[0]?.samples ?? 0) > samples, 'polling goes on');
  const ok = await cc.ask({ id: 'after-fuzz', command: 'read', device: 'agv-01', points: ['speed'] });
  assert.ok(ok.ok, JSON.stringify(ok));
  // A write's answer is the read-back value ({ts, value, quality}); other results have other shapes.
  const okWrites = new Set<string>();
  for (const m of answers.messages) {
    const a = JSON.parse(m.payload.toString()) as { id?: string; ok?: boolean; result?: Record<string, unknown> };
    if (a.ok === true && a.id !== undefined && a.result !== undefined && 'quality' in a.result && !('device' in a.result)) okWrites.add(a.id);
  }
  assert.ok(okWrites.size > 0, 'some fuzzed writes were valid and ran');
  assert.equal(sim.writeCount, okWrites.size, 'one device write per write answered ok, none else');
  const stats = gateway.cloudCommandStats();
  assert.ok(stats);
  t.diagnostic(`fuzz stats: ${JSON.stringify(stats)}`);
  assert.ok(stats.invalid > 1000 && stats.unanswerable > 1000, 'both refusal paths were exercised');
  assert.equal(stats.answered + stats.unanswerable, stats.received, 'every request with a usable id was answered, the rest counted');
  assert.ok(stats.executed + stats.failed > 0 && stats.denied > 0, 'some requests got through validation');
});
