/** MQTT device models: schema, resolution and the cross-checks with the site's connection. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { resolveModel } from '../../src/catalog/resolve.js';
import { loadSite } from '../../src/config/load-site.js';
import { modelSchema, mqttModelSchema } from '../../src/config/model-schema.js';
import { lookup, parseFieldPath } from '../../src/southbound/mqtt-device/field-path.js';
import { ADAPTERS, tempDir } from '../helpers/site.js';

test('field paths: keys, nested keys and array indexes', () => {
  assert.deepEqual(parseFieldPath('temperature'), ['temperature']);
  assert.deepEqual(parseFieldPath('env.hum'), ['env', 'hum']);
  assert.deepEqual(parseFieldPath('readings[0].v'), ['readings', 0, 'v']);
  assert.deepEqual(parseFieldPath('m[1][2]'), ['m', 1, 2]);
  const doc = { readings: [{ v: 1.5 }], env: { hum: 40 }, m: [[0], [0, 0, 7]] };
  assert.equal(lookup(doc, parseFieldPath('readings[0].v')), 1.5);
  assert.equal(lookup(doc, parseFieldPath('m[1][2]')), 7);
  assert.equal(lookup(doc, parseFieldPath('readings[3].v')), undefined);
  assert.equal(lookup(doc, parseFieldPath('env.hum.x')), undefined);
  assert.equal(lookup(doc, ['toString']), undefined, 'own properties only');
  assert.equal(lookup({ a: [1] }, ['a', 'length']), undefined, 'no array properties by name');
});

test('MQTT models: the schema is a union on protocol; templates and paths are checked', () => {
  const base = { id: 'acme-sensors/x', protocol: 'mqtt', defaults: { topic: 'sensors/{device}/t' }, points: [{ name: 't', field: 'a.b' }] };
  const ok = modelSchema.parse(base);
  assert.equal(ok.protocol, 'mqtt');
  const { model } = resolveModel(mqttModelSchema.parse(base), 'x.yaml');
  assert.deepEqual(model?.points[0]?.source, { topic: 'sensors/{device}/t', field: 'a.b', path: ['a', 'b'], type: 'number' });
  for (const [what, doc] of [
    ['unknown placeholder', { ...base, defaults: { topic: 'sensors/{id}/t' } }],
    ['wildcard', { ...base, defaults: { topic: 'sensors/+/t' } }],
    ['bad path', { ...base, points: [{ name: 't', field: 'a..b' }] }],
    ['Modbus key on an MQTT point', { ...base, points: [{ name: 't', field: 'a', address: { table: 'holding', register: 0 } }] }],
  ] as const) assert.equal(modelSchema.safeParse(doc).success, false, what);
  const noTopic = resolveModel(mqttModelSchema.parse({ ...base, defaults: {} }), 'x.yaml');
  assert.match(noTopic.problems[0]?.message ?? '', /no topic/);
});

test('site: an MQTT model needs transport mqtt and a Modbus model a Modbus transport', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const file = path.join(tmp.dir, 'site.yaml');
  await writeFile(file, stringify({
    gateway: { id: 'g', modelPaths: [ADAPTERS] },
    devices: [
      { id: 'th', model: 'acme-sensors/th-100', connection: { transport: 'tcp', host: '127.0.0.1', port: 502 } },
      { id: 'agv', model: 'acme-robotics/agv-300', connection: { transport: 'mqtt' } },
      { id: 'th-ok', model: 'acme-sensors/th-100', connection: { transport: 'mqtt', topicId: 'x-1' } },
    ],
    cloud: { url: 'mqtt://127.0.0.1:1883' },
  }));
  const r = await loadSite(file);
  assert.equal(r.ok, false);
  const messages = r.ok ? [] : r.problems.map((p) => `${p.path.join('.')}: ${p.message}`);
  assert.deepEqual(messages, [
    'devices.0.connection.transport: model acme-sensors/th-100 is a mqtt model; transport tcp does not fit it',
    'devices.1.connection.transport: model acme-robotics/agv-300 is a modbus model; transport mqtt does not fit it',
  ]);
});
