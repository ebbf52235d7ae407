/**
 * What remote config must not do, without a network: take powers or local file paths from the
 * cloud, move the gateway's identity or queue, treat a cleared retained message as a config, stay
 * on the old desired topic after the topic root moved, or hold a shutdown for the health grace.
 * Also: a change of cloud.remoteConfig on site is named restart-required.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chooseBootSite } from '../../src/config/boot.js';
import { cloudLinkChanged, restartRequiredPaths } from '../../src/config/config-diff.js';
import { startConfigControl } from '../../src/config/control.js';
import { configStateDir, RemoteConfigStore, sha256 } from '../../src/config/last-good.js';
import type { LoadedSite } from '../../src/config/load-site.js';
import { RemoteConfig } from '../../src/config/remote-config.js';
import { reportedConfigSchema } from '../../src/config/remote-payload.js';
import { silentLogger } from '../../src/ops/logger.js';
import { FakeGateway, FakeLink } from '../helpers/remote-fakes.js';
import { loadTestSite, siteDocument, tempDir, until } from '../helpers/site.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

type Doc = Record<string, unknown>;
const withCloud = (doc: Doc, cloud: Doc): Doc => ({ ...doc, cloud: { ...(doc.cloud as Doc), ...cloud } });
const withGateway = (doc: Doc, gateway: Doc): Doc => ({ ...doc, gateway: { ...(doc.gateway as Doc), ...gateway } });

/** A site file with remote config on, its loaded site, and a RemoteConfig on a fake gateway and link. */
async function rig(t: { after(fn: () => Promise<void>): void }, local: (doc: Doc) => Doc = (d) => d) {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const file = path.join(tmp.dir, 'site.yaml');
  const doc = local(withCloud(siteDocument({ cloudUrl: 'mqtt://127.0.0.1:1', devices: [] }), { remoteConfig: { enabled: true, healthGrace: 1000 } }));
  await writeFile(file, JSON.stringify(doc));
  const site = await loadTestSite(file);
  const stateDir = configStateDir(site.paths.dataDir);
  const gw = new FakeGateway(site);
  const link = new FakeLink();
  const remote = new RemoteConfig({ target: gw, link, siteFile: file, baseDir: tmp.dir, stateDir, settings: { healthGrace: 1000, maxBytes: 100_000 }, logger: silentLogger() });
  await remote.start();
  t.after(() => remote.stop());
  return { tmp, file, doc, site, stateDir, gw, link, remote };
}

test('a desired config cannot set commands, remote config or local file paths: the site file\'s values run and the report lists what was ignored', async (t) => {
  const r = await rig(t, (d) => withCloud(d, { passwordFile: './cloud.pw', commands: { writes: false, allow: ['status'] } }));
  const desired = withCloud(r.doc, {
    passwordFile: '/etc/shadow',
    tls: { ca: '/etc/ssl/private/site.key' },
    commands: { writes: true, allow: ['status', 'modbus-read', 'restart-device'] },
    remoteConfig: { enabled: true, healthGrace: '10m' },
    healthInterval: 5000,
  });
  r.link.deliver(json({ version: 1, site: desired }));
  await r.remote.idle();
  assert.equal(r.remote.report?.state, 'applied');
  assert.deepEqual(r.remote.report?.ignored, ['site.cloud.remoteConfig', 'site.cloud.commands', 'site.cloud.passwordFile', 'site.cloud.tls']);
  reportedConfigSchema.parse(r.link.published.at(-1));
  const cloud = r.gw.currentSite.config.cloud;
  assert.equal(cloud.passwordFile, './cloud.pw');
  assert.equal(cloud.tls, undefined);
  assert.deepEqual(cloud.commands, r.site.config.cloud.commands);
  assert.equal(cloud.commands.writes, false);
  assert.deepEqual(cloud.remoteConfig, r.site.config.cloud.remoteConfig);
  assert.equal(cloud.healthInterval, 5000, 'the other cloud settings are the desired ones');

  // A password in the desired config does not join the site's password file (never both).
  r.link.deliver(json({ version: 2, site: withCloud(r.doc, { passwordFile: undefined, password: 'from-the-cloud' }) }));
  await r.remote.idle();
  assert.equal(r.remote.report?.state, 'applied');
  assert.equal(r.gw.currentSite.config.cloud.password, undefined);
  assert.equal(r.gw.currentSite.config.cloud.passwordFile, './cloud.pw');
  assert.deepEqual(r.remote.report?.ignored, ['site.cloud.passwordFile', 'site.cloud.password']);

  // A desired config that repeats the site's own values ignores nothing and says nothing about it.
  r.link.deliver(json({ version: 3, site: r.doc }));
  await r.remote.idle();
  assert.equal(r.remote.report?.state, 'applied');
  assert.equal(r.remote.report?.ignored, undefined);
});

