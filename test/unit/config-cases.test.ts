import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadSite } from '../../src/config/load-site.js';
import { formatProblem } from '../../src/config/problems.js';

const CASES = path.resolve(import.meta.dirname, '../cases');
const cases = (await readdir(CASES, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);

test('there are golden cases to run', () => {
  assert.ok(cases.length >= 3, `found ${cases.length} cases in ${CASES}`);
});

for (const name of cases) {
  test(`config case: ${name}`, async () => {
    const dir = path.join(CASES, name);
    const expected = await readFile(path.join(dir, 'expected.txt'), 'utf8').catch(() => undefined);
    const result = await loadSite(path.join(dir, 'config.yaml'));
    if (expected === undefined) {
      assert.ok(result.ok, result.ok ? '' : result.problems.map((p) => formatProblem(p, dir)).join('\n'));
      return;
    }
    assert.equal(result.ok, false, 'the config must be refused');
    const lines = result.ok ? [] : result.problems.map((p) => formatProblem(p, dir));
    assert.deepEqual(lines, expected.trimEnd().split('\n'));
  });
}
