import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, isGatewayError } from '../../src/errors.js';
import { cloudTopics } from '../../src/northbound/topics.js';
import { connectionLostStatus, onlineStatus, shutdownStatus } from '../../src/northbound/status.js';

function assertInvalid(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isGatewayError(err));
    assert.equal(err.code, ERROR_CODES.CONFIG_INVALID);
    assert.match(err.message, re);
    return true;
  });
}

describe('cloudTopics', () => {
  it('builds the data, status and health topics from prefix and gateway id', () => {
    assert.deepEqual(cloudTopics('wh-07'), { data: 'edgeway/wh-07/data', status: 'edgeway/wh-07/status', health: 'edgeway/wh-07/health' });
    assert.deepEqual(cloudTopics('wh-07', 'acme/plants'), {
      data: 'acme/plants/wh-07/data',
      status: 'acme/plants/wh-07/status',
      health: 'acme/plants/wh-07/health',
    });
  });

  it('refuses gateway ids that are not exactly one topic level', () => {
    for (const id of ['a/b', 'gw+', 'gw#', 'gw\u0000']) assertInvalid(() => cloudTopics(id), /gateway id/);
    assertInvalid(() => cloudTopics(''), /must not be empty/);
  });

  it('refuses prefixes with wildcards, empty levels or a leading $', () => {
    for (const prefix of ['a/+', '#', '', '/edgeway', 'edgeway/', 'a//b']) assertInvalid(() => cloudTopics('gw', prefix), /topic prefix/);
    assertInvalid(() => cloudTopics('gw', '$SYS'), /reserved/);
  });
});

describe('status payloads', () => {
  it('online carries gateway, version, startedAt (ISO) and ts', () => {
    const json: unknown = JSON.parse(onlineStatus('gw', '1.2.3', new Date(Date.UTC(2025, 10, 24)), 42).toString());
    assert.deepEqual(json, { state: 'online', gateway: 'gw', version: '1.2.3', startedAt: '2025-11-24T00:00:00.000Z', ts: 42 });
  });

  it('the will says connection-lost; a graceful stop says shutdown', () => {
    assert.deepEqual(JSON.parse(connectionLostStatus('gw').toString()), { state: 'offline', gateway: 'gw', reason: 'connection-lost' });
    assert.deepEqual(JSON.parse(shutdownStatus('gw', 7).toString()), { state: 'offline', gateway: 'gw', reason: 'shutdown', ts: 7 });
  });
});