test('a desired config that changes gateway.id, gateway.dataDir or queue.path is rejected with a hint, and nothing is applied', async (t) => {
  const r = await rig(t);
  const moved = { ...withGateway(r.doc, { id: 'someone-else', dataDir: './elsewhere' }), queue: { path: '/var/tmp/other-queue' } };
  r.link.deliver(json({ version: 'v1', site: moved }));
  await r.remote.idle();
  const report = r.remote.report;
  assert.equal(report?.state, 'rejected');
  assert.deepEqual(report.problems?.map((p) => p.path), ['site.gateway.id', 'site.gateway.dataDir', 'site.queue.path']);
  assert.ok(report.problems?.every((p) => /^set on site/.test(p.hint ?? '')), JSON.stringify(report.problems));
  assert.match(report.problems?.find((p) => p.path === 'site.gateway.dataDir')?.message ?? '', /elsewhere/);
  assert.equal(r.gw.applied.length, 0);
  assert.equal((await new RemoteConfigStore(r.stateDir).readLastGood()).value, undefined);

  // The same place written another way is not a change: paths are compared resolved.
  r.link.deliver(json({ version: 'v2', site: withGateway(r.doc, { dataDir: path.join(r.tmp.dir, 'data') }) }));
  await r.remote.idle();
  assert.equal(r.remote.report?.state, 'applied');
});

test('an empty message on config/desired (the retained message cleared) is ignored: no report, the state on disk is kept', async (t) => {
  const r = await rig(t);
  r.link.deliver(json({ version: 4, site: r.doc }));
  await r.remote.idle();
  assert.equal(r.remote.report?.state, 'applied');
  const published = r.link.published.length;
  const onDisk = await readFile(new RemoteConfigStore(r.stateDir).stateFile, 'utf8');
  r.link.deliver(Buffer.alloc(0));
  await r.remote.idle();
  assert.equal(r.link.published.length, published, 'nothing is reported');
  assert.equal(r.remote.report?.version, 4);
  assert.equal(r.remote.report.state, 'applied');
  assert.equal(await readFile(new RemoteConfigStore(r.stateDir).stateFile, 'utf8'), onDisk);
  r.link.deliver(json({ version: 5, site: r.doc }));
  await r.remote.idle();
  assert.equal(r.remote.report?.version, 5, 'later versions are still handled');
});

test('after the topic root moves, the next connection moves the desired subscription and the report there', async (t) => {
  const r = await rig(t);
  r.link.topicRoot = 'other/e2e';
  r.link.goOnline();
  assert.equal(r.link.deliver(json({ version: 6, site: r.doc })), true, 'listening on other/e2e/config/desired');
  assert.equal(r.link.deliver(json({ version: 7, site: r.doc }), 'edgeway/e2e'), false, 'no longer on the old root');
  await r.remote.idle();
  assert.equal(r.remote.report?.version, 6);
  assert.equal(r.link.topics.at(-1), 'other/e2e/config/reported');
});

