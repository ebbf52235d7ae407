/**
 * Local file watch on a running gateway: an edit saved the way editors do (write a temp file, rename
 * it over the site file) is applied in-process and restarts only the device it changed; an invalid
 * edit keeps the running config and reports every problem with file and path; a model file edit
 * restarts the devices of that model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadModbusModelFile } from '../../src/catalog/load.js';
import { startConfigControl, type ConfigControl } from '../../src/config/control.js';
import { localConfigStatusSchema } from '../../src/config/remote-payload.js';
import type { LocalConfigStatus } from '../../src/config/watch.js';
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
  const sims = await startSimulators([1, 2].map(() => ({ model, port: 0, unitId: 1 })), { seed: 9 });
  // A site model directory with a copy of the AGV model, overriding the shipped one.
  const siteModels = path.join(tmp.dir, 'models');
  await mkdir(path.join(siteModels, 'acme-robotics'), { recursive: true });
  await copyFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'), path.join(siteModels, 'acme-robotics/agv-300.yaml'));
  const device = (n: number, intervalMs = 100): TestDevice => ({ id: `agv-0${n}`, model: model.id, port: sims.simulators[n - 1]?.port ?? 0, intervalMs });
  const doc = (devices: TestDevice[]) => siteDocument({ cloudUrl: cloud.url, devices, gateway: { modelPaths: [ADAPTERS, siteModels] } });
  const file = path.join(tmp.dir, 'site.yaml');
  const save = async (content: string) => {
    const tmpFile = path.join(tmp.dir, '.site.yaml.swp');
    await writeFile(tmpFile, content);
    await rename(tmpFile, file);
  };
  await writeFile(file, stringify(doc([device(1), device(2)])));
  const site = await loadTestSite(file);
  const gateway = new Gateway(site, silentLogger());
  const published = cloud.tap('edgeway/e2e/config/local');
  const started: { control?: ConfigControl } = {};
  t.after(async () => {
    await started.control?.stop();
    await gateway.stop();
    await published.stop();
    await sims.stopAll();
    await cloud.stop();
    await tmp.remove();
  });
  await gateway.start();
  const control = await startConfigControl(gateway, file, { ok: true, site, local: site, source: 'local', reason: 'test' }, silentLogger());
  started.control = control;
  assert.ok(control.watch, 'gateway.watchConfig is on by default');
  const watch = control.watch;
  /** Edits handled so far (each is retained on config/local in the cloud) and the watcher's last status. */
  const handled = () => published.messages.length;
  const last = (): LocalConfigStatus | undefined => watch.status;
  const cycles = (id: string) => gateway.health().devices.find((d) => d.id === id)?.cycles ?? -1;
  await until(() => cycles('agv-01') >= 2 && cycles('agv-02') >= 2, 'both devices poll');
  return { gateway, handled, last, published, device, doc, save, file, siteModels, cycles };
}

test('a valid edit of the site file is hot-applied: only the changed device restarts', async (t) => {
  const r = await rig(t);
  const before = r.cycles('agv-01');
  await r.save(stringify({ ...r.doc([r.device(1), r.device(2, 250)]), queue: { maxBytes: '64MiB' } }));
  await until(() => r.handled() > 0, 'the edit is handled');
  const status = r.last();
  assert.equal(status?.state, 'applied');
  assert.deepEqual(status.report?.restartRequired, ['queue.maxBytes']);
  assert.deepEqual(localConfigStatusSchema.parse(JSON.parse(r.published.messages[0]?.payload.toString() ?? '{}')).restartRequired, ['queue.maxBytes'], 'the cloud is told a restart is needed');
  assert.deepEqual(status.report?.restarted, ['agv-02']);
  assert.deepEqual(status.report?.unchanged, ['agv-01']);
  assert.ok(r.cycles('agv-01') >= before, 'agv-01 kept its runner');
  assert.equal(r.gateway.currentSite.devices.find((d) => d.config.id === 'agv-02')?.intervals.fast, 250);
});

