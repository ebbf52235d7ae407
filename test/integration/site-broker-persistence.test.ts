/**
 * Broker state on disk: a retained value and a persistent QoS 1 session's queued message survive
 * a SiteBroker stop and start on the same state directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startSiteBroker } from '../helpers/site-broker.js';
import { tempDir, until } from '../helpers/site.js';

test('retained messages and a persistent session queue survive a restart', { timeout: 30_000 }, async () => {
  const tmp = await tempDir();
  const stateDir = path.join(tmp.dir, 'broker');
  const config = { users: [{ username: 'app', password: 'app-pw' }] };
  const login = { username: 'app', password: 'app-pw' };
  try {
    const first = await startSiteBroker(config, { stateDir });
    try {
      const consumer = await first.connect({ ...login, clientId: 'hmi-1', clean: false });
      await consumer.subscribeAsync('line/#', { qos: 1 });
      await consumer.endAsync();
      const producer = await first.connect({ ...login, clientId: 'plc-1' });
      await producer.publishAsync('status/line-1', 'running', { qos: 1, retain: true });
      await producer.publishAsync('line/1/count', 'queued-while-offline', { qos: 1 });
    } finally {
      await first.stop();
    }

    const second = await startSiteBroker(config, { stateDir });
    try {
      const got: string[] = [];
      const consumer = await second.connect({ ...login, clientId: 'hmi-1', clean: false });
      consumer.on('message', (t, p) => got.push(`${t} ${p.toString()}`));
      await until(() => got.length === 1, 'the queued QoS 1 message is delivered to the resumed session');
      assert.deepEqual(got, ['line/1/count queued-while-offline']);
      const late = await second.connect({ ...login, clientId: 'late' });
      const retained: string[] = [];
      late.on('message', (t, p, pkt) => retained.push(`${t} ${p.toString()} ${pkt.retain}`));
      await late.subscribeAsync('status/#', { qos: 1 });
      await until(() => retained.length === 1, 'the retained value survived');
      assert.deepEqual(retained, ['status/line-1 running true']);
    } finally {
      await second.stop();
    }
  } finally {
    await tmp.remove();
  }
});
