/**
 * The local command API on the embedded broker, with a real mqtt.js client: writes under the same
 * safety rules as Gateway.write (allowed, denied, invalid value, unknown device), read-now returns
 * a fresh value from the device, and malformed requests are answered or counted, never a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { commandResponseSchema, localTopics, type CommandResponse } from '../../src/broker/topic-map.js';
import { ERROR_CODES } from '../../src/errors.js';
import { agvRig } from '../helpers/agv-rig.js';
import { until } from '../helpers/site.js';

const topics = localTopics('edgeway', 'gw-cmd');

async function rig(t: { after(fn: () => Promise<void>): void }) {
  // Polled once a minute: a read-now value can only come from the one-off read.
  const { gateway, sim } = await agvRig(t, { gatewayId: 'gw-cmd', intervalMs: 60_000, writable: ['target_station'] });
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.brokerPort}`, { clientId: 'hmi-1', reconnectPeriod: 0 });
  const answers: { topic: string; body: CommandResponse }[] = [];
  client.on('message', (topic, payload) => answers.push({ topic, body: commandResponseSchema.parse(JSON.parse(payload.toString())) }));
  await client.subscribeAsync(`${topics.commandResponseRoot}/#`, { qos: 0 });
  t.after(async () => {
    await client.endAsync(true);
  });
  const ask = async (request: unknown): Promise<CommandResponse> => {
    const id = (request as { id: string }).id;
    await client.publishAsync(topics.commandRequest, JSON.stringify(request), { qos: 0 });
    await until(() => answers.some((a) => a.body.id === id), `an answer to ${id}`);
    return answers.find((a) => a.body.id === id)!.body;
  };
  const failed = (r: CommandResponse) => {
    if (r.ok) assert.fail(`expected a refusal, got ${JSON.stringify(r)}`);
    return r;
  };
  return { gateway, sim, client, answers, ask, failed };
}

test('local commands: write allowed, denied, invalid value and unknown device each get the right answer', async (t) => {
  const { sim, ask, failed, answers } = await rig(t);
  const ok = await ask({ id: 'w-1', command: 'write', device: 'agv-01', point: 'target_station', value: 42 });
  assert.deepEqual(ok.ok && { value: ok.result.value, quality: ok.result.quality }, { value: 42, quality: 'good' }, 'the read-back');
  assert.equal(sim.snapshot().target_station, 42, 'written to the device');
  assert.equal(answers.find((a) => a.body.id === 'w-1')?.topic, topics.commandResponse('w-1'));

  const before = sim.snapshot();
  const denied = failed(await ask({ id: 'w-2', command: 'write', device: 'agv-01', point: 'horn_on', value: true }));
  assert.equal(denied.code, ERROR_CODES.WRITE_DENIED);
  assert.match(denied.message, /not in this site's writable list/);
  assert.equal(failed(await ask({ id: 'w-3', command: 'write', device: 'agv-01', point: 'battery_soc', value: 50 })).code, ERROR_CODES.WRITE_DENIED);
  const invalid = failed(await ask({ id: 'w-4', command: 'write', device: 'agv-01', point: 'target_station', value: 501 }));
  assert.equal(invalid.code, ERROR_CODES.WRITE_INVALID_VALUE);
  assert.match(invalid.message, /above the allowed maximum 500/);
  const unknown = failed(await ask({ id: 'w-5', command: 'write', device: 'agv-99', point: 'target_station', value: 1 }));
  assert.equal(unknown.code, ERROR_CODES.WRITE_DENIED);
  assert.match(unknown.message, /unknown or disabled device "agv-99"/);
  assert.deepEqual(sim.snapshot().target_station, before.target_station, 'refused writes sent nothing');
  assert.equal(sim.snapshot().horn_on, before.horn_on);
});

test('local commands: read-now answers with a fresh value read from the device', async (t) => {
  const { sim, ask, failed, gateway } = await rig(t);
  await until(() => gateway.latest().get('agv-01')?.has('target_station') === true, 'the first poll');
  const polled = gateway.latest().get('agv-01')?.get('target_station')?.value;
  sim.setPoint('target_station', 77);
  assert.notEqual(polled, 77);
  const r = await ask({ id: 'r-1', command: 'read', device: 'agv-01', point: 'target_station' });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.result.value, 77);
  assert.equal(r.result.quality, 'good');
  assert.equal(gateway.latest().get('agv-01')?.get('target_station')?.value, 77, 'the fresh value went through the pipeline');
  const withUnit = await ask({ id: 'r-2', command: 'read', device: 'agv-01', point: 'battery_soc' });
  assert.ok(withUnit.ok && withUnit.result.unit === '%');
  assert.equal(failed(await ask({ id: 'r-3', command: 'read', device: 'agv-99', point: 'x' })).code, ERROR_CODES.DEVICE_UNKNOWN);
  assert.equal(failed(await ask({ id: 'r-4', command: 'read', device: 'agv-01', point: 'nope' })).code, ERROR_CODES.DEVICE_UNKNOWN);
});

test('local commands: malformed requests are answered or counted; the API keeps working', async (t) => {
  const { client, ask, failed, answers, gateway } = await rig(t);
  const invalid = failed(await ask({ id: 'm-1', command: 'reboot', device: 'agv-01' }));
  assert.equal(invalid.code, ERROR_CODES.COMMAND_INVALID);
  assert.equal(failed(await ask({ id: 'm-2', command: 'write', device: 'agv-01', point: 'target_station' })).code, ERROR_CODES.COMMAND_INVALID, 'write without value');
  const escape = failed(await ask({ id: 'm-3', command: 'read', device: 'agv-01', point: 'target_station', responseTopic: 'edgeway/gw-cmd/devices/agv-01/target_station' }));
  assert.equal(escape.code, ERROR_CODES.COMMAND_INVALID, 'a response topic outside the response root is refused');
  assert.equal(answers.find((a) => a.body.id === 'm-3')?.topic, topics.commandResponse('m-3'));
  const custom = await ask({ id: 'm-4', command: 'read', device: 'agv-01', point: 'target_station', responseTopic: `${topics.commandResponseRoot}/hmi-1/inbox` });
  assert.ok(custom.ok);
  assert.equal(answers.find((a) => a.body.id === 'm-4')?.topic, `${topics.commandResponseRoot}/hmi-1/inbox`);

  const junk = ['{"id": "x', 'null', '[]', '{"command":"read"}', '{"id": "has space"}', '\u0000\u0001'];
  for (let i = 0; i < 300; i++) client.publish(topics.commandRequest, junk[i % junk.length]!);
  await until(() => (gateway.localCommandStats()?.unanswerable ?? 0) >= 300, 'the junk counted');
  assert.equal(gateway.localCommandStats()?.unanswerable, 300);
  const after = await ask({ id: 'm-5', command: 'read', device: 'agv-01', point: 'target_station' });
  assert.ok(after.ok, 'still answering');

  // Clients still may not publish on the gateway's other topics (only commands/request is open).
  const denials = gateway.status().broker?.denials ?? 0;
  await client.publishAsync('edgeway/gw-cmd/devices/agv-01/target_station', '{"value": 1}', { qos: 0 }).catch(() => undefined);
  await until(() => (gateway.status().broker?.denials ?? 0) > denials, 'the forged value refused');
});
