/** The ops HTTP server against a stand-in source: readiness answers, access rules, registries per gateway. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { siteSchema } from '../../src/config/site-schema.js';
import { OpsServer } from '../../src/ops/http-server.js';
import { silentLogger } from '../../src/ops/logger.js';
import { GatewayMetrics } from '../../src/ops/metrics.js';
import type { OpsSnapshot, OpsSource, Readiness } from '../../src/ops/ops-source.js';

function source(readiness: Readiness, samples = 0): OpsSource {
  const snapshot: OpsSnapshot = {
    gateway: 'gw',
    devices: [{ id: 'd1', state: 'up', samples, cycles: 3, failedCycles: 1 }],
    samplesPerSecond: 2,
    queue: { depth: 5, bytes: 100, oldestAgeMs: 1500, added: samples, delivered: 0, dropped: { 'max-bytes': 2, 'max-age': 0, 'reject-new': 0 }, nextSeq: 1 },
    cloud: { state: 'offline', messagesPublished: 0, samplesDelivered: 0, connectAttempts: 4, reconnects: 1, inFlight: 0, inFlightSamples: 0, lastError: undefined, lastDeliveryLagMs: undefined } as OpsSnapshot['cloud'], // stats added later do not matter here
    appendFailures: 0,
    broker: { clients: 2, messagesIn: 7, denials: 3 },
  };
  return { status: () => snapshot, readiness: () => readiness, latest: () => new Map(), unitOf: () => undefined };
}

async function serve(src: OpsSource, opts: { statusPage?: boolean; open?: boolean; token?: string } = {}) {
  const server = new OpsServer({
    host: '127.0.0.1', port: 0, statusPage: opts.statusPage ?? false,
    access: { open: opts.open ?? false, ...(opts.token === undefined ? {} : { token: opts.token }) },
    source: src, metrics: new GatewayMetrics(src, { gateway: 'gw' }), logger: silentLogger(),
  });
  await server.start();
  return { server, base: `http://127.0.0.1:${server.port}` };
}

test('/readyz answers 503 naming every check that is not ready, /healthz stays 200', async (t) => {
  const { server, base } = await serve(source({ ready: false, checks: { config: true, queue: false, broker: false, devices: true } }));
  t.after(() => server.stop());
  const res = await fetch(`${base}/readyz`);
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { ready: false, notReady: ['queue', 'broker'], checks: { config: true, queue: false, broker: false, devices: true } });
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});

test('the status page is absent unless enabled, and open only when configured so', async (t) => {
  const ready = { ready: true, checks: { config: true } };
  const off = await serve(source(ready));
  const open = await serve(source(ready), { statusPage: true, open: true });
  const closed = await serve(source(ready), { statusPage: true, token: 'a-long-enough-token' });
  t.after(() => Promise.all([off.server.stop(), open.server.stop(), closed.server.stop()]));
  assert.equal((await fetch(`${off.base}/`)).status, 404);
  assert.equal((await fetch(`${off.base}/api/status`)).status, 404);
  assert.equal((await fetch(`${open.base}/api/status`)).status, 200);
  assert.equal((await fetch(`${closed.base}/api/status`)).status, 401);
  assert.equal((await fetch(`${closed.base}/api/status`, { headers: { authorization: 'Bearer a-long-enough-tokex' } })).status, 401);
  assert.equal((await fetch(`${closed.base}/api/status`, { headers: { authorization: 'Bearer a-long-enough-token' } })).status, 200);
  assert.equal((await fetch(`${closed.base}/?token=a-long-enough-token`)).status, 200);
});

test('two gateways in one process keep their metrics apart (one registry each)', async (t) => {
  const ready = { ready: true, checks: { config: true } };
  const a = await serve(source(ready, 10));
  const b = await serve(source(ready, 20));
  t.after(() => Promise.all([a.server.stop(), b.server.stop()]));
  const [ta, tb] = await Promise.all([(await fetch(`${a.base}/metrics`)).text(), (await fetch(`${b.base}/metrics`)).text()]);
  assert.match(ta, /^edgeway_queue_appended_total\{gateway="gw"\} 10$/m);
  assert.match(tb, /^edgeway_queue_appended_total\{gateway="gw"\} 20$/m);
  assert.match(ta, /^edgeway_queue_dropped_total\{reason="max-bytes",gateway="gw"\} 2$/m);
  assert.match(ta, /^edgeway_cloud_link_state\{state="offline",gateway="gw"\} 1$/m);
  assert.match(ta, /^edgeway_broker_denials_total\{gateway="gw"\} 3$/m);
  assert.match(ta, /^edgeway_queue_oldest_age_seconds\{gateway="gw"\} 1.5$/m);
});

test('config: a status page needs a token or an explicit open: true', () => {
  const base = { gateway: { id: 'gw' }, cloud: { url: 'mqtt://cloud.example:1883' } };
  const bad = siteSchema.safeParse({ ...base, ops: { http: { enabled: true, statusPage: true } } });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues.map((i) => i.path.join('.')), ['ops.http.statusPage']);
  assert.equal(siteSchema.safeParse({ ...base, ops: { http: { enabled: true, statusPage: true, token: 'x'.repeat(16) } } }).success, true);
  assert.equal(siteSchema.safeParse({ ...base, ops: { http: { enabled: true, statusPage: true, open: true } } }).success, true);
  assert.equal(siteSchema.safeParse({ ...base, log: { level: 'warn', modules: { cloud: 'debug' } } }).success, true);
  assert.equal(siteSchema.safeParse({ ...base, log: { modules: { clod: 'debug' } } }).success, false, 'unknown module names are refused');
});
