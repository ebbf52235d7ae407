/**
 * Commands from the cloud over the gateway's real cloud link (MQTT 3.1.1, in-process aedes as the
 * cloud) against a simulated AGV: every command's success and error paths, expiry, duplicate ids,
 * the site's authorisation, response topics, and malformed requests. The simulator's write counter
 * shows what reached the device. MQTT 5 (response topic, correlation data) is in
 * test/interop/cloud-commands-mqtt5.test.ts against mosquitto.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ERROR_CODES } from '../../src/errors.js';
import { LogRing } from '../../src/ops/log-ring.js';
import { createLogger } from '../../src/ops/logger.js';
import { agvRig } from '../helpers/agv-rig.js';
import { commander, refusal } from '../helpers/cloud-commander.js';
import { until } from '../helpers/site.js';

const ALL = ['read', 'status', 'logs', 'config', 'restart-device', 'modbus-read'];
const soon = () => Date.now() + 30_000;

async function rig(t: { after(fn: () => Promise<void>): void }, commands: Record<string, unknown> | undefined, gatewayId = 'gw-cc') {
  const ring = new LogRing();
  const logger = createLogger('info', new Writable({ write: (_c, _e, cb) => cb() }), ring);
  const r = await agvRig(t, {
    gatewayId, intervalMs: 60_000, writable: ['target_station'], logger, gatewayOptions: { logs: ring },
    cloud: { password: 'cloud-s3cret-pw', username: 'gw', ...(commands ? { commands } : {}) },
  });
  const cc = await commander(t, r.cloud.url, gatewayId);
  await cc.ready();
  return { ...r, cc };
}

test('cloud commands: read, write, status, logs, config, restart-device and modbus-read, each ok and refused', async (t) => {
  const { sim, gateway, cc } = await rig(t, { writes: true, allow: ALL });
  sim.setPoint('target_station', 77);
  const read = await cc.ask({ id: 'r-1', command: 'read', device: 'agv-01', points: ['target_station', 'battery_soc'] });
  assert.ok(read.ok, JSON.stringify(read));
  const points = (read.result as { points: Record<string, { value: unknown; quality: string; unit?: string }> }).points;
  assert.equal(points.target_station?.value, 77, 'read from the device now (polled once a minute)');
  assert.equal(points.battery_soc?.unit, '%');
  const unknown = refusal(await cc.ask({ id: 'r-2', command: 'read', device: 'agv-01', points: ['target_station', 'nope'] }));
  assert.equal(unknown.code, ERROR_CODES.DEVICE_UNKNOWN);
  assert.match(unknown.message, /no point "nope"/);

  const writes = sim.writeCount;
  const w = await cc.ask({ id: 'w-1', command: 'write', device: 'agv-01', point: 'target_station', value: 42, expiresAt: soon(), by: 'fleet-manager' });
  assert.deepEqual(w.ok && { value: (w.result as { value: unknown }).value }, { value: 42 }, JSON.stringify(w));
  assert.equal(sim.snapshot().target_station, 42);
  const denied = refusal(await cc.ask({ id: 'w-2', command: 'write', device: 'agv-01', point: 'horn_on', value: true, expiresAt: soon() }));
  assert.equal(denied.code, ERROR_CODES.WRITE_DENIED);
  const invalid = refusal(await cc.ask({ id: 'w-3', command: 'write', device: 'agv-01', point: 'target_station', value: 501, expiresAt: soon() }));
  assert.equal(invalid.code, ERROR_CODES.WRITE_INVALID_VALUE);
  assert.equal(sim.writeCount, writes + 1, 'only the allowed write reached the device');

  const status = await cc.ask({ id: 's-1', command: 'status' });
  assert.ok(status.ok, JSON.stringify(status));
  const s1 = status.result as { gateway: string; version: string; uptimeS: number; devices: { id: string }[] };
  assert.deepEqual({ gateway: s1.gateway, device: s1.devices[0]?.id, uptime: typeof s1.uptimeS }, { gateway: 'gw-cc', device: 'agv-01', uptime: 'number' });

  const logs = await cc.ask({ id: 'l-1', command: 'logs', limit: 50, minLevel: 'info' });
  assert.ok(logs.ok, JSON.stringify(logs));
  const lines = (logs.result as { lines: Record<string, unknown>[] }).lines;
  const audit = lines.find((l) => l.msg === 'cloud command' && l.id === 'w-1');
  assert.ok(audit, 'the audit line of the write is in the recent logs');
  assert.deepEqual({ who: audit.who, command: audit.command, device: audit.device, point: audit.point, value: audit.value, outcome: audit.outcome }, {
    who: 'fleet-manager', command: 'write', device: 'agv-01', point: 'target_station', value: 42, outcome: 'ok',
  });
  assert.equal(refusal(await cc.ask({ id: 'l-2', command: 'logs', limit: 5000 })).code, ERROR_CODES.COMMAND_INVALID);
  const small = await cc.ask({ id: 'l-3', command: 'logs', limit: 500, maxBytes: 1024 });
  assert.ok(small.ok && JSON.stringify((small.result as { lines: unknown[] }).lines).length <= 1024, 'within the byte budget');

  const config = await cc.ask({ id: 'c-1', command: 'config' });
  assert.ok(config.ok, JSON.stringify(config));
  const text = JSON.stringify(config.result);
  assert.ok(text.includes('agv-01') && !text.includes('cloud-s3cret-pw'), 'the effective config, password redacted');

  const cycles = gateway.status().devices[0]?.cycles ?? 0;
  assert.ok(cycles >= 1);
  const restarted = await cc.ask({ id: 'x-1', command: 'restart-device', device: 'agv-01', expiresAt: soon() });
  assert.deepEqual(restarted, { id: 'x-1', ok: true, result: { device: 'agv-01', restarted: true } });
  await until(() => gateway.status().devices[0]?.state === 'up', 'the device polled again');
  assert.equal(refusal(await cc.ask({ id: 'x-2', command: 'restart-device', device: 'agv-99', expiresAt: soon() })).code, ERROR_CODES.DEVICE_UNKNOWN);

  sim.setPoint('target_station', 321);
  const raw = await cc.ask({ id: 'm-1', command: 'modbus-read', device: 'agv-01', table: 'holding', address: 200, count: 2 });
  assert.ok(raw.ok, JSON.stringify(raw));
  assert.equal((raw.result as { words: number[] }).words[0], 321, 'the raw register, read now');
  const coils = await cc.ask({ id: 'm-2', command: 'modbus-read', device: 'agv-01', table: 'coil', address: 0, count: 2 });
  assert.ok(coils.ok && Array.isArray((coils.result as { bits: boolean[] }).bits));
  const tooMany = refusal(await cc.ask({ id: 'm-3', command: 'modbus-read', device: 'agv-01', table: 'holding', address: 200, count: 126 }));
  assert.match(tooMany.message, /count: at most 125 registers/);
  const unmapped = refusal(await cc.ask({ id: 'm-4', command: 'modbus-read', device: 'agv-99', table: 'input', address: 0, count: 1 }));
  assert.equal(unmapped.code, ERROR_CODES.DEVICE_UNKNOWN);
  const report = gateway.statusReport();
  assert.ok((report.cloudCommands?.executed ?? 0) >= 8, 'the status report counts cloud commands');
  assert.equal(gateway.cloudCommandStats()?.unanswerable, 0);
});

test('cloud commands: an expired write is refused and not executed; write and restart need an expiry', async (t) => {
  const { sim, cc } = await rig(t, { writes: true, allow: ALL });
  const before = sim.snapshot().target_station;
  const expired = refusal(await cc.ask({ id: 'e-1', command: 'write', device: 'agv-01', point: 'target_station', value: 9, expiresAt: Date.now() - 1000 }));
  assert.equal(expired.code, ERROR_CODES.COMMAND_EXPIRED);
  assert.match(expired.message, /not executed/);
  const missing = refusal(await cc.ask({ id: 'e-2', command: 'write', device: 'agv-01', point: 'target_station', value: 9 }));
  assert.equal(missing.code, ERROR_CODES.COMMAND_INVALID);
  assert.match(missing.message, /write needs an expiry/);
  const far = refusal(await cc.ask({ id: 'e-3', command: 'restart-device', device: 'agv-01', expiresAt: Date.now() + 3_600_000 }));
  assert.match(far.message, /cloud\.commands\.maxExpiry/);
  assert.equal(sim.writeCount, 0, 'nothing reached the device');
  assert.equal(sim.snapshot().target_station, before);
});

test('cloud commands: a duplicate id is answered from memory and the device is written once', async (t) => {
  const { sim, cc } = await rig(t, { writes: true });
  const request = { id: 'd-1', command: 'write', device: 'agv-01', point: 'target_station', value: 31, expiresAt: soon() };
  // Back to back: the second arrives while the first is still running.
  await Promise.all([cc.send(request), cc.send(request)]);
  await until(() => cc.answers.filter((a) => a.body.id === 'd-1').length === 2, 'both answered');
  const [a, b] = cc.answers.filter((x) => x.body.id === 'd-1');
  assert.deepEqual(a?.body, b?.body);
  assert.ok(a?.body.ok);
  assert.equal(sim.writeCount, 1);
  sim.setPoint('target_station', 5);
  await cc.send(request);
  await until(() => cc.answers.filter((x) => x.body.id === 'd-1').length === 3, 'the retry answered');
  assert.deepEqual(cc.answers.filter((x) => x.body.id === 'd-1')[2]?.body, a?.body, 'the first answer again');
  assert.equal(sim.snapshot().target_station, 5, 'not written again');
  assert.equal(sim.writeCount, 1);
  await cc.send({ ...request, value: 32, responseTopic: `${cc.root}/commands/response/reuse` });
  const reused = refusal((await cc.waitFor((x) => x.topic.endsWith('/reuse'), 'the reused id')).body);
  assert.equal(reused.code, ERROR_CODES.COMMAND_INVALID);
  assert.match(reused.message, /id "d-1" was used for a different request/);
  assert.equal(sim.writeCount, 1);
});

test('cloud commands: with the default config writes are refused and only read-only commands run', async (t) => {
  const { sim, cc } = await rig(t, undefined);
  const w = refusal(await cc.ask({ id: 'a-1', command: 'write', device: 'agv-01', point: 'target_station', value: 3, expiresAt: soon() }));
  assert.equal(w.code, ERROR_CODES.COMMAND_DENIED);
  assert.match(w.message, /cloud\.commands\.writes: true/);
  for (const req of [{ id: 'a-2', command: 'restart-device', device: 'agv-01', expiresAt: soon() }, { id: 'a-3', command: 'modbus-read', device: 'agv-01', table: 'coil', address: 0, count: 2 }]) {
    const r = refusal(await cc.ask(req));
    assert.equal(r.code, ERROR_CODES.COMMAND_DENIED, req.command);
    assert.match(r.message, /cloud\.commands\.allow/);
  }
  assert.ok((await cc.ask({ id: 'a-4', command: 'read', device: 'agv-01', points: ['speed'] })).ok);
  assert.equal(sim.writeCount, 0);
});

test('cloud commands: response topics are confined to the response root; retained and id-less requests are refused or counted', async (t) => {
  const { gateway, cc, cloud } = await rig(t, undefined);
  await cc.ask({ id: 'p-1', command: 'status', responseTopic: `${cc.root}/commands/response/app-7/inbox` });
  assert.equal(cc.answers.find((a) => a.body.id === 'p-1')?.topic, `${cc.root}/commands/response/app-7/inbox`);
  for (const [id, topic] of [['p-2', `${cc.root}/data`], ['p-3', 'edgeway/other-gw/commands/request'], ['p-4', `${cc.root}/commands/response`]] as const) {
    const r = refusal(await cc.ask({ id, command: 'status', responseTopic: topic }));
    assert.equal(r.code, ERROR_CODES.COMMAND_INVALID);
    assert.match(r.message, /responseTopic must be below edgeway\/gw-cc\/commands\/response\//);
    assert.equal(cc.answers.find((a) => a.body.id === id)?.topic, `${cc.root}/commands/response/${id}`, 'answered on the default topic');
  }
  // Published live, the broker clears the retain flag: it runs. Redelivered from the broker's
  // retained store on the next connection, it is refused (it could be any age).
  assert.ok((await cc.ask({ id: 'p-5', command: 'status' }, { retain: true })).ok);
  assert.ok(cloud.dropClient('edgeway-gw-cc'));
  const again = await cc.waitFor((a) => a.body.id === 'p-5' && !a.body.ok, 'the retained request on reconnect');
  assert.match(refusal(again.body).message, /retained requests are refused/);
  await cc.client.publishAsync(cc.requestTopic, '', { qos: 1, retain: true }); // clear the retained request
  const received = gateway.cloudCommandStats()?.unanswerable ?? 0;
  for (const junk of ['{"command":"status"}', 'not json', '{"id":"a/b","command":"status"}', 'x'.repeat(20_000)]) await cc.send(junk);
  await until(() => (gateway.cloudCommandStats()?.unanswerable ?? 0) >= received + 4, 'id-less requests counted');
  assert.ok((await cc.ask({ id: 'p-6', command: 'status' })).ok, 'still answering');
});

test('cloud commands: a config change (applySite) applies to the next command without a restart', async (t) => {
  const { gateway, sim, cc } = await rig(t, undefined);
  const request = (id: string) => ({ id, command: 'write', device: 'agv-01', point: 'target_station', value: 8, expiresAt: soon() });
  assert.equal(refusal(await cc.ask(request('g-1'))).code, ERROR_CODES.COMMAND_DENIED);
  const withCommands = (commands: Record<string, unknown>) => {
    const site = gateway.currentSite;
    return { ...site, config: { ...site.config, cloud: { ...site.config.cloud, commands: { ...site.config.cloud.commands, ...commands } } } };
  };
  const report = await gateway.applySite(withCommands({ writes: true }));
  assert.deepEqual(report.reloaded, [], 'the cloud link did not reconnect');
  assert.ok((await cc.ask(request('g-2'))).ok);
  assert.equal(sim.writeCount, 1);

  await gateway.applySite(withCommands({ enabled: false }));
  const off = refusal(await cc.ask({ id: 'g-3', command: 'status' }));
  assert.equal(off.code, ERROR_CODES.COMMAND_DENIED);
  assert.match(off.message, /cloud\.commands\.enabled: false/);
  await gateway.applySite(withCommands({ enabled: true }));
  assert.ok((await cc.ask({ id: 'g-4', command: 'status' })).ok, 'on again');
});

test('cloud commands: after a change of cloud.topicPrefix the gateway listens below the new root only', async (t) => {
  const { gateway, cloud, cc } = await rig(t, undefined);
  const site = gateway.currentSite;
  const report = await gateway.applySite({ ...site, config: { ...site.config, cloud: { ...site.config.cloud, topicPrefix: 'site-b' } } });
  assert.deepEqual(report.reloaded, ['cloud']);
  const moved = await commander(t, cloud.url, 'gw-cc', 4, 'site-b');
  await moved.ready();
  assert.ok((await moved.ask({ id: 'n-1', command: 'status' })).ok);
  const received = gateway.cloudCommandStats()?.received ?? 0;
  await cc.send({ id: 'o-1', command: 'status' });
  assert.ok((await moved.ask({ id: 'n-2', command: 'status' })).ok);
  assert.equal(gateway.cloudCommandStats()?.received, received + 1, 'the old request topic is not handled');
});
