/** The effective-config answer: redacted config of a loaded site plus the models in use. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveConfig, modelFingerprint } from '../../src/ops/effective-config.js';
import { loadTestSite, tempDir, writeSite } from '../helpers/site.js';
import { VERSION } from '../../src/version.js';

test('names each model once with its devices and a content fingerprint; secrets hidden', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const file = await writeSite(tmp.dir, {
    gatewayId: 'wh-07', cloudUrl: 'mqtt://gw:SECRETMARKER-1@127.0.0.1:1883',
    devices: [{ id: 'agv-01', model: 'acme-robotics/agv-300', port: 1502 }, { id: 'agv-02', model: 'acme-robotics/agv-300', port: 1503 }],
    extra: { ops: { http: { enabled: false, token: 'SECRETMARKER-token-0123456789' } } },
  });
  const site = await loadTestSite(file);
  const doc = effectiveConfig(site);
  assert.equal(doc.gateway, 'wh-07');
  assert.equal(doc.version, VERSION);
  assert.equal(doc.file, file);
  assert.equal(doc.models.length, 1);
  const [model] = doc.models;
  assert.deepEqual(model?.devices, ['agv-01', 'agv-02']);
  assert.equal(model?.id, 'acme-robotics/agv-300');
  assert.match(model?.fingerprint ?? '', /^[0-9a-f]{16}$/);
  const text = JSON.stringify(doc);
  assert.ok(!text.includes('SECRETMARKER'), text);
  assert.ok(text.includes('"port":1503'), 'non-secret device settings are kept');
  assert.ok(JSON.parse(text), 'JSON-serialisable');

  const agv = site.devices[0]!.model;
  assert.equal(modelFingerprint({ ...agv, file: '/elsewhere/agv-300.yaml' }), model?.fingerprint, 'the file location does not count');
  assert.notEqual(modelFingerprint({ ...agv, points: agv.points.slice(1) } as typeof agv), model?.fingerprint, 'a changed register map does');
});
