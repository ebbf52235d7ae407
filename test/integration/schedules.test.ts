/**
 * Scheduled jobs wired into a running gateway: a cron write reaches the simulated device through the
 * write rules; poll-now and snapshot actions go through the same pipeline. (Wall-clock timing with an
 * injected clock is in test/unit/scheduler.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadModbusModelFile } from '../../src/catalog/load.js';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/ops/logger.js';
import { DeviceSimulator } from '../../src/sim/index.js';
import { startCloudBroker } from '../helpers/cloud-broker.js';
import { ADAPTERS, loadTestSite, siteDocument, tempDir, until } from '../helpers/site.js';

test('a cron job writes a point on schedule; poll-now and snapshot feed the pipeline', async (t) => {
  const tmp = await tempDir();
  const cloud = await startCloudBroker();
  const { model } = await loadModbusModelFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'));
  assert.ok(model);
  const sim = new DeviceSimulator({ model, port: 0, unitId: 1 });
  await sim.start();
  const doc = siteDocument({ cloudUrl: cloud.url, devices: [{ id: 'agv-01', model: model.id, port: sim.port, intervalMs: 60_000 }] });
  (doc.devices as Record<string, unknown>[])[0]!.writable = ['target_station'];
  doc.schedules = [{ name: 'dispatch', cron: '* * * * * *', action: { type: 'write', device: 'agv-01', point: 'target_station', value: 77 } }];
  const file = path.join(tmp.dir, 'site.yaml');
  await writeFile(file, stringify(doc));
  const gateway = new Gateway(await loadTestSite(file), silentLogger());
  t.after(async () => {
    await gateway.stop();
    await sim.stop();
    await cloud.stop();
    await tmp.remove();
  });
  await gateway.start();
  await until(() => sim.snapshot().target_station === 77, 'the scheduled write reached the device', 10_000);
  await until(() => gateway.schedules()[0]?.lastResult === 'ok', 'the run is recorded');
  assert.ok((gateway.schedules()[0]?.runs ?? 0) >= 1);

  const before = gateway.status().queue.added;
  assert.equal(await gateway.pollNow('agv-01', 'slow'), 1);
  await until(() => gateway.status().queue.added > before, 'the polled samples are queued');
  const sent = gateway.snapshot();
  assert.ok(sent >= 4, `snapshot re-sent ${sent} latest values`);
});
