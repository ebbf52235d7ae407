/**
 * The diagnostic providers behind the cloud commands, on a running Gateway with real sockets: raw
 * Modbus reads against an independent Modbus server (values, an exception, a dead device that
 * times out, bad requests that never reach the wire), recent logs from the logger's ring, the
 * redacted effective config and the status report.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/ops/logger.js';
import { LogRing } from '../../src/ops/log-ring.js';
import { isGatewayError, type ErrorCode } from '../../src/errors.js';
import type { RawBitResult, RawRegisterResult } from '../../src/southbound/modbus/raw-read.js';
import { RawModbusServer } from '../helpers/raw-modbus.js';
import { startCloudBroker } from '../helpers/cloud-broker.js';
import { loadTestSite, tempDir, until, writeSite } from '../helpers/site.js';

const HOUR = 3_600_000;

/** A TCP peer that accepts connections and never answers: a device that hangs. */
async function silentDevice(t: TestContext): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as net.AddressInfo).port;
}

interface Rig {
  readonly gateway: Gateway;
  readonly server: RawModbusServer;
  readonly out: string[];
}

async function rig(t: TestContext, o: { withRing?: boolean; dead?: boolean } = {}): Promise<Rig> {
  const tmp = await tempDir();
  const server = new RawModbusServer({ framing: 'tcp', illegalFrom: 1000 });
  await server.start();
  const cloud = await startCloudBroker();
  const devices = [{ id: 'agv-01', model: 'acme-robotics/agv-300', port: server.port, unitId: 7, intervalMs: HOUR }];
  if (o.dead) devices.push({ id: 'agv-dead', model: 'acme-robotics/agv-300', port: await silentDevice(t), unitId: 1, intervalMs: HOUR });
  const file = await writeSite(tmp.dir, {
    gatewayId: 'wh-07', cloudUrl: cloud.url.replace('mqtt://', 'mqtt://gw-user:cloud-Secret-4711@'), devices,
    extra: { log: { level: 'info' }, ops: { http: { enabled: false, token: 'ops-Secret-0123456789' } } },
  });
  const out: string[] = [];
  const logs = new LogRing();
  const logger = createLogger('info', { write: (s: string) => void out.push(s) }, o.withRing === false ? undefined : logs);
  const gateway = new Gateway(await loadTestSite(file), logger, o.withRing === false ? {} : { logs });
  t.after(async () => {
    await gateway.stop();
    await server.stop();
    await cloud.stop();
    await tmp.remove();
  });
  await gateway.start();
  await until(() => gateway.status().devices.find((d) => d.id === 'agv-01')?.state === 'up', 'device connected');
  return { gateway, server, out };
}

