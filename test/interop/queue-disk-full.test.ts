/**
 * A REAL full disk under the queue: the gateway's data directory is on a 1 MB tmpfs (needs root:
 * `mount -t tmpfs`, which is why this test is in test/interop, run by CI as root). The disk fills
 * during a cloud outage: appends fail with EW_QUEUE_IO and are counted (appendFailures), the gateway
 * keeps polling and does not crash; once space is freed, appends resume without a restart and the
 * backlog drains with contiguous sequence numbers.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { loadModbusModelFile } from '../../src/catalog/load.js';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/ops/logger.js';
import { startSimulators } from '../../src/sim/index.js';
import { startCloudBroker } from '../helpers/cloud-broker.js';
import { arrivals, assertContiguousAndOrdered, dedupe } from '../helpers/delivery.js';
import { ADAPTERS, loadTestSite, tempDir, until, writeSite } from '../helpers/site.js';

test('a full disk (ENOSPC on a real tmpfs) is reported and survived; appends resume when space is freed', { timeout: 60_000 }, async (t) => {
  const tmp = await tempDir('edgeway-enospc-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', tmp.dir]);
  } catch (err) {
    await tmp.remove();
    throw new Error(`this test needs root and permission to mount a tmpfs (mount -t tmpfs): ${String(err)}`);
  }
  const { model } = await loadModbusModelFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'));
  assert.ok(model);
  const sims = await startSimulators([{ model, port: 0, unitId: 1 }], { seed: 9 });
  const cloud = await startCloudBroker();
  await cloud.stop();
  const tap = cloud.tap('edgeway/e2e/data');
  const filler = path.join(tmp.dir, 'filler');
  await writeFile(filler, Buffer.alloc(350_000)); // space the operator can free later
  const file = await writeSite(tmp.dir, {
    cloudUrl: cloud.url,
    devices: [{ id: 'agv-01', model: 'acme-robotics/agv-300', port: sims.simulators[0]?.port ?? 0, intervalMs: 20 }],
    extra: { cloud: { url: cloud.url, batch: { maxSamples: 50, maxDelay: 20 }, backoff: { min: 50, max: 200 } }, queue: { maxAge: 0 } },
  });
  const gateway = new Gateway(await loadTestSite(file), silentLogger());
  t.after(async () => {
    await gateway.stop();
    await tap.stop();
    await cloud.stop();
    await sims.stopAll();
    execFileSync('umount', [tmp.dir]);
    await tmp.remove();
  });
  await gateway.start();

  await until(() => gateway.status().appendFailures > 500, 'the disk fills and appends fail', 40_000);
  const full = gateway.status();
  const samplesWhenFull = full.devices[0]?.samples ?? 0;
  await until(() => (gateway.status().devices[0]?.samples ?? 0) > samplesWhenFull + 200, 'polling goes on with a full disk');
  assert.equal(gateway.status().devices[0]?.state, 'up');
  assert.ok(gateway.status().appendFailures > full.appendFailures, 'failed appends keep being counted');

  await rm(filler); // the operator frees space: no restart
  const addedBefore = gateway.status().queue.added;
  await until(() => gateway.status().queue.added > addedBefore + 100, 'appends resume once space is back', 20_000);
  await cloud.start();
  await until(() => gateway.status().queue.delivered > 1000, 'the backlog drains', 30_000);
  await sims.stopAll();
  await until(() => {
    const s = gateway.status();
    return s.queue.depth === 0 && dedupe(arrivals(tap)).unique.at(-1)?.seq === s.queue.nextSeq - 1;
  }, 'everything accepted is delivered', 30_000);
  const last = gateway.status().queue.nextSeq - 1;
  assertContiguousAndOrdered(dedupe(arrivals(tap)).unique, 1, last);
});
