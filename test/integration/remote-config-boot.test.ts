/**
 * Edge autonomy with the real CLI: a remote config applied in one `edgeway run` process is booted
 * by the next one while the cloud is unreachable; once the site file is edited on site, the edit wins.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, appendFile, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from 'mqtt';
import { stringify } from 'yaml';
import { loadModbusModelFile } from '../../src/catalog/load.js';
import { reportedConfigSchema } from '../../src/config/remote-payload.js';
import { startSimulators } from '../../src/sim/index.js';
import { startCloudBroker } from '../helpers/cloud-broker.js';
import { freePort } from '../helpers/free-port.js';
import { ADAPTERS, REPO, siteDocument, tempDir, until, type TestDevice } from '../helpers/site.js';

interface LogLine {
  readonly msg?: string;
  readonly source?: string;
  readonly version?: unknown;
  readonly level?: number | string;
}

/** `edgeway run -c file` as a child process, its JSON log lines collected. */
function run(t: { after(fn: () => void): void }, file: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/main.ts'), 'run', '-c', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: LogLine[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // not a log line
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.after(() => child.kill('SIGKILL'));
  return {
    lines,
    find: (re: RegExp) => lines.find((l) => re.test(l.msg ?? '')),
    waitFor: (re: RegExp, what: string) => until(() => lines.some((l) => re.test(l.msg ?? '')), what, 30_000),
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

test('restart with the cloud unreachable boots the last good remote config; an on-site edit of the file wins over it', async (t) => {
  const tmp = await tempDir();
  const cloud = await startCloudBroker();
  const { model } = await loadModbusModelFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'));
  assert.ok(model);
  const sims = await startSimulators([1, 2].map(() => ({ model, port: 0, unitId: 1 })), { seed: 5 });
  t.after(async () => {
    await sims.stopAll();
    await cloud.stop();
    await tmp.remove();
  });
  const device = (n: number): TestDevice => ({ id: `agv-0${n}`, model: model.id, port: sims.simulators[n - 1]?.port ?? 0, intervalMs: 100 });
  const doc = (devices: TestDevice[]) => {
    const d = siteDocument({ cloudUrl: cloud.url, devices, gateway: { summaryInterval: 100, watchConfig: false }, extra: { log: { level: 'info' } } });
    return { ...d, cloud: { ...(d.cloud as object), remoteConfig: { enabled: true, healthGrace: 10_000 } } };
  };
  const file = path.join(tmp.dir, 'site.yaml');
  await writeFile(file, stringify(doc([device(1)])));

  // Run 1: the cloud pushes a config with a second device; it is applied and reported.
  const reported = cloud.tap('edgeway/e2e/config/reported');
  t.after(() => void reported.stop());
  const first = run(t, file);
  await first.waitFor(/devices up 1\/1 .* cloud online/, 'run 1 polls and is online');
  const app = connect(cloud.url);
  await app.publishAsync('edgeway/e2e/config/desired', JSON.stringify({ version: 'r42', site: doc([device(1), device(2)]) }), { qos: 1, retain: true });
  await app.endAsync();
  await reported.waitFor((msgs) => msgs.some((m) => reportedConfigSchema.parse(JSON.parse(m.payload.toString())).state === 'applied'), 30_000);
  await first.waitFor(/devices up 2\/2/, 'run 1 polls both devices');
  assert.equal(await first.stop(), 0);

  // Run 2: the cloud is down; the gateway boots the remote config from disk.
  await cloud.stop();
  const second = run(t, file);
  await second.waitFor(/devices up 2\/2/, 'run 2 polls both devices without the cloud');
  const booted = second.find(/^booting the last good remote config/);
  assert.ok(booted, 'run 2 says it booted the last good remote config');
  assert.equal(booted.source, 'last-good');
  assert.equal(booted.version, 'r42');
  assert.equal(await second.stop(), 0);

  // Run 3: the site file was edited on site: the edit wins, and the log says why.
  await appendFile(file, '# edited on site\n');
  const third = run(t, file);
  await third.waitFor(/devices up 1\/1/, 'run 3 polls the one device of the file');
  const local = third.find(/^booting the site file/);
  assert.ok(local, 'run 3 says it booted the site file');
  assert.match(local.msg ?? '', /on-site edit wins/);
  assert.equal(await third.stop(), 0);
});

test('a last good config that fails to start at boot (its ops port is taken) is rolled back: the site file boots and the cloud is told', async (t) => {
  const tmp = await tempDir();
  const cloud = await startCloudBroker();
  const { model } = await loadModbusModelFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'));
  assert.ok(model);
  const sims = await startSimulators([{ model, port: 0, unitId: 1 }], { seed: 6 });
  const blocker = net.createServer();
  t.after(async () => {
    blocker.close();
    await sims.stopAll();
    await cloud.stop();
    await tmp.remove();
  });
  const device: TestDevice = { id: 'agv-01', model: model.id, port: sims.simulators[0]?.port ?? 0, intervalMs: 100 };
  const d = siteDocument({ cloudUrl: cloud.url, devices: [device], gateway: { summaryInterval: 100, watchConfig: false }, extra: { log: { level: 'info' } } });
  const doc = { ...d, cloud: { ...(d.cloud as object), remoteConfig: { enabled: true, healthGrace: 10_000 } } };
  const file = path.join(tmp.dir, 'site.yaml');
  await writeFile(file, stringify(doc));
  const reported = cloud.tap('edgeway/e2e/config/reported');
  t.after(() => void reported.stop());
  const reports = () => reported.messages.map((m) => reportedConfigSchema.parse(JSON.parse(m.payload.toString())));

  // Run 1: the cloud turns on the ops endpoint. It is restart-only, so it is applied (and stored)
  // without being tried: the health check cannot test it.
  const opsPort = await freePort();
  const first = run(t, file);
  await first.waitFor(/devices up 1\/1 .* cloud online/, 'run 1 polls and is online');
  const app = connect(cloud.url);
  await app.publishAsync('edgeway/e2e/config/desired', JSON.stringify({ version: 'ops-1', site: { ...doc, ops: { http: { enabled: true, host: '127.0.0.1', port: opsPort } } } }), { qos: 1, retain: true });
  await app.endAsync();
  await until(() => reports().some((r) => r.version === 'ops-1' && r.state === 'applied'), 'ops-1 applied', 30_000);
  assert.equal(await first.stop(), 0);

  // Run 2: another program has taken that port. The last good config cannot start; the site file does.
  await new Promise<void>((resolve) => blocker.listen(opsPort, '127.0.0.1', resolve));
  const second = run(t, file);
  await second.waitFor(/devices up 1\/1 .* cloud online/, 'run 2 runs the site file');
  const failed = second.find(/^the last good remote config ops-1 failed to start at boot/);
  assert.ok(failed, 'the failure is logged');
  assert.ok(failed.level === 50 || failed.level === 'error', `logged at error level (${String(failed.level)})`);
  await until(() => reports().some((r) => r.version === 'ops-1' && r.state === 'rolled-back'), 'the cloud is told ops-1 was rolled back', 30_000);
  const rolledBack = reports().find((r) => r.version === 'ops-1' && r.state === 'rolled-back');
  assert.match(rolledBack?.reason ?? '', /failed to start at boot .*EADDRINUSE|failed to start at boot .*in use/);
  const state = JSON.parse(await readFile(path.join(tmp.dir, 'data/config/reported.json'), 'utf8')) as { report: { version: string; state: string } };
  assert.deepEqual([state.report.version, state.report.state], ['ops-1', 'rolled-back']);
  await access(path.join(tmp.dir, 'data/config/last-good.failed.json'));
  assert.equal(await second.stop(), 0);

  // Run 3: it is not tried again.
  const third = run(t, file);
  await third.waitFor(/devices up 1\/1/, 'run 3 runs the site file');
  assert.ok(third.find(/^booting the site file: no remote config has been applied/));
  assert.equal(third.find(/failed to start at boot/), undefined);
  assert.equal(await third.stop(), 0);
});
