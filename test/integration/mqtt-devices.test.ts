/**
 * MQTT-native devices end to end: a real mqtt.js client publishes on the gateway's embedded broker,
 * the bridge validates each message against the model (acme-sensors/th-100) and the samples reach
 * the cloud through the same queue and link as Modbus samples. Malformed messages are counted and
 * never stop the pipeline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { loadModbusModelFile } from '../../src/catalog/load.js';
import { ERROR_CODES } from '../../src/errors.js';
import { Gateway } from '../../src/gateway.js';
import { GatewayMetrics } from '../../src/ops/metrics.js';
import { decodeBatch, type PayloadSample } from '../../src/northbound/payload.js';
import { silentLogger } from '../../src/ops/logger.js';
import { DeviceSimulator } from '../../src/sim/index.js';
import { startCloudBroker, type CloudBroker, type Collector } from '../helpers/cloud-broker.js';
import { ADAPTERS, loadTestSite, siteDocument, tempDir, until } from '../helpers/site.js';

interface Rig {
  readonly gateway: Gateway;
  readonly cloud: CloudBroker;
  readonly data: Collector;
  readonly sensor: mqtt.MqttClient;
  readonly samples: () => PayloadSample[];
}

async function rig(t: { after(fn: () => Promise<void>): void }): Promise<Rig> {
  const tmp = await tempDir();
  const cloud = await startCloudBroker();
  const { model } = await loadModbusModelFile(path.join(ADAPTERS, 'acme-robotics/agv-300.yaml'));
  assert.ok(model);
  const sim = new DeviceSimulator({ model, port: 0, unitId: 1 });
  await sim.start();
  const doc = siteDocument({ gatewayId: 'gw-mqtt', cloudUrl: cloud.url, devices: [{ id: 'agv-01', model: model.id, port: sim.port, intervalMs: 100 }] });
  (doc.devices as unknown[]).push({ id: 'th-07', model: 'acme-sensors/th-100', connection: { transport: 'mqtt', topicId: 'cold-1' } });
  const file = path.join(tmp.dir, 'site.yaml');
  await writeFile(file, stringify(doc));
  const gateway = new Gateway(await loadTestSite(file), silentLogger());
  const data = cloud.tap('edgeway/gw-mqtt/data');
  await gateway.start();
  const sensor = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.brokerPort}`, { clientId: 'th-07', reconnectPeriod: 0 });
  t.after(async () => {
    await sensor.endAsync(true);
    await gateway.stop();
    await data.stop();
    await sim.stop();
    await cloud.stop();
    await tmp.remove();
  });
  const samples = () => data.messages.flatMap((m) => decodeBatch(m.payload).samples);
  return { gateway, cloud, data, sensor, samples };
}

const of = (samples: PayloadSample[], device: string, point: string) => samples.filter((s) => s.device === device && s.point === point);

test('MQTT device: messages from a real client become samples at the cloud, validated against the model', async (t) => {
  const { gateway, sensor, samples } = await rig(t);
  await sensor.publishAsync('sensors/cold-1/telemetry', JSON.stringify({ temperature: 4.5, env: { hum: 81.2 }, battery: { mv: 2975 }, door: { open: true }, fw: '1.4.2' }), { qos: 1 });
  await until(() => of(samples(), 'th-07', 'firmware').length > 0, 'the sensor values at the cloud');
  const first = (point: string) => of(samples(), 'th-07', point)[0];
  assert.equal(first('temperature')?.value, 4.5);
  assert.equal(first('humidity')?.value, 81.2, 'nested field env.hum');
  assert.equal(first('battery_v')?.value, 2.975, 'scale 0.001 applied to battery.mv');
  assert.equal(first('door_open')?.value, true);
  assert.equal(first('firmware')?.value, '1.4.2');
  assert.ok(samples().every((s) => s.device !== 'th-07' || s.quality === 'good'));

  // A message without a field: that point (only) is bad with a stable code.
  await sensor.publishAsync('sensors/cold-1/telemetry', JSON.stringify({ temperature: 4.9, env: {}, battery: { mv: 2970 }, door: { open: false }, fw: '1.4.2' }), { qos: 1 });
  await until(() => of(samples(), 'th-07', 'humidity').some((s) => s.quality === 'bad'), 'the missing humidity as a bad sample');
  const bad = of(samples(), 'th-07', 'humidity').find((s) => s.quality === 'bad');
  assert.equal(bad?.code, ERROR_CODES.PAYLOAD_INVALID);
  assert.equal(bad?.value, null);
  assert.equal(of(samples(), 'th-07', 'temperature').at(-1)?.value, 4.9, 'the other points of that message are good');
  const [stats] = gateway.mqttDeviceStats();
  assert.equal(stats?.rejected['missing-field'], 1);
  assert.deepEqual(stats?.topics, ['sensors/cold-1/telemetry']);
  // A message on another device's topic is not this device's.
  await sensor.publishAsync('sensors/other/telemetry', JSON.stringify({ temperature: 99 }), { qos: 1 });
  assert.equal(gateway.mqttDeviceStats()[0]?.messages, 2);
});

test('MQTT device: 1,000 malformed payloads are counted, Modbus polling and delivery go on', async (t) => {
  const { gateway, sensor, samples } = await rig(t);
  await until(() => of(samples(), 'agv-01', 'battery_soc').length > 0, 'Modbus samples at the cloud');
  const junk = (i: number): string | Buffer => {
    switch (i % 5) {
      case 0: return '{"temperature": 4.';                          // truncated JSON
      case 1: return Buffer.from(Array.from({ length: 64 }, (_, j) => (i * 31 + j * 17) % 256)); // random bytes
      case 2: return JSON.stringify([1, 2, 3]);                       // not an object
      case 3: return JSON.stringify({ temperature: 'warm', env: { hum: 50 }, battery: { mv: 3000 }, door: { open: 1 }, fw: 7 }); // wrong types
      default: return Buffer.alloc(70 * 1024, 0x7b);                 // oversize
    }
  };
  for (let i = 0; i < 1000; i++) sensor.publish('sensors/cold-1/telemetry', junk(i));
  await until(() => (gateway.mqttDeviceStats()[0]?.messages ?? 0) >= 1000, 'all 1,000 messages seen', 20_000);
  const r = gateway.mqttDeviceStats()[0]?.rejected;
  assert.ok(r);
  assert.equal(r['oversize'], 200);
  assert.equal(r['not-an-object'], 200);
  assert.equal(r['malformed-json'], 400, 'truncated JSON and random bytes');
  assert.equal(r['wrong-type'], 200 * 3, 'temperature, door_open and firmware of each wrong-type message');
  const agvBefore = of(samples(), 'agv-01', 'battery_soc').length;
  await sensor.publishAsync('sensors/cold-1/telemetry', JSON.stringify({ temperature: 3.25, env: { hum: 70 }, battery: { mv: 2900 }, door: { open: false }, fw: '1.4.2' }), { qos: 1 });
  await until(() => of(samples(), 'th-07', 'temperature').some((s) => s.value === 3.25), 'a good message after the flood');
  await until(() => of(samples(), 'agv-01', 'battery_soc').length > agvBefore, 'Modbus samples still delivered');
  assert.equal(gateway.status().devices.find((d) => d.id === 'agv-01')?.state, 'up');
  // The same counters in the Prometheus metrics.
  const text = await new GatewayMetrics(gateway, { gateway: 'gw-mqtt' }).metrics();
  assert.match(text, /^edgeway_mqtt_device_rejections_total\{device="th-07",cause="oversize",gateway="gw-mqtt"\} 200$/m);
  assert.match(text, /^edgeway_mqtt_device_messages_total\{device="th-07",gateway="gw-mqtt"\} 1001$/m);
  assert.match(text, /^edgeway_mqtt_device_silent_seconds\{device="th-07",gateway="gw-mqtt"\} \d/m);
});
