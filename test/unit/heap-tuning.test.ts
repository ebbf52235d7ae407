/** The gateway's V8 heap growing factor: default, opt-out, command-line precedence, bad values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyHeapTuning, DEFAULT_HEAP_GROWING_PERCENT } from '../../src/ops/heap-tuning.js';

test('heap tuning: the default factor unless the command line or the environment says otherwise', () => {
  assert.equal(applyHeapTuning({}, []), DEFAULT_HEAP_GROWING_PERCENT);
  assert.equal(applyHeapTuning({ EDGEWAY_HEAP_GROWING_PERCENT: '50' }, []), 50);
  assert.equal(applyHeapTuning({ EDGEWAY_HEAP_GROWING_PERCENT: '0' }, []), undefined, '0 leaves V8 adaptive');
  assert.equal(applyHeapTuning({ EDGEWAY_HEAP_GROWING_PERCENT: '50' }, ['--heap-growing-percent=80']), undefined, 'node flags win');
  assert.throws(() => applyHeapTuning({ EDGEWAY_HEAP_GROWING_PERCENT: 'lots' }, []), /EDGEWAY_HEAP_GROWING_PERCENT must be a whole number.*"lots"/);
  assert.throws(() => applyHeapTuning({ EDGEWAY_HEAP_GROWING_PERCENT: '-5' }, []), /EDGEWAY_HEAP_GROWING_PERCENT/);
});