async function rejectsWith(p: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(p, (err) => {
    assert.ok(isGatewayError(err), String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

test('raw read: registers with every interpretation and bits, from the device with its unit id', async (t) => {
  const { gateway, server } = await rig(t);
  server.holding.set(300, 0x3fc0).set(301, 0x0000).set(302, 0xfffe);
  server.coils.set(5, true).set(7, true);
  const r = (await gateway.rawRead('agv-01', { table: 'holding', address: 300, count: 3 })) as RawRegisterResult;
  assert.deepEqual(r.words, [0x3fc0, 0, 0xfffe]);
  assert.equal(r.device, 'agv-01');
  assert.equal(r.interpretations.wide.find((w) => w.address === 300 && w.width === 2)?.orders.ABCD.float32, 1.5);
  assert.equal(r.interpretations.registers[2]?.int16, -2);
  assert.deepEqual(server.requests.filter((q) => q.address === 300), [{ unit: 7, fc: 3, address: 300, quantity: 3 }]);

  const bits = (await gateway.rawRead('agv-01', { table: 'coil', address: 4, count: 5 })) as RawBitResult;
  assert.deepEqual(bits.bits, [false, true, false, true, false]);
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'JSON-ready');
});

test('raw read: a Modbus exception is EW_DEVICE_EXCEPTION with its code, and the device stays usable', async (t) => {
  const { gateway, server } = await rig(t);
  await assert.rejects(gateway.rawRead('agv-01', { table: 'holding', address: 999, count: 2 }), (err) => {
    assert.ok(isGatewayError(err));
    assert.equal(err.code, 'EW_DEVICE_EXCEPTION');
    assert.match(err.message, /holding 999\.\.1000: Modbus exception 2 \(illegal data address\)/);
    assert.deepEqual(err.detail, { modbusCode: 2 });
    assert.equal(err.retryable, false);
    return true;
  });
  server.holding.set(998, 42);
  const r = (await gateway.rawRead('agv-01', { table: 'holding', address: 998, count: 1 })) as RawRegisterResult;
  assert.deepEqual(r.words, [42]);
  assert.equal(gateway.status().devices.find((d) => d.id === 'agv-01')?.state, 'up');
});

test('raw read: bad requests and unknown devices are refused before anything is sent', async (t) => {
  const { gateway, server } = await rig(t);
  const before = server.requests.length;
  await rejectsWith(gateway.rawRead('agv-01', { table: 'holding', address: 0, count: 126 }), 'EW_COMMAND_INVALID', /count must be a whole number 1\.\.125/);
  await rejectsWith(gateway.rawRead('agv-01', { table: 'coil', address: 65535, count: 2 }), 'EW_COMMAND_INVALID', /must not pass 65536/);
  await rejectsWith(gateway.rawRead('agv-01', { table: 'registers' as 'holding', address: 0, count: 1 }), 'EW_COMMAND_INVALID', /table must be one of/);
  await rejectsWith(gateway.rawRead('agv-99', { table: 'holding', address: 0, count: 1 }), 'EW_DEVICE_UNKNOWN', /agv-99/);
  assert.equal(server.requests.length, before, 'nothing reached the device');
});

test('raw read: a device that does not answer times out with EW_DEVICE_TIMEOUT after its own timeout; one at a time', async (t) => {
  const { gateway } = await rig(t, { dead: true });
  // The first poll of each group times out and the link is re-made; wait until it is up again.
  await until(() => {
    const d = gateway.status().devices.find((x) => x.id === 'agv-dead');
    return d !== undefined && d.failedCycles >= 1 && d.state === 'up';
  }, 'dead device polled once and reconnected', 15_000);
  const first = gateway.rawRead('agv-dead', { table: 'input', address: 100, count: 4 });
  // One raw read per device at a time: a second one while the first waits is refused, not queued.
  await rejectsWith(gateway.rawRead('agv-dead', { table: 'holding', address: 0, count: 1 }), 'EW_COMMAND_BUSY', /already running/);
  await rejectsWith(first, 'EW_DEVICE_TIMEOUT', /raw read of input 100\.\.103: no answer within the request timeout/);
  // The other device on its own connection is not affected.
  const r = (await gateway.rawRead('agv-01', { table: 'holding', address: 0, count: 1 })) as RawRegisterResult;
  assert.deepEqual(r.words, [0]);
  // The runner noticed the connection is no longer trusted and re-makes it.
  await until(() => gateway.busStats().some((b) => b.opens >= 3), 'dead device reconnected after the raw read timed out', 15_000);
});

test('recent logs: the gateway\'s own lines, redacted, newest last, filtered by level', async (t) => {
  const { gateway, out } = await rig(t);
  const lines = gateway.recentLogs({ limit: 500 }) as { msg: string; level: number; module?: string }[];
  assert.ok(lines.some((l) => l.msg === 'gateway started' && l.module === 'gateway'), JSON.stringify(lines.map((l) => l.msg)));
  assert.equal(lines.length, out.length, 'the ring holds every line written');
  assert.deepEqual(lines.at(-1), JSON.parse(out.at(-1) ?? '{}'));
  assert.equal(gateway.recentLogs({ limit: 1 }).length, 1);
  assert.ok((gateway.recentLogs({ limit: 500, minLevel: 'warn' }) as { level: number }[]).every((l) => l.level >= 40));
  assert.ok(!JSON.stringify(lines).includes('Secret'));
  assert.throws(() => gateway.recentLogs({ limit: 10, minLevel: 'chatty' }), (err) => isGatewayError(err) && err.code === 'EW_COMMAND_INVALID');
});

test('recent logs without a ring: EW_LOGS_UNAVAILABLE says why', async (t) => {
  const { gateway } = await rig(t, { withRing: false });
  assert.throws(() => gateway.recentLogs({ limit: 10 }), (err) => isGatewayError(err) && err.code === 'EW_LOGS_UNAVAILABLE' && /without a log ring/.test(err.message));
});

test('effective config: the running config without secrets, and the models in use', async (t) => {
  const { gateway } = await rig(t);
  const doc = gateway.effectiveConfig();
  const text = JSON.stringify(doc);
  assert.ok(!text.includes('Secret'), text);
  const config = doc.config as { cloud: { url: string }; ops: { http: { token: string } }; devices: { connection: { unitId: number } }[] };
  assert.match(config.cloud.url, /^mqtt:\/\/gw-user:\[redacted\]@127\.0\.0\.1:\d+$/);
  assert.equal(config.ops.http.token, '[redacted]');
  assert.equal(config.devices[0]?.connection.unitId, 7);
  assert.deepEqual(doc.models.map((m) => [m.id, m.devices]), [['acme-robotics/agv-300', ['agv-01']]]);
});

test('status report: versions, uptime, devices with degradation, link, queue, broker; JSON-ready', async (t) => {
  const { gateway } = await rig(t, { dead: true });
  await until(() => (gateway.status().devices.find((x) => x.id === 'agv-dead')?.failedCycles ?? 0) >= 1, 'dead device failed a cycle', 15_000);
  const now = Date.now() + 90_000;
  const r = gateway.statusReport(now);
  assert.equal(r.gateway, 'wh-07');
  assert.equal(r.node, process.version);
  assert.ok(r.uptimeS >= 90 && r.uptimeS < 200, String(r.uptimeS));
  assert.equal(r.time, new Date(now).toISOString());
  const dead = r.devices.find((d) => d.id === 'agv-dead');
  assert.ok(dead && dead.failedCycles >= 1 && dead.cycles >= dead.failedCycles && typeof dead.degraded === 'boolean', JSON.stringify(dead));
  assert.equal(r.devices.find((d) => d.id === 'agv-01')?.state, 'up');
  assert.equal(typeof r.queue.depth, 'number');
  assert.equal(typeof r.cloud.state, 'string');
  assert.equal(typeof r.broker?.clients, 'number');
  assert.equal(r.buses.length, 2);
  assert.ok((r.logs?.lines ?? 0) > 0);
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});