test('an invalid edit keeps the running config and reports every problem with file and path', async (t) => {
  const r = await rig(t);
  const running = r.gateway.currentSite;
  const bad = r.doc([r.device(1), r.device(2)]);
  const devices = bad.devices as Record<string, unknown>[];
  (devices[0]!.connection as Record<string, unknown>).port = 'five-oh-two';
  devices[1]!.modle = 'typo';
  await r.save(stringify(bad));
  await until(() => r.handled() > 0, 'the edit is handled');
  const status = r.last();
  assert.equal(status?.state, 'invalid');
  const problems = status.problems ?? [];
  assert.ok(problems.length >= 2, problems.join('\n'));
  assert.ok(problems.every((p) => p.includes(r.file)), `every problem names the file: ${problems.join('\n')}`);
  assert.ok(problems.some((p) => p.includes('devices[0].connection.port')), problems.join('\n'));
  assert.ok(problems.some((p) => p.includes('devices[1]') && p.includes('"modle"')), problems.join('\n'));
  assert.equal(r.gateway.currentSite, running, 'the running config is kept');
  const cloudCopy = localConfigStatusSchema.parse(JSON.parse(r.published.messages[0]?.payload.toString() ?? '{}'));
  assert.equal(cloudCopy.state, 'invalid');
  assert.deepEqual(cloudCopy.problems, problems, 'the cloud sees the same problems (retained on config/local)');
  const now = r.cycles('agv-01');
  await until(() => r.cycles('agv-01') > now, 'agv-01 keeps polling');

  // Saving the same content again is not a new edit; fixing the file applies it.
  await r.save(stringify(r.doc([r.device(1), r.device(2)])));
  await until(() => r.handled() > 1, 'the fixed file is handled');
  assert.equal(r.last()?.state, 'applied');
  assert.deepEqual(r.last()?.report?.unchanged, ['agv-01', 'agv-02']);
});

test('an edit of a model file restarts the devices of that model', async (t) => {
  const r = await rig(t);
  const modelFile = path.join(r.siteModels, 'acme-robotics/agv-300.yaml');
  const text = await readFile(modelFile, 'utf8');
  assert.match(text, /^maxGap: 6$/m);
  await writeFile(modelFile, text.replace(/^maxGap: 6$/m, 'maxGap: 2'));
  await until(() => r.handled() > 0, 'the model edit is handled');
  assert.equal(r.last()?.state, 'applied');
  assert.deepEqual(r.last()?.report?.restarted, ['agv-01', 'agv-02']);
});

test('an update of a Kubernetes ConfigMap volume (the ..data symlink swapped) is hot-applied', async (t) => {
  const tmp = await tempDir();
  const cloud = await startCloudBroker();
  const { model } = await loadModbusModelFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'));
  if (!model) throw new Error('the shipped AGV model does not load');
  const sims = await startSimulators([{ model, port: 0, unitId: 1 }], { seed: 3 });
  const port = sims.simulators[0]?.port ?? 0;
  // The layout kubelet's atomic writer makes: site.yaml -> ..data/site.yaml, ..data -> ..<timestamp>.
  const volume = path.join(tmp.dir, 'config');
  const version = async (name: string, intervalMs: number) => {
    await mkdir(path.join(volume, name), { recursive: true });
    const doc = siteDocument({ cloudUrl: cloud.url, devices: [{ id: 'agv-01', model: model.id, port, intervalMs }], gateway: { dataDir: path.join(tmp.dir, 'data') } });
    await writeFile(path.join(volume, name, 'site.yaml'), stringify(doc));
  };
  await version('..2026_11_25_10_00_00.1', 100);
  await symlink('..2026_11_25_10_00_00.1', path.join(volume, '..data'));
  await symlink('..data/site.yaml', path.join(volume, 'site.yaml'));
  const file = path.join(volume, 'site.yaml');
  const site = await loadTestSite(file);
  const gateway = new Gateway(site, silentLogger());
  const started: { control?: ConfigControl } = {};
  t.after(async () => {
    await started.control?.stop();
    await gateway.stop();
    await sims.stopAll();
    await cloud.stop();
    await tmp.remove();
  });
  await gateway.start();
  const control = await startConfigControl(gateway, file, { ok: true, site, local: site, source: 'local', reason: 'test' }, silentLogger());
  started.control = control;
  await version('..2026_11_25_10_05_00.2', 400);
  await symlink('..2026_11_25_10_05_00.2', path.join(volume, '..data_tmp'));
  await rename(path.join(volume, '..data_tmp'), path.join(volume, '..data'));
  await until(() => control.watch?.status?.state === 'applied', 'the ConfigMap update is applied');
  assert.deepEqual(control.watch?.status?.report?.restarted, ['agv-01']);
  assert.equal(gateway.currentSite.devices[0]?.intervals.fast, 400);
});
