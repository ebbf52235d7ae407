/**
 * Gateway.applySite: a new config is applied in-process and touches only what changed; restart-only
 * settings are reported and keep their running values; restartDevice gives one device a fresh start.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { loadModbusModelFile } from '../../src/catalog/load.js';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/ops/logger.js';
import { startSimulators } from '../../src/sim/index.js';
import { startCloudBroker } from '../helpers/cloud-broker.js';
import { ADAPTERS, loadTestSite, siteDocument, tempDir, until, type TestDevice } from '../helpers/site.js';

async function rig(t: { after(fn: () => Promise<void>): void }) {
  const tmp = await tempDir();
  const cloud = await startCloudBroker();
  const { model } = await loadModbusModelFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'));
  if (!model) throw new Error('the shipped AGV model does not load');
  const sims = await startSimulators([1, 2, 3].map(() => ({ model, port: 0, unitId: 1 })), { seed: 7 });
  const ports = sims.simulators.map((s) => s.port);
  const device = (n: number, intervalMs = 200): TestDevice => ({ id: `agv-0${n}`, model: model.id, port: ports[n - 1] ?? 0, intervalMs });
  const write = async (name: string, devices: TestDevice[], extra: Record<string, unknown> = {}) => {
    const file = path.join(tmp.dir, name);
    const doc = siteDocument({ cloudUrl: cloud.url, devices });
    await writeFile(file, stringify({ ...doc, ...extra }));
    return loadTestSite(file);
  };
  const gateway = new Gateway(await write('site.yaml', [device(1), device(2)]), silentLogger());
  t.after(async () => {
    await gateway.stop();
    await sims.stopAll();
    await cloud.stop();
    await tmp.remove();
  });
  await gateway.start();
  const cycles = (id: string) => gateway.health().devices.find((d) => d.id === id)?.cycles ?? -1;
  await until(() => cycles('agv-01') >= 3 && cycles('agv-02') >= 3, 'both devices polled');
  return { gateway, cloud, device, write, cycles };
}

test('applySite restarts only the changed device, starts a new one, stops a removed one', async (t) => {
  const { gateway, device, write, cycles } = await rig(t);
  const before = cycles('agv-01');
  const report = await gateway.applySite(await write('next.yaml', [device(1), device(2, 300), device(3)]));
  assert.deepEqual(report.unchanged, ['agv-01']);
  assert.deepEqual(report.restarted, ['agv-02']);
  assert.deepEqual(report.added, ['agv-03']);
  assert.deepEqual(report.removed, []);
  assert.deepEqual(report.restartRequired, []);
  assert.deepEqual(report.reloaded, []);
  // The unchanged device kept its runner: its counter went on from where it was.
  assert.ok(cycles('agv-01') >= before, 'agv-01 was not restarted');
  await until(() => cycles('agv-03') >= 2 && cycles('agv-02') >= 2, 'new and restarted devices poll');
  assert.deepEqual(gateway.health().devices.map((d) => d.id), ['agv-01', 'agv-02', 'agv-03']);
  assert.equal(gateway.currentSite.devices.find((d) => d.config.id === 'agv-02')?.intervals.fast, 300);

  const removal = await gateway.applySite(await write('less.yaml', [device(1), device(3)]));
  assert.deepEqual(removal.removed, ['agv-02']);
  assert.deepEqual(removal.unchanged, ['agv-01', 'agv-03']);
  assert.deepEqual(gateway.status().devices.map((d) => d.id), ['agv-01', 'agv-03']);
  await assert.rejects(gateway.readNow('agv-02', 'battery_pct'), { code: 'EW_DEVICE_UNKNOWN' });
});

test('applySite names restart-only settings and keeps their running values; a cloud change reconnects the link', async (t) => {
  const { gateway, device, write } = await rig(t);
  const other = await startCloudBroker();
  t.after(() => other.stop());
  const runningQueue = gateway.currentSite.config.queue.maxBytes;
  const next = await write('next.yaml', [device(1), device(2)], {
    queue: { maxBytes: '64MB' },
    cloud: { url: other.url, batch: { maxSamples: 100, maxDelay: 50 }, backoff: { min: 100, max: 400 } },
  });
  const report = await gateway.applySite(next);
  assert.deepEqual(report.restartRequired, ['queue.maxBytes']);
  assert.deepEqual(report.reloaded, ['cloud']);
  assert.deepEqual(report.unchanged, ['agv-01', 'agv-02']);
  assert.equal(gateway.currentSite.config.queue.maxBytes, runningQueue, 'the running queue budget is kept');
  const tap = other.tap('edgeway/+/data');
  await tap.waitFor((m) => m.length > 0, 10_000);
  assert.equal(gateway.health().cloud, 'online');
  assert.ok(other.clientIds().includes('edgeway-e2e'));
});

test('restartDevice gives one device a fresh runner and leaves the others alone', async (t) => {
  const { gateway, cycles } = await rig(t);
  await until(() => cycles('agv-01') >= 5, 'agv-01 polled a few times');
  const other = cycles('agv-02');
  await gateway.restartDevice('agv-01');
  assert.ok(cycles('agv-01') < 5, 'the restarted runner starts counting again');
  assert.ok(cycles('agv-02') >= other, 'agv-02 kept its runner');
  await until(() => cycles('agv-01') >= 2, 'agv-01 polls again');
  await assert.rejects(gateway.restartDevice('nope'), { code: 'EW_DEVICE_UNKNOWN' });
});

test('applySite restarts the schedules only when they changed', async (t) => {
  const { gateway, device, write } = await rig(t);
  assert.deepEqual(gateway.schedules(), []);
  const schedules = [{ name: 'hourly-meter', cron: '0 * * * *', action: { type: 'poll', device: 'agv-01' } }];
  const report = await gateway.applySite(await write('next.yaml', [device(1), device(2)], { schedules }));
  assert.deepEqual(report.reloaded, ['schedules']);
  assert.deepEqual(gateway.schedules().map((j) => j.name), ['hourly-meter']);
  const again = await gateway.applySite(await write('same.yaml', [device(1), device(2)], { schedules }));
  assert.deepEqual(again.reloaded, []);
  assert.deepEqual(again.unchanged, ['agv-01', 'agv-02']);
});

test('applySite changes nothing when the new cloud section names a file that cannot be read', async (t) => {
  const { gateway, device, write } = await rig(t);
  const running = gateway.currentSite;
  const next = await write('next.yaml', [device(1), device(2), device(3)], {
    cloud: { url: 'mqtts://127.0.0.1:1', tls: { ca: './missing-ca.pem' }, backoff: { min: 100, max: 400 } },
  });
  await assert.rejects(gateway.applySite(next), { code: 'EW_CONFIG_READ' });
  assert.equal(gateway.currentSite, running, 'the running config is the same object');
  assert.deepEqual(gateway.health().devices.map((d) => d.id), ['agv-01', 'agv-02'], 'agv-03 was not started');
});