test('boot: a last good config that moves the data dir boots the site file; a booted one runs with the site file\'s commands', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const file = path.join(tmp.dir, 'site.yaml');
  const doc = withCloud(siteDocument({ cloudUrl: 'mqtt://127.0.0.1:1', devices: [] }), { remoteConfig: { enabled: true } });
  await writeFile(file, JSON.stringify(doc));
  const store = new RemoteConfigStore(configStateDir(path.join(tmp.dir, 'data')));
  const localHash = sha256(await readFile(file));
  await store.writeLastGood({ version: 'old', site: withGateway(doc, { dataDir: './data2' }), localHash, appliedAt: 1 });
  const moved = await chooseBootSite(file);
  assert.ok(moved.ok && moved.source === 'local', 'the site file boots');
  assert.match(moved.warning ?? '', /gateway\.dataDir.*only the site file may set/);
  assert.equal(moved.site.paths.dataDir, path.join(tmp.dir, 'data'));

  await store.writeLastGood({ version: 'r2', site: withCloud(doc, { commands: { writes: true }, healthInterval: 7000 }), localHash, appliedAt: 1 });
  const last = await chooseBootSite(file);
  assert.ok(last.ok && last.source === 'last-good');
  assert.equal(last.site.config.cloud.healthInterval, 7000);
  assert.equal(last.site.config.cloud.commands.writes, false, 'commands come from the site file');
});

test('a change of cloud.remoteConfig is named restart-required and does not reconnect the link; cloud.commands is live', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const file = path.join(tmp.dir, 'site.yaml');
  const doc = siteDocument({ cloudUrl: 'mqtt://127.0.0.1:1', devices: [] });
  const load = async (d: Doc): Promise<LoadedSite> => {
    await writeFile(file, JSON.stringify(d));
    return loadTestSite(file);
  };
  const off = await load(withCloud(doc, { remoteConfig: { enabled: false } }));
  const on = await load(withCloud(doc, { remoteConfig: { enabled: true } }));
  assert.deepEqual(restartRequiredPaths(off.config, on.config), ['cloud.remoteConfig']);
  assert.equal(cloudLinkChanged(off.config, on.config), false);
  const writes = await load(withCloud(doc, { remoteConfig: { enabled: false }, commands: { writes: true } }));
  assert.deepEqual(restartRequiredPaths(off.config, writes.config), []);
});

test('shutdown stops remote config first: an edit queued behind a health wait does not hold the stop for the health grace', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const file = path.join(tmp.dir, 'site.yaml');
  const doc = withCloud(siteDocument({ cloudUrl: 'mqtt://127.0.0.1:1', devices: [], gateway: { watchConfig: true } }), { remoteConfig: { enabled: true, healthGrace: '10m' } });
  await writeFile(file, JSON.stringify(doc));
  const boot = await chooseBootSite(file);
  assert.ok(boot.ok);
  const link = new FakeLink();
  const gw = Object.assign(new FakeGateway(boot.site), { cloudLink: link });
  gw.healthView = { devices: [], cloud: 'offline' }; // never healthy: the health wait lasts the whole grace
  const control = await startConfigControl(gw, file, boot, silentLogger());
  let stopped = false;
  t.after(async () => {
    if (!stopped) await control.stop();
  });
  link.deliver(json({ version: 1, site: withCloud(doc, { healthInterval: 5000 }) }));
  await until(() => gw.applied.length === 1 && control.remote?.report?.state === 'applying', 'the desired config is applied and its health wait runs');
  await appendFile(file, '\n');
  const edit = control.watch?.check(); // queued behind the health wait (shared lock)
  void control.stop().then(() => (stopped = true));
  await until(() => stopped, 'control.stop() resolves long before the 10 min health grace', 20_000);
  await edit;
  assert.equal(control.remote?.report?.state, 'applying', 'the interrupted apply is left for the next start to report');
});
