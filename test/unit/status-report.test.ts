/** The status report is built from snapshots only and survives JSON unchanged. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusReport, type StatusReportInput } from '../../src/ops/status-report.js';

const input: StatusReportInput = {
  version: '0.1.0', node: 'v20.0.0', startedAt: Date.UTC(2026, 0, 1, 0, 0, 0), now: Date.UTC(2026, 0, 1, 1, 0, 30),
  snapshot: {
    gateway: 'wh-07', samplesPerSecond: Number.NaN, appendFailures: 0,
    devices: [{ id: 'agv-01', state: 'down', samples: 10, cycles: 9, failedCycles: 7, lastError: 'cannot open 10.0.0.9:502' }, { id: 'agv-02', state: 'up', samples: 5, cycles: 5, failedCycles: 0 }],
    queue: { depth: 3, bytes: 300, oldestAgeMs: 10, added: 13, delivered: 10, dropped: { 'max-bytes': 0, 'max-age': 0, 'reject-new': 0 }, nextSeq: 14 },
    cloud: {
      state: 'offline', messagesPublished: 2, samplesDelivered: 10, connectAttempts: 4, reconnects: 1, inFlight: 0, inFlightSamples: 0,
      lastError: { code: 'EW_CLOUD_UNREACHABLE', message: 'cloud broker unreachable: ECONNREFUSED', at: Date.UTC(2026, 0, 1, 0, 59, 0) }, lastDeliveryLagMs: undefined, batchLimit: 500,
    },
  },
  runners: [{ id: 'agv-01', stats: { state: 'down', cycles: 9, failedCycles: 7, overruns: 1, skippedCycles: 4, degraded: true, samples: 10 } }],
  mqttDevices: [{ id: 'th-1', topics: ['sensors/th-1'], messages: 2, samples: 4, rejected: { oversize: 0, 'malformed-json': 1, 'not-an-object': 0, 'wrong-type': 0, 'missing-field': 0 }, lastMessageAt: Date.UTC(2026, 0, 1, 0, 30, 0) }],
  buses: [], schedules: [],
};

test('devices carry degradation from the runner; times are ISO; no undefined or NaN survives', () => {
  const r = statusReport(input);
  assert.equal(r.uptimeS, 3630);
  assert.equal(r.startedAt, '2026-01-01T00:00:00.000Z');
  assert.deepEqual(r.devices[0], { id: 'agv-01', state: 'down', degraded: true, cycles: 9, failedCycles: 7, skippedCycles: 4, overruns: 1, samples: 10, lastError: 'cannot open 10.0.0.9:502' });
  assert.equal(r.devices[1]?.degraded, false);
  assert.deepEqual(r.cloud.lastError, { code: 'EW_CLOUD_UNREACHABLE', message: 'cloud broker unreachable: ECONNREFUSED', at: '2026-01-01T00:59:00.000Z' });
  assert.equal('lastDeliveryLagMs' in r.cloud, false);
  assert.equal(r.samplesPerSecond, 0);
  assert.equal(r.mqttDevices[0]?.lastMessageAt, '2026-01-01T00:30:00.000Z');
  assert.equal('broker' in r, false);
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});
