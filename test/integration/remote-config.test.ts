/**
 * Remote config end to end: a real Gateway, simulated AGVs over TCP, an aedes broker as the cloud
 * publishing a retained desired config; the gateway applies it without a restart and reports, rejects
 * a config that does not validate, and rolls back one that validates but fails its health check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connect } from 'mqtt';
import { stringify } from 'yaml';
import { loadModbusModelFile } from '../../src/catalog/load.js';
import { chooseBootSite } from '../../src/config/boot.js';
import { startConfigControl, type ConfigControl } from '../../src/config/control.js';
import { reportedConfigSchema, type ReportedConfig } from '../../src/config/remote-payload.js';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/ops/logger.js';
import { startSimulators } from '../../src/sim/index.js';
import { startCloudBroker, type CloudBroker } from '../helpers/cloud-broker.js';
import { freePort } from '../helpers/free-port.js';
import { ADAPTERS, siteDocument, tempDir, until, type TestDevice } from '../helpers/site.js';

const ROOT = 'edgeway/e2e';

async function rig(t: { after(fn: () => Promise<void>): void }, healthGrace = 5000) {
  const tmp = await tempDir();
  const cloud = await startCloudBroker();
  const { model } = await loadModbusModelFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'));
  if (!model) throw new Error('the shipped AGV model does not load');
  const sims = await startSimulators([1, 2].map(() => ({ model, port: 0, unitId: 1 })), { seed: 11 });
  const device = (n: number, port = sims.simulators[n - 1]?.port ?? 0): TestDevice => ({ id: `agv-0${n}`, model: model.id, port, intervalMs: 100 });
  const doc = (devices: TestDevice[], cloudUrl = cloud.url): Record<string, unknown> => {
    const d = siteDocument({ cloudUrl, devices, gateway: { watchConfig: false } });
    return { ...d, cloud: { ...(d.cloud as object), url: cloudUrl, remoteConfig: { enabled: true, healthGrace } } };
  };
  const file = path.join(tmp.dir, 'site.yaml');
  await writeFile(file, stringify(doc([device(1)])));
  const boot = await chooseBootSite(file);
  if (!boot.ok) throw new Error('test site does not load');
  const gateway = new Gateway(boot.site, silentLogger());
  const reported = cloud.tap(`${ROOT}/config/reported`);
  const started: { control?: ConfigControl } = {};
  t.after(async () => {
    await started.control?.stop();
    await gateway.stop();
    await reported.stop();
    await sims.stopAll();
    await cloud.stop();
    await tmp.remove();
  });
  await gateway.start();
  const control = await startConfigControl(gateway, file, boot, silentLogger());
  started.control = control;
  const cycles = (id: string) => gateway.health().devices.find((d) => d.id === id)?.cycles ?? -1;
  await until(() => cycles('agv-01') >= 2 && gateway.health().cloud === 'online', 'agv-01 polls and the cloud link is online');
  const reports = (): ReportedConfig[] => reported.messages.map((m) => reportedConfigSchema.parse(JSON.parse(m.payload.toString())));
  const waitReport = async (pred: (r: ReportedConfig) => boolean, timeoutMs = 15_000) => {
    await reported.waitFor(() => reports().some(pred), timeoutMs);
    return reports().find(pred) as ReportedConfig;
  };
  return { tmp, cloud, gateway, control, device, doc, cycles, reports, waitReport, file };
}

async function publishDesired(cloud: CloudBroker, payload: unknown, root = ROOT): Promise<void> {
  const client = connect(cloud.url, { clientId: `cloud-app-${Math.random().toString(16).slice(2, 8)}` });
  try {
    await client.publishAsync(`${root}/config/desired`, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1, retain: true });
  } finally {
    await client.endAsync();
  }
}

test('a valid desired config is applied without restart, reported with its version and stored as last good; not re-applied on reconnect', async (t) => {
  const r = await rig(t);
  const before = r.cycles('agv-01');
  const site = { ...r.doc([r.device(1), r.device(2)]), queue: { maxBytes: '64MiB' } };
  await publishDesired(r.cloud, { version: 7, site });
  const applied = await r.waitReport((x) => x.version === 7 && x.state === 'applied');
  assert.equal(applied.problems, undefined);
  assert.deepEqual(applied.restartRequired, ['queue.maxBytes'], 'a setting that needs a restart says so');
  assert.ok(r.reports().some((x) => x.version === 7 && x.state === 'applying'), 'applying is reported first');
  assert.ok(r.cycles('agv-02') >= 1, 'the new device completed a poll cycle');
  assert.ok(r.cycles('agv-01') > before, 'the unchanged device kept its runner (its cycle count went on)');
  assert.deepEqual(r.gateway.currentSite.devices.map((d) => d.config.id), ['agv-01', 'agv-02']);
  const lastGood = JSON.parse(await readFile(path.join(r.tmp.dir, 'data/config/last-good.json'), 'utf8')) as { version: number; site: { devices: unknown[] } };
  assert.equal(lastGood.version, 7);
  assert.equal(lastGood.site.devices.length, 2);

  // The retained desired config arrives again after a reconnect: the same version is not applied twice.
  const agv2 = r.cycles('agv-02');
  const count = r.reports().length;
  assert.ok(r.cloud.dropClient('edgeway-e2e'));
  await until(() => r.reports().length > count, 'the report is published again on the new connection', 15_000);
  await r.control.remote?.idle();
  assert.deepEqual(r.reports().slice(count).map((x) => `${String(x.version)}:${x.state}`), ['7:applied']);
  assert.ok(r.cycles('agv-02') >= agv2, 'agv-02 was not restarted');
});

test('a desired config that does not validate is rejected with every problem; the running config is untouched', async (t) => {
  const r = await rig(t);
  const running = r.gateway.currentSite;
  const site = r.doc([r.device(1)]);
  (site.devices as Record<string, unknown>[]).push(
    { id: 'agv-02', model: 'acme-robotics/agv-999', connection: { transport: 'tcp', host: '127.0.0.1', port: 502 } },
    { id: 'agv-03', model: 'acme-robotics/agv-300', connection: { transport: 'tcp', host: '127.0.0.1', port: 70_000 } },
  );
  await publishDesired(r.cloud, { version: 'v8', site });
  const rejected = await r.waitReport((x) => x.version === 'v8');
  assert.equal(rejected.state, 'rejected');
  const paths = (rejected.problems ?? []).map((p) => p.path);
  assert.ok(paths.includes('site.devices[1].model'), `unknown model reported: ${paths.join(', ')}`);
  assert.ok(paths.some((p) => p.startsWith('site.devices[2].connection')), `bad port reported: ${paths.join(', ')}`);
  assert.ok((rejected.problems ?? []).some((p) => /unknown model "acme-robotics\/agv-999"/.test(p.message)));
  assert.equal(r.gateway.currentSite, running, 'the running config object was not replaced');
  const now = r.cycles('agv-01');
  await until(() => r.cycles('agv-01') > now, 'agv-01 keeps polling');

  // An unreadable message is rejected too (with no version to name).
  await publishDesired(r.cloud, '{"version": 9, "site": ');
  const unreadable = await r.waitReport((x) => x.version === null);
  assert.equal(unreadable.state, 'rejected');
  assert.match(unreadable.problems?.[0]?.message ?? '', /not JSON/);
});

test('a desired config that validates but fails health rolls back to the previous config and says why', async (t) => {
  const r = await rig(t, 1500);
  const nobody = await freePort();
  await publishDesired(r.cloud, { version: 9, site: r.doc([r.device(1), { ...r.device(2), id: 'agv-09', port: nobody }]) });
  const report = await r.waitReport((x) => x.version === 9 && x.state !== 'applying');
  assert.equal(report.state, 'rolled-back');
  const problem = report.problems?.find((p) => p.path === 'devices.agv-09');
  assert.ok(problem, `agv-09 named: ${JSON.stringify(report.problems)}`);
  assert.equal(problem.code, 'EW_DEVICE_DISCONNECTED');
  assert.match(report.reason ?? '', /rolled back/);
  await until(() => r.gateway.health().devices.length === 1, 'the unreachable device is gone again');
  assert.deepEqual(r.gateway.currentSite.devices.map((d) => d.config.id), ['agv-01']);
  const now = r.cycles('agv-01');
  await until(() => r.cycles('agv-01') > now, 'agv-01 keeps polling after the rollback');
});

test('a desired cloud URL that cannot connect rolls back to the working link', async (t) => {
  const r = await rig(t, 1500);
  const nobody = await freePort();
  await publishDesired(r.cloud, { version: 10, site: r.doc([r.device(1)], `mqtt://127.0.0.1:${nobody}`) });
  // The report can only reach the cloud once the link is back on the old URL: that it arrives proves the rollback.
  const report = await r.waitReport((x) => x.version === 10 && x.state !== 'applying', 20_000);
  assert.equal(report.state, 'rolled-back');
  assert.ok(report.problems?.some((p) => p.path === 'cloud' && p.code === 'EW_CLOUD_UNREACHABLE'));
  assert.equal(r.gateway.currentSite.config.cloud.url, r.cloud.url);
});

test('a desired cloud broker that accepts the connection but refuses the control subscriptions rolls back', async (t) => {
  const r = await rig(t, 3000);
  // An ACL that lets the gateway in and publish, but not subscribe: the cloud could never reach it again.
  const deaf = await startCloudBroker({ aedes: { authorizeSubscribe: (_client, _sub, done) => done(null, null) } });
  t.after(() => deaf.stop());
  await publishDesired(r.cloud, { version: 12, site: r.doc([r.device(1)], deaf.url) });
  const report = await r.waitReport((x) => x.version === 12 && x.state !== 'applying', 20_000);
  assert.equal(report.state, 'rolled-back');
  assert.ok(report.problems?.some((p) => p.path === 'cloud' && p.code === 'EW_CLOUD_REFUSED'), JSON.stringify(report.problems));
  assert.equal(r.gateway.currentSite.config.cloud.url, r.cloud.url);
});

test('a desired config that moves cloud.topicPrefix is applied; the next version, on the new root, is applied too', async (t) => {
  const r = await rig(t);
  const moved = r.cloud.tap('other/e2e/config/reported');
  t.after(() => moved.stop());
  const movedReports = () => moved.messages.map((m) => reportedConfigSchema.parse(JSON.parse(m.payload.toString())));
  const withPrefix = (site: Record<string, unknown>) => ({ ...site, cloud: { ...(site.cloud as object), topicPrefix: 'other' } });
  await publishDesired(r.cloud, { version: 1, site: withPrefix(r.doc([r.device(1)])) });
  await moved.waitFor(() => movedReports().some((x) => x.version === 1 && x.state === 'applied'), 15_000);
  await publishDesired(r.cloud, { version: 2, site: withPrefix(r.doc([r.device(1), r.device(2)])) }, 'other/e2e');
  await moved.waitFor(() => movedReports().some((x) => x.version === 2 && x.state === 'applied'), 15_000);
  assert.deepEqual(r.gateway.currentSite.devices.map((d) => d.config.id), ['agv-01', 'agv-02']);
  assert.equal(r.gateway.currentSite.config.cloud.topicPrefix, 'other');
});
