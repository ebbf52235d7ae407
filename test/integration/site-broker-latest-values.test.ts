/**
 * The gateway's own latest values (retained, under <ownTopicRoot>/devices/) are kept in memory, not
 * in the broker's LevelDB: a late subscriber still gets them, a restart does not bring old ones back,
 * and site apps' retained messages still survive a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Level } from 'level';
import { OWN_ROOT, startSiteBroker } from '../helpers/site-broker.js';
import { tempDir, until } from '../helpers/site.js';

const config = { allowAnonymous: true };
const latest = `${OWN_ROOT}/devices/agv-01/battery_pct`;

async function retainedOn(b: Awaited<ReturnType<typeof startSiteBroker>>, filter: string, expected: number): Promise<string[]> {
  const c = await b.connect();
  const got: string[] = [];
  c.on('message', (t, p, pkt) => got.push(`${t} ${p.toString()} ${pkt.retain}`));
  await c.subscribeAsync(filter, { qos: 0 });
  await until(() => got.length >= expected, `${expected} retained message(s) on ${filter}`);
  await new Promise((r) => setTimeout(r, 100)); // nothing more arrives
  await c.endAsync();
  return got.sort();
}

test('latest values are retained in memory; apps\' retained messages stay on disk', { timeout: 30_000 }, async () => {
  const tmp = await tempDir();
  const stateDir = path.join(tmp.dir, 'broker');
  try {
    const first = await startSiteBroker(config, { stateDir });
    try {
      await first.broker.publish(latest, '{"value":1}', true);
      await first.broker.publish(latest, '{"value":2}', true); // replaces the first
      await first.broker.publish(`${OWN_ROOT}/devices/agv-01/speed`, '{"value":0.5}', true);
      const app = await first.connect();
      await app.publishAsync('status/line-1', 'running', { qos: 1, retain: true });
      await app.endAsync();
      assert.deepEqual(await retainedOn(first, `${OWN_ROOT}/devices/agv-01/+`, 2), [
        `${latest} {"value":2} true`,
        `${OWN_ROOT}/devices/agv-01/speed {"value":0.5} true`,
      ]);
      // A filter spanning both stores gets both; one that cannot reach the devices gets only the app's.
      assert.equal((await retainedOn(first, '#', 3)).length, 3);
      assert.deepEqual(await retainedOn(first, 'status/#', 1), ['status/line-1 running true']);
      await first.broker.publish(`${OWN_ROOT}/devices/agv-01/speed`, '', true); // an empty payload clears it
      assert.deepEqual(await retainedOn(first, `${OWN_ROOT}/devices/#`, 1), [`${latest} {"value":2} true`]);
    } finally {
      await first.stop();
    }

    // What an older version wrote to disk under the devices prefix is removed at open.
    const db = new Level<string, string>(stateDir);
    const keys = await db.keys().all();
    assert.ok(keys.includes('retained:status/line-1'), 'the app\'s retained message is on disk');
    assert.ok(!keys.some((k) => k.startsWith(`retained:${OWN_ROOT}/devices/`)), 'latest values are not on disk');
    await db.put(`retained:${latest}`, 'stale');
    await db.close();

    const second = await startSiteBroker(config, { stateDir });
    try {
      assert.deepEqual(await retainedOn(second, '#', 1), ['status/line-1 running true']);
    } finally {
      await second.stop();
    }
  } finally {
    await tmp.remove();
  }
});
