/**
 * The gateway's own latest values skip aedes while nobody subscribes to them: they go straight into
 * the in-memory retained store and their JSON is built only when read. A late subscriber still gets
 * the newest value, live subscribers (MQTT clients and in-process ones) get every update, and once
 * they leave the direct path is taken again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { OWN_ROOT, startSiteBroker } from '../helpers/site-broker.js';
import { tempDir, until } from '../helpers/site.js';

const topic = `${OWN_ROOT}/devices/agv-01/battery_pct`;

/** A latest value that counts how often its payload was built. */
class Counted {
  builds = 0;
  constructor(public value: number) {}
  payload(): string {
    this.builds++;
    return JSON.stringify({ value: this.value });
  }
}

function collect(c: MqttClient): string[] {
  const got: string[] = [];
  c.on('message', (t, p, pkt) => got.push(`${t} ${p.toString()} ${pkt.retain}`));
  return got;
}

test('latest values without a subscriber are stored directly and built only when read', { timeout: 30_000 }, async () => {
  const tmp = await tempDir();
  const b = await startSiteBroker({ allowAnonymous: true }, { stateDir: path.join(tmp.dir, 'broker') });
  const fail = (err: unknown) => assert.fail(String(err));
  try {
    const v = new Counted(1);
    for (const n of [1, 2, 3]) {
      v.value = n;
      b.broker.publishRetained(topic, v, fail);
    }
    assert.equal(v.builds, 0, 'no payload is built while nobody subscribes');

    // A subscriber to something else does not change that.
    const other = await b.connect();
    await other.subscribeAsync('status/#', { qos: 0 });
    b.broker.publishRetained(topic, v, fail);
    assert.equal(v.builds, 0);

    // A late subscriber gets the newest value, retained; then every update live.
    const c = await b.connect();
    const got = collect(c);
    await c.subscribeAsync(`${OWN_ROOT}/devices/#`, { qos: 0 });
    await until(() => got.length >= 1, 'the retained latest value');
    assert.deepEqual(got, [`${topic} {"value":3} true`]);
    v.value = 4;
    b.broker.publishRetained(topic, v, fail);
    await until(() => got.length >= 2, 'the live update');
    assert.equal(got[1], `${topic} {"value":4} false`);

    // An in-process subscription counts too.
    await c.endAsync();
    const inProcess: string[] = [];
    const unsubscribe = await b.broker.subscribeInternal(`${OWN_ROOT}/devices/+/+`, (t, p) => inProcess.push(`${t} ${p.toString()}`));
    v.value = 5;
    b.broker.publishRetained(topic, v, fail);
    await until(() => inProcess.length >= 1, 'the in-process delivery');
    assert.deepEqual(inProcess, [`${topic} {"value":5}`]);
    await unsubscribe();

    // With every subscriber gone, publishing builds nothing again.
    await until(() => {
      const before = v.builds;
      v.value = 6;
      b.broker.publishRetained(topic, v, fail);
      return v.builds === before;
    }, 'the direct path once the subscribers left');
    const late = await b.connect();
    const lateGot = collect(late);
    await late.subscribeAsync(topic, { qos: 0 });
    await until(() => lateGot.length >= 1, 'the retained latest value');
    assert.deepEqual(lateGot, [`${topic} {"value":6} true`]);
  } finally {
    await b.stop();
    await tmp.remove();
  }
});
