/**
 * Restart mid-backlog: a gateway process is killed with SIGKILL while the cloud is down; the next
 * run delivers every sample the first one had queued, with sequence numbers continuing, no gaps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadModbusModelFile } from '../../src/catalog/load.js';
import { Gateway } from '../../src/gateway.js';
import { decodeBatch, type PayloadSample } from '../../src/northbound/payload.js';
import { silentLogger } from '../../src/ops/logger.js';
import { startSimulators } from '../../src/sim/index.js';
import { startCloudBroker } from '../helpers/cloud-broker.js';
import { ADAPTERS, loadTestSite, REPO, tempDir, until, writeSite } from '../helpers/site.js';

test('SIGKILL mid-backlog loses nothing already queued; the next run delivers it all in sequence', async (t) => {
  const tmp = await tempDir();
  const { model } = await loadModbusModelFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'));
  assert.ok(model);
  const sims = await startSimulators([{ model, port: 0, unitId: 1 }], { seed: 3 });
  const cloud = await startCloudBroker();
  await cloud.stop(); // the cloud is down for the whole first run
  const sim = sims.simulators[0];
  assert.ok(sim);
  const file = await writeSite(tmp.dir, {
    cloudUrl: cloud.url,
    devices: [{ id: 'agv-01', model: 'acme-robotics/agv-300', port: sim.port, intervalMs: 50 }],
    gateway: { summaryInterval: 100 },
    extra: { log: { level: 'info' } },
  });

  const run2: { gateway?: Gateway } = {};
  t.after(async () => {
    await run2.gateway?.stop();
    await sims.stopAll();
    await cloud.stop();
    await tmp.remove();
  });

  // Run 1: a separate process, killed without warning once it reports a backlog.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/main.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let queued = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const m = /queued (\d+)/.exec(line);
    if (m) queued = Number(m[1]);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.after(() => child.kill('SIGKILL')); // a failed wait must not leave the gateway running
  await until(() => queued >= 300, 'the first run reports a backlog of 300', 20_000);
  const acceptedBeforeKill = queued;
  child.kill('SIGKILL');
  await exited;

  // Run 2: cloud back, same data directory.
  await cloud.start();
  const tap = cloud.tap('edgeway/e2e/data');
  t.after(() => tap.stop());
  const gateway = new Gateway(await loadTestSite(file), silentLogger());
  run2.gateway = gateway;
  await gateway.start();
  const restartNextSeq = gateway.status().queue.nextSeq;
  assert.ok(restartNextSeq > acceptedBeforeKill, `sequence continues after the restart (next ${restartNextSeq}, had ${acceptedBeforeKill})`);
  const samples = (): PayloadSample[] => tap.messages.flatMap((m) => decodeBatch(m.payload).samples);
  await tap.waitFor(() => samples().some((s) => s.seq > restartNextSeq + 20), 20_000);

  const bySeq = new Map<number, PayloadSample>();
  for (const s of samples()) {
    const seen = bySeq.get(s.seq);
    if (seen) assert.deepEqual(s, seen, `seq ${s.seq} replayed with other content`);
    bySeq.set(s.seq, s);
  }
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  assert.equal(seqs[0], 1);
  const gaps = seqs.filter((s, i) => i > 0 && s !== (seqs[i - 1] ?? 0) + 1);
  assert.deepEqual(gaps, [], 'no sample lost: sequence numbers without gaps across the kill');
  assert.ok((seqs.at(-1) ?? 0) > acceptedBeforeKill, 'everything queued before the kill was delivered');
  const firstRun = [...bySeq.values()].filter((s) => s.seq < restartNextSeq);
  const secondRun = [...bySeq.values()].filter((s) => s.seq >= restartNextSeq);
  assert.ok(firstRun.length >= acceptedBeforeKill);
  assert.ok(Math.max(...firstRun.map((s) => s.ts)) <= Math.min(...secondRun.map((s) => s.ts)), 'replayed samples keep their original timestamps');
});
