/**
 * The `cloud:` config reaches the link: cloud.passwordFile (the password never logged),
 * cloud.healthInterval (health messages) and the birth message's queue depth, via a real Gateway.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Gateway } from '../../src/gateway.js';
import { siteSchema } from '../../src/config/site-schema.js';
import { startCloudBroker } from '../helpers/cloud-broker.js';
import { loadTestSite, tempDir, writeSite } from '../helpers/site.js';

test('cloud.passwordFile logs in without the password ever being logged; health and birth reach the cloud', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const password = 'file-pw-Xq7!never-logged';
  const seen: (string | undefined)[] = [];
  const broker = await startCloudBroker({
    aedes: {
      authenticate: (_c, user, pass, done) => {
        seen.push(pass?.toString());
        done(null, user === 'gw' && pass?.toString() === password);
      },
    },
  });
  t.after(() => broker.stop());
  const health = broker.tap('edgeway/e2e/health');
  const status = broker.tap('edgeway/e2e/status');
  t.after(() => Promise.all([health.stop(), status.stop()]).then(() => undefined));

  const pwFile = path.join(tmp.dir, 'cloud.pw');
  await writeFile(pwFile, `${password}\n`);
  const cloud = { url: broker.url, username: 'gw', passwordFile: pwFile, healthInterval: 100, compression: 'deflate', protocolVersion: 4 };
  const file = await writeSite(tmp.dir, { cloudUrl: broker.url, devices: [], extra: { cloud } });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const gateway = new Gateway(await loadTestSite(file), pino({ level: 'trace' }, sink));
  t.after(() => gateway.stop());
  await gateway.start();

  await health.waitFor((msgs) => msgs.length >= 2);
  const h = JSON.parse(health.messages[0]?.payload.toString() ?? '{}') as { gateway: string; queue: { depth: number } };
  assert.equal(h.gateway, 'e2e');
  assert.equal(h.queue.depth, 0);
  const birth = await status.waitForMessage((m) => m.payload.toString().includes('"online"'));
  assert.equal((JSON.parse(birth.payload.toString()) as { queueDepth: number }).queueDepth, 0);
  assert.ok(seen.length >= 1 && seen.every((p) => p === password), 'the file content, without its newline, is the password');
  await gateway.stop();
  assert.ok(lines.length > 0);
  assert.equal(lines.join('').includes(password), false, 'password must never be logged');
});

test('cloud config: defaults of the link settings; password and passwordFile together are refused', () => {
  const base = { gateway: { id: 'gw' }, cloud: { url: 'mqtt://127.0.0.1:1883' } };
  const ok = siteSchema.parse(base);
  assert.equal(ok.cloud.protocolVersion, 4);
  assert.equal(ok.cloud.compression, 'none');
  assert.deepEqual(ok.cloud.backlog, { liveFirst: true, rate: 0 });
  assert.equal(ok.cloud.healthInterval, 30_000);
  const both = siteSchema.safeParse({ ...base, cloud: { ...base.cloud, password: 'a', passwordFile: '/x' } });
  assert.equal(both.success, false);
  assert.equal(siteSchema.safeParse({ ...base, cloud: { ...base.cloud, protocolVersion: 3 } }).success, false);
  assert.equal(siteSchema.safeParse({ ...base, cloud: { ...base.cloud, compression: 'gzip' } }).success, false);
});
