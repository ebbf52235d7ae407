/**
 * Cloud commands over MQTT 5 against Debian's mosquitto (aedes speaks 3.1.1 only): the answer goes
 * to the request's Response Topic with its Correlation Data; the Message Expiry Interval counts as
 * the expiry a write needs; the MQTT 5 user property `by` is who asked; a response topic outside
 * the gateway's response root is answered on the default topic, correlation data kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ERROR_CODES } from '../../src/errors.js';
import { LogRing } from '../../src/ops/log-ring.js';
import { createLogger } from '../../src/ops/logger.js';
import { agvRig } from '../helpers/agv-rig.js';
import { commander, refusal } from '../helpers/cloud-commander.js';
import { startMosquitto } from './mosquitto.js';

test('cloud commands over MQTT 5 (mosquitto): response topic, correlation data, message expiry, user property', async (t) => {
  const m = await startMosquitto({});
  t.after(() => m.stop());
  const ring = new LogRing();
  const logger = createLogger('info', new Writable({ write: (_c, _e, cb) => cb() }), ring);
  const { sim } = await agvRig(t, { logger, gatewayOptions: { logs: ring }, gatewayId: 'gw-m5', intervalMs: 60_000, writable: ['target_station'], cloudUrl: m.url, cloud: { protocolVersion: 5, commands: { writes: true } } });
  const cc = await commander(t, m.url, 'gw-m5', 5);
  await cc.ready();
  const inbox = `${cc.root}/commands/response/app-1/inbox`;

  await cc.send({ id: 'v5-1', command: 'status' }, { properties: { responseTopic: inbox, correlationData: Buffer.from([1, 2, 3]) } });
  const status = await cc.waitFor((a) => a.body.id === 'v5-1', 'status');
  assert.equal(status.topic, inbox);
  assert.deepEqual(status.correlationData, Buffer.from([1, 2, 3]));
  assert.ok(status.body.ok);

  // No expiresAt: the message expiry is the write's expiry. The user property names who asked.
  await cc.send(
    { id: 'v5-2', command: 'write', device: 'agv-01', point: 'target_station', value: 17 },
    { properties: { responseTopic: inbox, correlationData: Buffer.from('w2'), messageExpiryInterval: 30, userProperties: { by: 'ops-anna' } } },
  );
  const write = await cc.waitFor((a) => a.body.id === 'v5-2', 'write');
  assert.ok(write.body.ok, JSON.stringify(write.body));
  assert.equal(write.correlationData?.toString(), 'w2');
  assert.equal(sim.snapshot().target_station, 17);
  assert.equal(sim.writeCount, 1);
  const audit = ring.query({ limit: 500 }).find((l) => l.msg === 'cloud command' && l.id === 'v5-2');
  assert.equal(audit?.who, 'ops-anna', 'the audit names who asked');

  await cc.send({ id: 'v5-3', command: 'status' }, { properties: { responseTopic: 'app/inbox', correlationData: Buffer.from('c3') } });
  const outside = await cc.waitFor((a) => a.body.id === 'v5-3', 'outside topic');
  assert.equal(outside.topic, `${cc.root}/commands/response/v5-3`);
  assert.equal(outside.correlationData?.toString(), 'c3');
  assert.equal(refusal(outside.body).code, ERROR_CODES.COMMAND_INVALID);

  await cc.send('{"command":"status"}', { properties: { responseTopic: inbox, correlationData: Buffer.from('c4') } });
  const noId = await cc.waitFor((a) => a.correlationData?.toString() === 'c4', 'id-less request with a response topic');
  assert.equal(noId.body.id, null);
  assert.equal(refusal(noId.body).code, ERROR_CODES.COMMAND_INVALID);
});
