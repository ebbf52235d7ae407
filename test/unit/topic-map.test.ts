/**
 * The typed topic map: the public entry exports it, real gateway payloads validate against its
 * schemas, the README table lists every topic, and only the command request topic of the gateway
 * is open to client publishes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as api from '../../src/index.js';
import { isReservedTopic } from '../../src/broker/auth.js';
import { latestValuePayload, latestValueTopic } from '../../src/broker/latest-values.js';
import { healthMessage } from '../../src/northbound/health.js';
import { connectionLostStatus, onlineStatus, shutdownStatus } from '../../src/northbound/status.js';
import { REPO } from '../helpers/site.js';

test('topic map: builders agree with the topics the gateway uses', () => {
  const t = api.localTopics('edgeway', 'wh-07');
  assert.equal(t.latestValue('agv-01', 'battery_soc'), latestValueTopic('edgeway', 'wh-07', 'agv-01', 'battery_soc'));
  assert.equal(t.commandRequest, 'edgeway/wh-07/commands/request');
  assert.equal(t.commandResponse('c-1'), 'edgeway/wh-07/commands/response/c-1');
  assert.equal(t.allValues, 'edgeway/wh-07/devices/#');
  assert.deepEqual(api.cloudTopics('wh-07'), { data: 'edgeway/wh-07/data', status: 'edgeway/wh-07/status', health: 'edgeway/wh-07/health' });
});

test('topic map: payloads the gateway produces validate against the exported schemas', () => {
  const good = JSON.parse(latestValuePayload({ device: 'a', point: 'p', ts: 1, value: 2.5, quality: 'good' }, '%')) as unknown;
  assert.deepEqual(api.latestValueSchema.parse(good), { ts: 1, value: 2.5, quality: 'good', unit: '%' });
  const bad = JSON.parse(latestValuePayload({ device: 'a', point: 'p', ts: 1, value: null, quality: 'bad', code: 'EW_DEVICE_TIMEOUT' }, undefined)) as unknown;
  assert.equal(api.latestValueSchema.parse(bad).code, 'EW_DEVICE_TIMEOUT');
  for (const status of [onlineStatus('g', '1.0.0', new Date(0), 5, 3), connectionLostStatus('g'), shutdownStatus('g', 9)]) {
    assert.ok(api.gatewayStatusSchema.safeParse(JSON.parse(status.toString())).success, status.toString());
  }
  const queue = { depth: 1, bytes: 2, oldestAgeMs: 3, added: 4, delivered: 5, dropped: { 'max-bytes': 0, 'max-age': 0, 'reject-new': 0 }, nextSeq: 6 };
  const health = healthMessage('g', 1, queue, { deliveryLagMs: null, inFlight: 0, messagesPublished: 1, samplesDelivered: 2, reconnects: 0, batchLimit: 500 });
  assert.ok(api.healthSchema.safeParse(JSON.parse(health.toString())).success);
  assert.equal(api.decodeBatch(api.encodeBatch('g', [{ seq: 1, device: 'a', point: 'p', ts: 1, value: 1, quality: 'good' }])).samples.length, 1);
});

test('topic map: command requests are validated; bad ones name the field', () => {
  assert.ok(api.commandRequestSchema.safeParse({ id: 'c-1', command: 'write', device: 'a', point: 'p', value: 1 }).success);
  assert.ok(api.commandRequestSchema.safeParse({ id: 'c-2', command: 'read', device: 'a', point: 'p' }).success);
  for (const bad of [
    { id: 'c-3', command: 'write', device: 'a', point: 'p' },
    { id: 'c/4', command: 'read', device: 'a', point: 'p' },
    { id: 'c-5', command: 'read', device: 'a', point: 'p', responseTopic: 'x/#' },
    { id: 'c-6', command: 'delete', device: 'a', point: 'p' },
    { id: 'c-7', command: 'read', device: 'a', point: 'p', extra: 1 },
  ]) assert.equal(api.commandRequestSchema.safeParse(bad).success, false, JSON.stringify(bad));
});

test('topic map: clients may publish on the command request topic only, of all gateway topics', () => {
  const root = 'edgeway/wh-07';
  assert.equal(isReservedTopic(`${root}/commands/request`, root), false);
  for (const topic of [`${root}/commands/response/x`, `${root}/devices/a/p`, `${root}/commands/request/x`, root, '$SYS/x']) {
    assert.equal(isReservedTopic(topic, root), true, topic);
  }
  assert.equal(isReservedTopic('sensors/th-07/telemetry', root), false);
});

test('topic map: the README table lists every topic of TOPIC_MAP, and package.json exports the entry', async () => {
  const readme = await readFile(path.join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## What goes over MQTT'));
  for (const e of api.TOPIC_MAP) {
    if (e.topic.startsWith('(model)')) continue;
    assert.ok(section.includes(`\`<prefix>/<gateway>/${e.topic}\``), `README lists ${e.topic}`);
  }
  const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> };
  assert.deepEqual(pkg.exports['.'], { types: './dist/index.d.ts', default: './dist/index.js' });
  const tsconfig = JSON.parse(await readFile(path.join(REPO, 'tsconfig.types.json'), 'utf8')) as { include: string[] };
  assert.deepEqual(tsconfig.include, ['src/index.ts'], 'the declarations of the entry are built');
});
