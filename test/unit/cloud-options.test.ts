import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLOUD_LINK_DEFAULTS, mqttClientOptions, redactUrl, resolveOptions } from '../../src/northbound/options.js';

const base = { url: 'mqtts://cloud.example.com:8883', clientId: 'edgeway-gw', gatewayId: 'gw', version: '1.0.0' };

describe('cloud link options', () => {
  it('fills the documented defaults and keeps what is given', () => {
    const o = resolveOptions({ ...base, inflight: 3, username: undefined });
    assert.equal(o.topicPrefix, 'edgeway');
    assert.equal(o.rejectUnauthorized, true);
    assert.equal(o.batchMaxSamples, CLOUD_LINK_DEFAULTS.batchMaxSamples);
    assert.equal(o.backoffMinMs, 500);
    assert.equal(o.backoffMaxMs, 30_000);
    assert.equal(o.inflight, 3);
    assert.equal(o.username, undefined);
  });

  it('clamps sizes that would stall the drain loop', () => {
    const o = resolveOptions({ ...base, inflight: 0, batchMaxSamples: 0, batchMaxDelayMs: -5 });
    assert.deepEqual([o.inflight, o.batchMaxSamples, o.batchMaxDelayMs], [1, 1, 0]);
  });

  it('gives mqtt.js no reconnect of its own, no offline QoS 0 queue, and a retained QoS 1 will', () => {
    const will = { topic: 'edgeway/gw/status', payload: Buffer.from('{}') };
    const m = mqttClientOptions(resolveOptions({ ...base, password: 'pw', ca: 'PEM' }), will);
    assert.equal(m.reconnectPeriod, 0);
    assert.equal(m.queueQoSZero, false);
    assert.equal(m.protocolVersion, 4);
    assert.equal(m.password, 'pw');
    assert.equal(m.ca, 'PEM');
    assert.equal(m.rejectUnauthorized, true);
    assert.deepEqual(m.will, { ...will, qos: 1, retain: true });
    assert.equal('cert' in m, false, 'absent TLS material is not passed as undefined');
  });

  it('redacts the password of a URL for logs', () => {
    assert.equal(redactUrl('mqtts://gw:s3cret@cloud.example.com:8883'), 'mqtts://gw@cloud.example.com:8883');
    assert.equal(redactUrl('mqtt://cloud.example.com:1883'), 'mqtt://cloud.example.com:1883');
    assert.equal(redactUrl('not a url s3cret'), '(unparsable url)');
  });
});
