/**
 * Remote config pieces without a network: the desired message envelope (size cap, JSON, model ids),
 * staging through the site loader (problem paths inside the message, remote models, relative paths),
 * the health judgement, the once-per-version state machine across restarts, boot precedence and the
 * atomic file write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { writeFileAtomic } from '../../src/config/atomic-file.js';
import { chooseBootSite } from '../../src/config/boot.js';
import { healthProblems } from '../../src/config/health-check.js';
import { configStateDir, RemoteConfigStore, sha256 } from '../../src/config/last-good.js';
import type { LoadedSite } from '../../src/config/load-site.js';
import type { HealthView } from '../../src/config/reconfigure.js';
import { RemoteConfig } from '../../src/config/remote-config.js';
import { parseDesired } from '../../src/config/remote-payload.js';
import { stageDesired } from '../../src/config/stage.js';
import { silentLogger } from '../../src/ops/logger.js';
import { applyReport, FakeGateway, FakeLink } from '../helpers/remote-fakes.js';
import { ADAPTERS, loadTestSite, siteDocument, tempDir } from '../helpers/site.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

test('desired envelope: size cap, JSON, strict keys, safe model ids; the version is named when readable', () => {
  const big = parseDesired(Buffer.alloc(2000, 0x20), 1000);
  assert.equal(big.ok, false);
  assert.match(!big.ok ? big.problems[0]?.message ?? '' : '', /2000 bytes, above the limit of 1000/);
  const notJson = parseDesired(Buffer.from('{"version":'), 1000);
  assert.ok(!notJson.ok && /not JSON/.test(notJson.problems[0]?.message ?? ''));
  const extra = parseDesired(json({ version: 3, site: {}, sight: {} }), 1000);
  assert.ok(!extra.ok);
  assert.equal(extra.version, 3);
  assert.ok(extra.problems.some((p) => /unknown key "sight"/.test(p.message)));
  for (const id of ['../../etc/passwd', 'acme/../x', 'acme', 'a/b/c', '/abs']) {
    const r = parseDesired(json({ version: 'v1', site: {}, models: { [id]: {} } }), 10_000);
    assert.ok(!r.ok, id);
    assert.ok(r.problems.some((p) => p.path.startsWith('models')), `${id}: ${JSON.stringify(r.problems)}`);
  }
  const missing = parseDesired(json({ site: {} }), 1000);
  assert.ok(!missing.ok && missing.version === null && missing.problems.some((p) => p.path === 'version'));
  assert.ok(parseDesired(json({ version: 'v1', site: {}, models: { 'acme-robotics/agv-310': {} } }), 1000).ok);
});

async function agvModelAs(id: string): Promise<Record<string, unknown>> {
  const model = parse(await readFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'), 'utf8')) as Record<string, unknown>;
  delete model.$schema;
  return { ...model, id };
}

test('staging: problems are named by their path in the message; remote models join the catalog; relative paths use the base directory', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const site = siteDocument({ cloudUrl: 'mqtt://127.0.0.1:1', devices: [{ id: 'agv-01', model: 'acme-robotics/agv-310', port: 1502 }] });
  (site.gateway as Record<string, unknown>).modelPaths = [path.relative(tmp.dir, ADAPTERS)];
  const model = await agvModelAs('acme-robotics/agv-310');
  const ok = await stageDesired({ site, models: { 'acme-robotics/agv-310': model } }, path.join(tmp.dir, 'stage'), tmp.dir);
  assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.problems));
  assert.equal(ok.site.devices[0]?.model.id, 'acme-robotics/agv-310');
  assert.equal(ok.site.paths.base, tmp.dir);
  assert.equal(ok.site.paths.dataDir, path.join(tmp.dir, 'data'), 'dataDir ./data resolves against the base, not the staging dir');

  const bad = await stageDesired(
    { site: { ...site, devices: [{ id: 'agv-01', model: 'acme-robotics/agv-310', connection: { transport: 'tcp', host: '127.0.0.1', port: -1 } }] }, models: { 'acme-robotics/agv-310': { ...model, maxGap: 'lots' } } },
    path.join(tmp.dir, 'stage'), tmp.dir,
  );
  assert.ok(!bad.ok);
  const paths = bad.problems.map((p) => p.path);
  assert.ok(paths.includes('site.devices[0].connection.port'), paths.join(', '));
  assert.ok(paths.includes('models["acme-robotics/agv-310"].maxGap'), paths.join(', '));
  assert.ok(bad.problems.every((p) => p.file === undefined), 'no staging file names leak into the report');
});

const report = applyReport;
const dev = (id: string, state: 'up' | 'down' | 'connecting', cycles: number, failedCycles = 0, lastError?: string) => ({ id, state, cycles, failedCycles, ...(lastError ? { lastError } : {}) });

test('health: new devices and changed ones that were up need a good cycle, devices up before must be up, the cloud online; devices already failing do not count', () => {
  // r: a robot under repair (down before) whose interval the change touched: not required to poll.
  const before: HealthView = { devices: [dev('a', 'up', 9), dev('b', 'down', 9, 9), dev('c', 'up', 9), dev('r', 'down', 9, 9)], cloud: 'online' };
  const r = report({ added: ['n'], restarted: ['c', 'r'], unchanged: ['a', 'b'] });
  const healthy: HealthView = { devices: [dev('a', 'up', 10), dev('b', 'down', 10, 10), dev('c', 'up', 1), dev('n', 'up', 2, 1), dev('r', 'connecting', 0)], cloud: 'online' };
  assert.deepEqual(healthProblems(before, r, healthy), []);
  // An added device is new: it must poll even though it was not there (so not up) before.
  const addedDown: HealthView = { ...healthy, devices: [...healthy.devices.filter((d) => d.id !== 'n'), dev('n', 'down', 3, 3, 'connect ECONNREFUSED')] };
  assert.deepEqual(healthProblems(before, r, addedDown).map((p) => p.path), ['devices.n']);
  const sick: HealthView = { devices: [dev('a', 'down', 10, 1, 'connect ECONNREFUSED'), dev('b', 'down', 10, 10), dev('c', 'up', 3, 3), dev('n', 'connecting', 0), dev('r', 'down', 1, 1)], cloud: 'offline' };
  const problems = healthProblems(before, r, sick);
  assert.deepEqual(problems.map((p) => p.path), ['devices.a', 'devices.c', 'devices.n', 'cloud']);
  assert.equal(problems[0]?.code, 'EW_DEVICE_DISCONNECTED');
  assert.match(problems[0]?.message ?? '', /was up before the change and is down now .*ECONNREFUSED/);
  assert.match(problems[1]?.message ?? '', /has not completed a good poll cycle/);
  assert.equal(problems[3]?.code, 'EW_CLOUD_UNREACHABLE');
});

test('remote config handles a version once, across a restart; an apply cut short by a stop is reported rolled back at the next start', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const file = path.join(tmp.dir, 'site.yaml');
  const doc = siteDocument({ cloudUrl: 'mqtt://127.0.0.1:1', devices: [] });
  await writeFile(file, JSON.stringify(doc));
  const site = await loadTestSite(file);
  const stateDir = configStateDir(site.paths.dataDir);
  const start = async (target: FakeGateway, link: FakeLink) => {
    const remote = new RemoteConfig({ target, link, siteFile: file, baseDir: tmp.dir, stateDir, settings: { healthGrace: 1000, maxBytes: 100_000 }, logger: silentLogger() });
    await remote.start();
    t.after(() => remote.stop());
    return remote;
  };
  const gw = new FakeGateway(site);
  const link = new FakeLink();
  const remote = await start(gw, link);
  const v1 = json({ version: 1, site: { ...doc, gateway: { ...(doc.gateway as object), summaryInterval: 5000 } } });
  link.deliver(v1);
  await remote.idle();
  assert.deepEqual(link.published.map((r) => `${String(r.version)}:${r.state}`), ['1:applying', '1:applied']);
  assert.equal(gw.applied.length, 1);
  link.deliver(v1);
  link.deliver(json({ version: 1, site: doc, note: 'same version, other bytes' }));
  link.deliver(json({ version: 1, site: doc }));
  await remote.idle();
  assert.equal(gw.applied.length, 1, 'version 1 is not applied again');
  const lastGood = await new RemoteConfigStore(stateDir).readLastGood();
  assert.equal(lastGood.value?.version, 1);
  assert.equal(lastGood.value?.localHash, sha256(await readFile(file)));
  await remote.stop();

  // A restart: the retained message arrives again and is still not applied.
  const gw2 = new FakeGateway(site);
  const link2 = new FakeLink();
  const remote2 = await start(gw2, link2);
  link2.deliver(json({ version: 1, site: doc }));
  await remote2.idle();
  assert.equal(gw2.applied.length, 0);
  assert.equal(remote2.report?.state, 'applied');
  await remote2.stop();

  // A stop during the health wait leaves "applying" on disk; the next start reports it rolled back and does not retry.
  const store = new RemoteConfigStore(stateDir);
  await store.writeState({ version: 2, state: 'applying', ts: 1 }, 'digest-of-2');
  const gw3 = new FakeGateway(site);
  const link3 = new FakeLink();
  const remote3 = await start(gw3, link3);
  assert.equal(remote3.report?.state, 'rolled-back');
  assert.match(remote3.report?.reason ?? '', /stopped while applying/);
  link3.deliver(json({ version: 2, site: doc }));
  await remote3.idle();
  assert.equal(gw3.applied.length, 0);
});

test('remote config: an apply that throws is rolled back and reported, and the last good config is not replaced', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const file = path.join(tmp.dir, 'site.yaml');
  const doc = siteDocument({ cloudUrl: 'mqtt://127.0.0.1:1', devices: [] });
  await writeFile(file, JSON.stringify(doc));
  const site = await loadTestSite(file);
  const gw = new FakeGateway(site);
  let fail = true;
  const apply = gw.applySite.bind(gw);
  gw.applySite = (next: LoadedSite) => {
    if (fail) {
      fail = false;
      return Promise.reject(new Error('bus registry refused the port'));
    }
    return apply(next);
  };
  const link = new FakeLink();
  const stateDir = configStateDir(site.paths.dataDir);
  const remote = new RemoteConfig({ target: gw, link, siteFile: file, baseDir: tmp.dir, stateDir, settings: { healthGrace: 1000, maxBytes: 100_000 }, logger: silentLogger() });
  await remote.start();
  t.after(() => remote.stop());
  link.deliver(json({ version: 5, site: doc }));
  await remote.idle();
  assert.equal(remote.report?.state, 'rolled-back');
  assert.match(remote.report?.reason ?? '', /bus registry refused the port/);
  assert.equal(gw.applied.at(-1), site, 'the previous config was applied again');
  assert.equal((await new RemoteConfigStore(stateDir).readLastGood()).value, undefined);
});

test('boot: the site file without a recorded remote config, with an unreadable one, or edited since, boots; otherwise the last good', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const file = path.join(tmp.dir, 'site.yaml');
  const doc = siteDocument({ cloudUrl: 'mqtt://127.0.0.1:1', devices: [] });
  const enabled: Record<string, unknown> = { ...doc, cloud: { ...(doc.cloud as object), remoteConfig: { enabled: true } } };
  await writeFile(file, JSON.stringify(enabled));
  const first = await chooseBootSite(file);
  assert.ok(first.ok && first.source === 'local' && /no remote config/.test(first.reason));
  const store = new RemoteConfigStore(configStateDir(path.join(tmp.dir, 'data')));
  await writeFileAtomic(store.lastGoodFile, '{"broken');
  const broken = await chooseBootSite(file);
  assert.ok(broken.ok && broken.source === 'local' && broken.warning !== undefined && /not JSON/.test(broken.warning));

  const remoteSite = { ...enabled, gateway: { ...(enabled.gateway as object), summaryInterval: 7000 } };
  await store.writeLastGood({ version: 'r1', site: remoteSite, localHash: sha256(await readFile(file)), appliedAt: 1 });
  const last = await chooseBootSite(file);
  assert.ok(last.ok && last.source === 'last-good' && last.version === 'r1');
  assert.equal(last.site.config.gateway.summaryInterval, 7000);
  assert.equal(last.local.config.gateway.summaryInterval, 0);

  await writeFile(file, `${JSON.stringify(enabled)}\n`);
  const edited = await chooseBootSite(file);
  assert.ok(edited.ok && edited.source === 'local' && /on-site edit wins/.test(edited.reason));

  await writeFile(file, JSON.stringify(doc));
  const off = await chooseBootSite(file);
  assert.ok(off.ok && off.source === 'local' && /remote config is off/.test(off.reason));
});

test('atomic write replaces the file by a rename: a reader holding the old file still reads it whole; no temp file stays', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const file = path.join(tmp.dir, 'state', 'x.json');
  await writeFileAtomic(file, 'one');
  // A reader that opened the file before the write: an in-place write (plain writeFile truncates
  // and rewrites the same inode) would show it the new or half-written bytes; a rename leaves it
  // the old file, complete. That is what makes a crash mid-write leave the old version.
  const reader = await open(file, 'r');
  t.after(() => reader.close());
  const inode = (await stat(file)).ino;
  await writeFileAtomic(file, 'two, longer than one');
  assert.equal(await readFile(file, 'utf8'), 'two, longer than one');
  assert.equal((await reader.readFile()).toString('utf8'), 'one', 'the old file was replaced, not rewritten in place');
  assert.notEqual((await stat(file)).ino, inode);
  assert.equal((await stat(file)).mode & 0o777, 0o600, 'state files are readable by the gateway user only');
  assert.deepEqual(await readdir(path.dirname(file)), ['x.json']);
});
