/**
 * The ops HTTP server of a real gateway: Prometheus series after a few polls, health and readiness,
 * the status page JSON behind its token. Real simulators, broker and queue on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/ops/logger.js';
import { startCloudBroker } from '../helpers/cloud-broker.js';
import { commander } from '../helpers/cloud-commander.js';
import { loadTestSite, until, writeSite } from '../helpers/site.js';
import { agvSimulator } from '../helpers/agv-rig.js';

const TOKEN = 'status-token-0123456789';

/** Value of one series line, e.g. series(text, 'edgeway_queue_depth') or with a label filter. */
function series(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

test('ops HTTP: /metrics series, /healthz, /readyz and the status JSON of a running gateway', async (t) => {
  const { sim, dir } = await agvSimulator(t, 5);
  const cloud = await startCloudBroker();
  const file = await writeSite(dir, {
    cloudUrl: cloud.url,
    devices: [
      { id: 'agv-01', model: 'acme-robotics/agv-300', port: sim.port, intervalMs: 50 },
      { id: 'agv-dead', model: 'acme-robotics/agv-300', port: 1, intervalMs: 50 },
    ],
    extra: { ops: { http: { enabled: true, host: '127.0.0.1', port: 0, statusPage: true, token: TOKEN } } },
  });
  const gateway = new Gateway(await loadTestSite(file), silentLogger());
  t.after(async () => {
    await gateway.stop();
    await cloud.stop();
  });
  await gateway.start();
  const base = `http://127.0.0.1:${gateway.opsPort ?? 0}`;
  assert.ok((gateway.opsPort ?? 0) > 0);
  await until(() => gateway.status().queue.delivered >= 100 && gateway.status().devices[0]?.cycles !== undefined && (gateway.status().devices[0]?.cycles ?? 0) >= 5, 'a few polls delivered');

  // One command from the cloud, and one it is not allowed to send, show up in the command counters.
  const cc = await commander(t, cloud.url, 'e2e');
  await cc.ready();
  await cc.ask({ id: 'not-allowed', command: 'restart-device', device: 'agv-01', expiresAt: Date.now() + 30_000 });

  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  const ok = series(text, 'edgeway_device_polls_total', { device: 'agv-01', result: 'ok' }) ?? 0;
  assert.ok(ok >= 5, `agv-01 ok polls ${ok}`);
  assert.equal(series(text, 'edgeway_device_polls_total', { device: 'agv-01', result: 'failed' }), 0);
  assert.ok((series(text, 'edgeway_device_read_duration_seconds_count', { device: 'agv-01', result: 'ok' }) ?? 0) >= 5);
  assert.ok((series(text, 'edgeway_device_read_duration_seconds_sum', { device: 'agv-01', result: 'ok' }) ?? 0) > 0);
  assert.equal(series(text, 'edgeway_device_link_state', { device: 'agv-01', state: 'up' }), 1);
  assert.equal(series(text, 'edgeway_device_up', { device: 'agv-01' }), 1);
  assert.equal(series(text, 'edgeway_device_up', { device: 'agv-dead' }), 0);
  assert.ok((series(text, 'edgeway_device_samples_total', { device: 'agv-01' }) ?? 0) >= 26, 'at least one read of all 26 points');
  assert.ok((series(text, 'edgeway_queue_appended_total') ?? 0) >= 100);
  assert.ok((series(text, 'edgeway_queue_delivered_total') ?? 0) >= 100);
  assert.notEqual(series(text, 'edgeway_queue_depth'), undefined);
  assert.notEqual(series(text, 'edgeway_queue_bytes'), undefined);
  assert.notEqual(series(text, 'edgeway_queue_oldest_age_seconds'), undefined);
  assert.equal(series(text, 'edgeway_queue_dropped_total', { reason: 'max-bytes' }), 0);
  assert.equal(series(text, 'edgeway_cloud_link_state', { state: 'online' }), 1);
  assert.equal(series(text, 'edgeway_cloud_reconnects_total'), 0);
  assert.ok((series(text, 'edgeway_cloud_messages_published_total') ?? 0) >= 1);
  const lag = series(text, 'edgeway_cloud_delivery_lag_seconds') ?? -1;
  assert.ok(lag >= 0 && lag < 60, `delivery lag ${lag}`);
  assert.notEqual(series(text, 'edgeway_samples_per_second'), undefined);
  assert.equal(series(text, 'edgeway_broker_clients'), 0);
  assert.equal(series(text, 'edgeway_broker_denials_total'), 0);
  assert.ok((series(text, 'edgeway_cloud_commands_total', { outcome: 'executed' }) ?? 0) >= 1, 'the status command');
  assert.equal(series(text, 'edgeway_cloud_commands_total', { outcome: 'denied' }), 1, 'restart-device is not allowed by default');
  assert.equal(series(text, 'edgeway_cloud_commands_total', { outcome: 'expired' }), 0);
  assert.ok((series(text, 'process_resident_memory_bytes') ?? 0) > 1e6);
  assert.notEqual(series(text, 'nodejs_eventloop_lag_seconds'), undefined);
  assert.match(text, /gateway="e2e"/);

  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { ready: true, checks: { config: true, queue: true, broker: true, devices: true } });

  assert.equal((await fetch(`${base}/api/status`)).status, 401, 'no token');
  assert.equal((await fetch(`${base}/api/status?token=wrong-token-0123456789`)).status, 401, 'wrong token');
  assert.equal((await fetch(`${base}/`)).status, 401);
  const page = await fetch(`${base}/?token=${TOKEN}`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>Edgeway status<\/title>/);
  const status = (await (await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
    devices: { id: string; state: string; points: { point: string; value: unknown; unit?: string }[] }[];
    cloud: { state: string };
    queue: { depth: number };
  };
  const agv = status.devices.find((d) => d.id === 'agv-01');
  assert.equal(agv?.state, 'up');
  assert.ok((agv?.points.length ?? 0) >= 20, 'latest value of every point');
  assert.ok(agv?.points.some((p) => p.point === 'battery_soc' && typeof p.value === 'number' && p.unit === '%'));
  assert.equal(status.cloud.state, 'online');
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);

  await gateway.stop();
  assert.equal(gateway.readiness().ready, false);
  await assert.rejects(fetch(`${base}/healthz`), 'the ops server stops with the gateway');
});
