/**
 * Scheduled jobs wired into a running gateway: a cron write reaches the simulated device through the
 * write rules; poll-now and snapshot actions go through the same pipeline. (Wall-clock timing with an
 * injected clock is in test/unit/scheduler.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agvRig } from '../helpers/agv-rig.js';
import { until } from '../helpers/site.js';

test('a cron job writes a point on schedule; poll-now and snapshot feed the pipeline', async (t) => {
  const { gateway, sim } = await agvRig(t, {
    intervalMs: 60_000,
    writable: ['target_station'],
    extra: { schedules: [{ name: 'dispatch', cron: '* * * * * *', action: { type: 'write', device: 'agv-01', point: 'target_station', value: 77 } }] },
  });
  await until(() => sim.snapshot().target_station === 77, 'the scheduled write reached the device', 10_000);
  await until(() => gateway.schedules()[0]?.lastResult === 'ok', 'the run is recorded');
  assert.ok((gateway.schedules()[0]?.runs ?? 0) >= 1);

  const before = gateway.status().queue.added;
  assert.equal(await gateway.pollNow('agv-01', 'slow'), 1);
  await until(() => gateway.status().queue.added > before, 'the polled samples are queued');
  const sent = gateway.snapshot();
  assert.ok(sent >= 4, `snapshot re-sent ${sent} latest values`);
});
