/**
 * The duplicate memory of acting commands survives a restart: a write answered before the gateway
 * restarted (a power cut, say) and retried by the cloud afterwards, within its expiry, gets the first
 * answer and does not reach the device a second time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/ops/logger.js';
import { agvSimulator } from '../helpers/agv-rig.js';
import { startCloudBroker } from '../helpers/cloud-broker.js';
import { commander } from '../helpers/cloud-commander.js';
import { loadTestSite, siteDocument, until } from '../helpers/site.js';

test('a write retried after a gateway restart is answered from the journal, not written again', async (t) => {
  const { sim, dir } = await agvSimulator(t, 5);
  const cloud = await startCloudBroker();
  t.after(() => cloud.stop());
  const doc = siteDocument({ gatewayId: 'gw-rs', cloudUrl: cloud.url, devices: [{ id: 'agv-01', model: sim.model.id, port: sim.port, intervalMs: 200 }] });
  (doc.devices as Record<string, unknown>[])[0]!.writable = ['target_station'];
  (doc.cloud as Record<string, unknown>).commands = { writes: true };
  const file = path.join(dir, 'site.yaml');
  await writeFile(file, stringify(doc));
  const cc = await commander(t, cloud.url, 'gw-rs');
  const write = { id: 'w-restart', command: 'write', device: 'agv-01', point: 'target_station', value: 21, expiresAt: Date.now() + 120_000 };
  const answersOf = (id: string) => cc.answers.filter((a) => a.body.id === id).map((a) => a.body);

  const first = new Gateway(await loadTestSite(file), silentLogger());
  await first.start();
  await until(() => first.status().devices[0]?.state === 'up', 'device up');
  await cc.ready();
  const answer = await cc.ask(write);
  assert.ok(answer.ok, JSON.stringify(answer));
  assert.equal(sim.writeCount, 1);
  await first.stop();

  const second = new Gateway(await loadTestSite(file), silentLogger());
  t.after(() => second.stop());
  await second.start();
  await cc.ready();
  await cc.send(write);
  await until(() => answersOf('w-restart').length >= 2, 'the retry is answered');
  assert.deepEqual(answersOf('w-restart')[1], answer, 'the first answer, from the journal');
  assert.equal(sim.writeCount, 1, 'the device was written once');
  assert.equal(second.cloudCommandStats()?.duplicates, 1);
});
