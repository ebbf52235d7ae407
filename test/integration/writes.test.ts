/**
 * Writes under the safety rules, end to end on real sockets: permitted writes reach the simulated
 * device and are read back; everything else is refused with a stable code before anything is sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, isGatewayError } from '../../src/errors.js';
import { agvRig } from '../helpers/agv-rig.js';

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isGatewayError(err), String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

test('writes: allowed points are written and read back; the rest is refused before reaching the device', async (t) => {
  const { gateway, sim } = await agvRig(t, { intervalMs: 200, writable: ['target_station', 'max_speed', 'pause_requested', 'lights_on'] });

  const readBack = await gateway.write('agv-01', 'target_station', 42, 'test');
  assert.equal(readBack.quality, 'good');
  assert.equal(readBack.value, 42);
  assert.equal(sim.snapshot().target_station, 42);

  assert.equal((await gateway.write('agv-01', 'max_speed', 1.25)).value, 1.25, 'scaled: raw 125 with scale 0.01');
  assert.equal(sim.snapshot().max_speed, 1.25);
  assert.equal((await gateway.write('agv-01', 'pause_requested', true)).value, true, 'one bit of a holding register');
  assert.equal(sim.snapshot().pause_requested, true);
  assert.equal((await gateway.write('agv-01', 'lights_on', false)).value, false, 'a coil');
  assert.equal(sim.snapshot().lights_on, false);

  const before = sim.snapshot();
  await rejectsWith(gateway.write('agv-01', 'horn_on', true), ERROR_CODES.WRITE_DENIED, /not in this site's writable list/);
  await rejectsWith(gateway.write('agv-01', 'battery_soc', 50), ERROR_CODES.WRITE_DENIED, /read-only in model acme-robotics\/agv-300/);
  await rejectsWith(gateway.write('agv-01', 'no_such_point', 1), ERROR_CODES.WRITE_DENIED, /has no point "no_such_point"/);
  await rejectsWith(gateway.write('agv-99', 'target_station', 1), ERROR_CODES.WRITE_DENIED, /unknown or disabled device "agv-99"/);
  await rejectsWith(gateway.write('agv-01', 'target_station', 501), ERROR_CODES.WRITE_INVALID_VALUE, /501 is above the allowed maximum 500/);
  await rejectsWith(gateway.write('agv-01', 'target_station', -1), ERROR_CODES.WRITE_INVALID_VALUE, /below the allowed minimum 0/);
  await rejectsWith(gateway.write('agv-01', 'max_speed', 1.255), ERROR_CODES.WRITE_INVALID_VALUE, /not a multiple of the scale 0\.01/);
  await rejectsWith(gateway.write('agv-01', 'target_station', '7'), ERROR_CODES.WRITE_INVALID_VALUE, /needs a finite number/);
  await rejectsWith(gateway.write('agv-01', 'lights_on', 1), ERROR_CODES.WRITE_INVALID_VALUE, /needs true or false/);
  const after = sim.snapshot();
  for (const name of ['horn_on', 'target_station', 'max_speed', 'lights_on']) assert.equal(after[name], before[name], `${name} untouched by refused writes`);
});
