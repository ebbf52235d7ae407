/** Latest-value cache: one entry per point, updated in place; copies stay as they were. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copySample } from '../../src/model/latest-sample.js';
import { LastValues } from '../../src/ops/last-values.js';

test('last values: one entry per point, the newest sample wins, a copy does not change with it', () => {
  const lv = new LastValues();
  lv.record([
    { device: 'd1', point: 'p', ts: 1, value: null, quality: 'bad', code: 'EW_DEVICE_TIMEOUT' },
    { device: 'd1', point: 'q', ts: 1, value: 5, quality: 'good' },
  ]);
  const entry = lv.all().get('d1')?.get('p');
  assert.ok(entry);
  const before = copySample(entry);
  lv.record([{ device: 'd1', point: 'p', ts: 2, value: 7.5, quality: 'good' }]);
  assert.equal(lv.all().get('d1')?.get('p'), entry, 'the same entry, updated in place');
  assert.deepEqual(copySample(entry), { device: 'd1', point: 'p', ts: 2, value: 7.5, quality: 'good' }, 'the old code is gone');
  assert.deepEqual(before, { device: 'd1', point: 'p', ts: 1, value: null, quality: 'bad', code: 'EW_DEVICE_TIMEOUT' });
  assert.equal(lv.all().get('d1')?.size, 2);
});
