/**
 * Logs: levels per module from `log.modules`, and secrets (cloud password, broker user passwords,
 * status page token) never written, at any level. Output captured through a pino destination.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'mqtt';
import { Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/ops/logger.js';
import { startCloudBroker } from '../helpers/cloud-broker.js';
import { loadTestSite, until, writeSite } from '../helpers/site.js';
import { agvSimulator } from '../helpers/agv-rig.js';

interface Line { level: number; msg: string; module?: string; device?: string }

function capture() {
  const raw: string[] = [];
  return { raw, lines: () => raw.map((l) => JSON.parse(l) as Line), logger: (level: string) => createLogger(level, { write: (s: string) => void raw.push(s) }) };
}

async function runGateway(t: TestContext, extra: Record<string, unknown>, level: string, body: (gw: Gateway, brokerPort: number) => Promise<void>) {
  const { sim, dir } = await agvSimulator(t, 2);
  const cloud = await startCloudBroker({
    aedes: { authenticate: (_c, user, pass, done) => done(null, user === 'gw-user' && pass?.toString() === 'cloud-Secret-4711') },
  });
  const file = await writeSite(dir, {
    cloudUrl: cloud.url,
    devices: [
      { id: 'agv-01', model: 'acme-robotics/agv-300', port: sim.port, intervalMs: 50 },
      { id: 'agv-dead', model: 'acme-robotics/agv-300', port: 1, intervalMs: 50 },
    ],
    extra,
  });
  const out = capture();
  const site = await loadTestSite(file);
  const gateway = new Gateway({ ...site, config: { ...site.config, cloud: { ...site.config.cloud, url: site.config.cloud.url.replace('mqtt://', 'mqtt://gw-user:cloud-Secret-4711@'), username: 'gw-user', password: 'cloud-Secret-4711' } } }, out.logger(level));
  t.after(async () => {
    await gateway.stop();
    await cloud.stop();
  });
  await gateway.start();
  await until(() => gateway.status().cloud.state === 'online' && gateway.status().queue.delivered > 0, 'delivering to the cloud');
  await body(gateway, gateway.brokerPort ?? 0);
  await gateway.stop();
  return out;
}

test('log.modules sets a level per module, above or below log.level', async (t) => {
  const tuned = await runGateway(t, { log: { level: 'warn', modules: { cloud: 'debug', devices: 'error' } } }, 'warn', async () => {});
  const lines = tuned.lines();
  assert.ok(lines.some((l) => l.module === 'cloud' && l.level === 30), 'cloud info lines although log.level is warn');
  assert.ok(!lines.some((l) => l.msg === 'device connect failed'), 'device warnings silenced by devices: error');
  assert.ok(!lines.some((l) => l.msg === 'gateway started'), 'other modules keep log.level warn');

  const plain = await runGateway(t, { log: { level: 'warn' } }, 'warn', async () => {});
  const base = plain.lines();
  assert.ok(base.some((l) => l.msg === 'device connect failed' && l.device === 'agv-dead' && l.module === 'devices'));
  assert.ok(!base.some((l) => l.module === 'cloud' && l.level < 40));
});

test('secrets never reach the logs, at any level', async (t) => {
  const users = [{ username: 'app', password: 'broker-Secret-1' }, { username: 'ops', password: 'broker-Secret-2' }];
  const modules = { gateway: 'trace', devices: 'trace', cloud: 'trace', broker: 'trace', ops: 'trace' };
  const extra = {
    log: { level: 'trace', modules },
    broker: { host: '127.0.0.1', port: 0, allowAnonymous: false, users },
    ops: { http: { enabled: true, host: '127.0.0.1', port: 0, statusPage: true, token: 'status-Secret-0123456789' } },
  };
  const out = await runGateway(t, extra, 'trace', async (_gw, port) => {
    for (const [username, password] of [['app', 'broker-Secret-1'], ['app', 'broker-Secret-2'], ['ops', 'broker-Secret-1']] as const) {
      const client = connect(`mqtt://127.0.0.1:${port}`, { username, password, reconnectPeriod: 0, protocolVersion: 4 });
      await new Promise<void>((resolve) => {
        client.once('connect', () => resolve());
        client.once('error', () => resolve());
        client.once('close', () => resolve());
      });
      await client.endAsync(true);
    }
  });
  const text = out.raw.join('');
  assert.ok(out.lines().some((l) => l.msg === 'effective config'), 'the config itself was logged (trace)');
  assert.ok(out.lines().some((l) => l.msg === 'broker: connection refused'), 'the refused logins were logged');
  assert.match(text, /\[redacted\]/);
  for (const secret of ['cloud-Secret-4711', 'broker-Secret-1', 'broker-Secret-2', 'status-Secret-0123456789']) {
    assert.ok(!text.includes(secret), `${secret} appears in the log`);
  }
});
